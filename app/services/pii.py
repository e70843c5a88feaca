"""Personal-data screening for submissions, uploads, imported rows and chat questions.

Built on Presidio's pattern recognisers (e-mail, phone, IBAN, credit card, IP, US SSN,
UK NINO) used directly, without Presidio's AnalyzerEngine: the engine insists on a spaCy
model, which is a download this project cannot make. Two recognisers of our own add what
the field meets: EU-style national ID numbers and a person's name next to an honorific.
Regexes do not find bare names; the evaluation report states recall per entity type.
"""

import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus, urlsplit

from app.core.imports import TORCH_IMPORTS

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer

MIN_SCORE = 0.4
URL = re.compile(r"^\s*[a-z][a-z0-9+.-]*://", re.IGNORECASE)
# Functional mailboxes ("statistics@ons.gov.uk", "ai-register@...") may be published;
# "jane.doe@..." and "jdoe@..." may not. A mailbox is functional when every word of its
# local part names a function, in the corpus languages (en, fr, de, es): whether it has
# digits says nothing about whose it is.
FUNCTIONAL_WORDS = frozenset(
    # en
    "info information contact contacts enquiries enquiry inquiries inquiry help helpdesk "
    "support service services press media news newsroom communications comms office "
    "statistics statistic stats stat data methods methodology research team admin "
    "secretariat register registry feedback queries query requests request general mail "
    "post webmaster editor editorial publications library dissemination ai genai chat "
    "bot lab labs innovation science campus unit desk hub no reply noreply "
    # fr
    "contactez renseignements presse statistique statistiques donnees données accueil "
    "secretariat secrétariat equipe équipe assistance courrier "
    # de
    "kontakt auskunft presse pressestelle statistik daten anfragen anfrage hilfe "
    "service postfach poststelle sekretariat buero büro infoservice "
    # es
    "contacto informacion información prensa estadistica estadística estadisticas "
    "estadísticas datos consultas ayuda soporte oficina secretaria equipo atencion".split())
LOCAL_PART_WORD = re.compile(r"[^._+-]+")
# Run-together names ("statschat", "datasciencecampus") start with a function word.
FUNCTIONAL_PREFIX = re.compile(r"^(?:" + "|".join(sorted(
    (w for w in FUNCTIONAL_WORDS if len(w) >= 4), key=len, reverse=True)) + r")[a-z]*$")


def is_functional_mailbox(address: str) -> bool:
    """Whether an e-mail address belongs to a function rather than a person."""
    local = address.split("@", 1)[0].lower()
    words = LOCAL_PART_WORD.findall(local)
    return bool(words) and all(
        w in FUNCTIONAL_WORDS or (FUNCTIONAL_PREFIX.match(w) and w not in _given_names())
        for w in words)


@dataclass(frozen=True)
class Finding:
    field: str
    entity: str
    start: int
    end: int
    text: str

    def public(self) -> dict[str, Any]:
        """What an error message may show: the type and place, and a masked sample."""
        return {
            "field": self.field,
            "entity": self.entity,
            "start": self.start,
            "end": self.end,
            "masked": mask(self.text),
        }


def mask(text: str) -> str:
    keep = max(1, len(text) // 5)
    return text[:keep] + "*" * (len(text) - keep)


@contextmanager
def _without_torch_and_transformers() -> Iterator[None]:
    """presidio's package imports its optional Hugging Face NER pipe, which imports
    transformers and (through thinc) torch: about 8 s, where its pattern recognizers, all
    GAIOS uses, need neither. While presidio loads, the two count as not installed (a None
    entry in sys.modules makes their import fail); a process that already loaded them is
    left alone, and they import normally afterwards."""
    with TORCH_IMPORTS:
        blocked = [name for name in ("torch", "transformers") if name not in sys.modules]
        for name in blocked:
            sys.modules[name] = None  # type: ignore[assignment]
        try:
            yield
        finally:
            for name in blocked:
                del sys.modules[name]


@cache
def _recognizers() -> "list[EntityRecognizer]":
    # Imported on first use, without torch and transformers (above): the commands that
    # never scan text (`gaios --help`, `gaios keys ...`) do not pay for presidio at all.
    with _without_torch_and_transformers():
        from presidio_analyzer import Pattern, PatternRecognizer
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer,
            EmailRecognizer,
            IbanRecognizer,
            IpRecognizer,
            PhoneRecognizer,
            UkNinoRecognizer,
            UsSsnRecognizer,
        )
    national_id = PatternRecognizer(
        supported_entity="NATIONAL_ID",
        global_regex_flags=re.DOTALL | re.MULTILINE,
        patterns=[
            # French NIR, Italian codice fiscale, Spanish DNI/NIE, Dutch BSN-like 9 digits with label
            Pattern("fr_nir", r"\b[12]\s?\d{2}\s?\d{2}\s?\d{2}\s?\d{3}\s?\d{3}\s?\d{2}\b", 0.6),
            Pattern("it_cf", r"\b[A-Z]{6}\d{2}[A-EHLMPRST]\d{2}[A-Z]\d{3}[A-Z]\b", 0.7),
            Pattern("es_dni", r"\b[XYZ]?\d{7,8}[A-HJ-NP-TV-Z]\b", 0.5),
            Pattern("labelled_id", r"(?i)\b(?:bsn|ssn|nino|national id|personnummer|"
                    r"passport(?: no\.?| number)?)(?:\s+(?:is|was|number|no\.?))?[:\s#]*"
                    r"(?=[A-Z0-9 -]{0,15}\d)[A-Z0-9][A-Z0-9 -]{5,14}[A-Z0-9]\b", 0.8),
            # UK NINO shape, including the prefixes Presidio skips as never issued (QQ...):
            # a test or example number is still a number a user should not paste.
            Pattern("nino_shape", r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", 0.5),
        ],
    )
    person = PatternRecognizer(
        supported_entity="PERSON",
        # Case matters here ("Dr. NAICS" is a tool, "Dr. Smith" a person); Presidio's
        # default flags ignore case.
        global_regex_flags=re.DOTALL | re.MULTILINE,
        patterns=[
            Pattern(
                "honorific_name",
                r"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof|Herr|Frau|Mme|Mlle|M\.|Sr|Sra)\.?\s+"
                r"[A-Z][a-zà-ÿ'-]+(?:\s+[A-Z][a-zà-ÿ'-]+)?",
                0.6,
            ),
            Pattern(
                "labelled_name",
                r"(?i:\b(?:my name is|name:|contact person:|respondent:))\s*"
                r"[A-Z][a-zà-ÿ'-]+(?:\s+[A-Z][a-zà-ÿ'-]+)+",
                0.7,
            ),
        ],
    )
    contact = PatternRecognizer(
        supported_entity="PHONE_NUMBER",
        global_regex_flags=re.DOTALL | re.MULTILINE,
        patterns=[
            # Numbers Presidio's phone library rejects as never issued (555, drama ranges)
            # are still numbers a user should not paste: caught when labelled as phones.
            Pattern("labelled_phone", r"(?i)(?:\btel\b\.?|\btél\b\.?|phone|mobile|cell|"
                    r"call me(?: back)? on)\s*[:.]?\s*\+?\d[\d\s().-]{5,}\d", 0.7),
            Pattern("international", r"(?<![\w+])\+\d{1,3}[\s.-]\d[\d\s.-]{5,}\d\b", 0.6),
        ],
    )
    address = PatternRecognizer(
        supported_entity="ADDRESS",
        global_regex_flags=re.DOTALL | re.MULTILINE,
        patterns=[Pattern("street", r"\b\d{1,5}\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s+(?:Road|Street|"
                          r"St\.|Avenue|Ave\.|Lane|Drive|Way|Place|Rue|Straße|Strasse|Calle)\b", 0.7)],
    )
    return [
        contact,
        address,
        EmailRecognizer(),
        PhoneRecognizer(supported_regions=("GB", "US", "FR", "DE", "IT", "ES", "NL", "CA", "AU")),
        IbanRecognizer(),
        CreditCardRecognizer(),
        IpRecognizer(),
        UsSsnRecognizer(),
        UkNinoRecognizer(),
        national_id,
        person,
    ]


# "Firstname Lastname": the first-name list of gender-guesser (about 40,000 given names,
# offline) stands in for a named-entity model, which would be a download. Given names
# that are also common English words are left out to keep false alarms down.
NAME_PAIR = re.compile(r"\b([A-Z][a-zà-ÿ-]+)\s+((?:[A-Z]['’]?)?[A-Z][a-zà-ÿ'-]+)\b"
                       r"(?!\s+(?:Committee|Foundation|Institute|Prize|Award|Cent(?:er|re)|"
                       r"University|School|College|Hospital|Street|Road|Avenue)\b)")
NOT_GIVEN_NAMES = frozenset(
    "may june april august will mark bill grant rose hope page chase dean gene joy faith "
    "art case carol lane long major miles price ray rich sky summer victor young "
    "china india austin paris florence georgia sydney the an and bharat abu one key ami".split())


@cache
def _given_names() -> frozenset[str]:
    from gender_guesser.detector import Detector

    detector = Detector(case_sensitive=False)
    # Only names the list gives one clear gender: "London" (androgynous) is a city.
    return frozenset(n for n in detector.names if len(n) > 2 and n not in NOT_GIVEN_NAMES
                     and detector.get_gender(n) in ("male", "female"))


# A name pair counts only where text speaks of a person: after a cue ("by", "contact",
# "my name is", ...) or before contact details. "Deep Learning" and "Marine Debris" start
# with words that are also given names, and titles are full of such pairs.
PERSON_CUE = re.compile(r"(?i)\b(?:by|contact|call|ask|dear|name is|i am|i'm|this is|"
                        r"respondent|coder|analyst|author|interviewer|colleague|mr|ms|mrs|dr|"
                        r"je m'appelle|je suis|me llamo|soy|ich bin|ich heiße|mein name ist|"
                        r"mi chiamo)\W{0,3}$")
NEAR = 4  # characters between a name and other personal data that make it "next to" it
LIST_JOIN = re.compile(r"(?i)\b(?:and|or)\s*$|,\s*$")
CONTACT_AFTER = re.compile(r"^\s*[,(]?\s*(?:\S+@|\+?\d|tel|tél|phone|mobile|cell|e-?mail|"
                           r"\d+\s+\w+\s+(?:road|street))",
                           re.IGNORECASE)


def _candidate_names(text: str) -> Iterator[re.Match[str]]:
    """"Firstname Lastname" pairs, whether or not the text speaks of a person there."""
    given = _given_names()
    return (m for m in NAME_PAIR.finditer(text)
            if m.group(1).lower() in given and m.group(2).lower() not in COMMON_WORDS)


def names_a_person(text: str) -> bool:
    """Whether the text has something that reads as a person's name."""
    return next(_candidate_names(text), None) is not None


def _name_pairs(text: str, field: str, others: list[Finding]) -> list[Finding]:
    found: list[Finding] = []
    for m in _candidate_names(text):
        before = text[max(0, m.start() - 30):m.start()]
        # "and"/"or" continue a list of people only after a name already found.
        chained = bool(found) and bool(LIST_JOIN.search(before)) and m.start() - found[-1].end < 8
        near = any(o.start - NEAR <= m.end() and m.start() <= o.end + NEAR for o in others)
        if (PERSON_CUE.search(before) or chained or near
                or CONTACT_AFTER.match(text[m.end():m.end() + 40])):
            found.append(Finding(field, "PERSON", m.start(), m.end(), m.group(0)))
    return found


COMMON_WORDS = frozenset(
    "statistics office bureau survey census data model models chat bot service services "
    "national international institute agency department ministry university team project "
    "group report labour force classification coding code".split())


def scan_text(text: str, *, field: str = "text") -> list[Finding]:
    """Every personal-data span found in one text, longest first where they overlap."""
    spans: list[Finding] = []
    for recognizer in _recognizers():
        for result in recognizer.analyze(text, recognizer.supported_entities, None) or []:
            if result.score >= MIN_SCORE:
                spans.append(
                    Finding(field, result.entity_type, result.start, result.end,
                            text[result.start : result.end])
                )
    return _drop_overlaps(spans + _name_pairs(text, field, spans))


def _drop_overlaps(spans: list[Finding]) -> list[Finding]:
    kept: list[Finding] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


def iter_strings(value: object, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted field path, string) for every string inside nested dicts and lists."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from iter_strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_strings(item, f"{path}.{index}")


def is_public_contact(finding: Finding) -> bool:
    return finding.entity == "EMAIL_ADDRESS" and is_functional_mailbox(finding.text)


def screened_part(text: str) -> str:
    """What of a field may carry personal data: all of it, or of a URL its user name,
    query string and fragment (`?email=jane.doe%40...`), decoded. A URL's path is left
    out: it can look like a phone number or an ID."""
    if not URL.match(text):
        return text
    parts = urlsplit(text.strip())
    pieces = [parts.username or "", parts.password or "", parts.query, parts.fragment]
    return " ".join(unquote_plus(p).replace("&", " ").replace("=", " ") for p in pieces if p)


def scan_record(data: dict[str, Any]) -> list[Finding]:
    """Personal data in every field of a record (sources included), except functional
    mailboxes."""
    findings: list[Finding] = []
    for path, text in iter_strings(data):
        findings += [f for f in scan_text(screened_part(text), field=path)
                     if not is_public_contact(f) and not _digits_of_an_id(path, f)]
    return findings


def _digits_of_an_id(path: str, finding: Finding) -> bool:
    """Record ids are kebab-case slugs (`survey-2024-01-15`): their digit runs are parts of
    a name, never a telephone number. Names and other entities in an id are still found."""
    return finding.entity == "PHONE_NUMBER" and (path == "id" or path.startswith("related."))


def redact(text: str, findings: list[Finding] | None = None) -> str:
    """The text with each finding replaced by `<ENTITY>`."""
    found = scan_text(text) if findings is None else findings
    for finding in sorted(found, key=lambda f: f.start, reverse=True):
        text = text[: finding.start] + f"<{finding.entity}>" + text[finding.end :]
    return text

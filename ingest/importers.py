"""Importers for the two real-world inventory formats a contributor brings: the US
federal AI use-case inventory (CSV) and the UK Algorithmic Transparency Recording
Standard records (JSON). Each returns the `UseCase` records it could make and an
`ImportReport` that accounts for every row: `rows == mapped + held_back + failed`.

US inventory (`import_us_inventory`), a CSV read with encoding "utf-8-sig" (the file
starts with a BOM). Cells are whitespace-trimmed; a cell holding a stringified Python
list ("['a', 'b']") is read with `ast.literal_eval` and joined with "; " (the raw text
is kept when it is not a list of strings). Placeholder cells ("Not available", "N/A",
"No", ...) count as blank in free text.

- id: `us-<agency>-<use case id>` (the agency prefix of the id is not repeated), or
  `us-<agency>-<slug of the name>` when the id is blank; `-2`, `-3`... on collision.
- organisations: the agency (`government_other`, country USA); when the bureau, or for an
  umbrella bureau the row's name and purpose, names a federal statistical agency (Census
  Bureau, BLS, BEA, NASS, ERS, NCHS, NCES, NCSES, BJS, EIA, SOI) the organisation is that
  agency with type `nso`. The Federal Reserve Board is typed `central_bank`.
- lifecycle_stage (domain notes 2.3): Pre-deployment -> experiment, Pilot -> pilot,
  Deployed -> production, Retired -> retired (2024 labels too). A blank stage maps to
  `idea`, the least advanced stage, with stage_as_reported "(blank in source)"; an
  unknown label maps to `idea` with the label kept verbatim in stage_as_reported.
- ai_classification: the `classification` column (Generative AI -> generative_ai, ...);
  blank -> `other` (the vocabulary has no "unknown").
- genai_patterns: generative rows -> prompting (+ rag / copilot_assistant / fine_tuning /
  agent_tool_use when the text says so); agentic rows -> agent_tool_use; classical ML,
  computer vision, reinforcement learning -> none; anything else -> unknown.
- model_openness, hosting, human_oversight: unknown (the inventory does not say).
- data_sensitivity: personal when `has_pii` is Yes; public when the row says it uses
  public data; else internal. personal_data from `has_pii`.
- summary: `problem_solved`, else purpose + outputs + benefits, whitespace-normalised and
  cut at a word boundary to 600 characters with "…"; under 20 characters -> a sentence
  made from the name and the agency. description: the purpose, benefits, outputs and
  context columns as Markdown. partners: the vendor. year_reported: "2025".
- sources: the OMB inventory repository (primary, confidence V).

UK ATRS (`import_atrs`), JSON: `{"meta": ..., "records": [...]}` or a bare list.
- id: `uk-<last segment of the record url>` (else `uk-<slug of body and tool name>`).
- title: the tool name; organisations: the publishing body (GBR; `nso` for the Office
  for National Statistics, else `government_other`); a blank body -> failed "no
  publishing body".
- lifecycle_stage: `pilot` with stage_as_reported "(not in source: ATRS records cover
  tools in beta or production)": the record does not say which.
- ai_classification from the description (LLM / generative -> generative_ai, machine
  learning -> classical_ml, NLP -> nlp, computer vision -> computer_vision, else other).
- year_reported: the published date (YYYY-MM-DD, YYYY-MM or YYYY); source: the record url.

Scope, GSBPM and GAMSO (both formats) come from the small keyword tables below, matched
on the name and purpose text. GSBPM describes statistical production, so GSBPM codes are
inferred only for organisations of type `nso`. scope = production when GSBPM codes were
inferred, both when a GAMSO keyword matched as well, else corporate; a corporate record
with no GAMSO keyword gets GAMSO 3.4 "Manage IT" (an AI system, no more specific
activity inferred). For US rows the `topic_area` column adds GAMSO 3.4 (IT, Cybersecurity),
3.3 (HR) or 3.2 (Procurement and Finance Mgmt).

Personal data: the US contact e-mail column is never imported (the report lists
"contact e-mail removed" for rows that had one). The free-text source fields are
scanned with `app.services.pii.scan_text`; findings are replaced by `<ENTITY>` with
`app.services.pii.redact` and the source column names are listed under `redacted`.
Personal data in the name itself holds the row back; the finished record is scanned
again with `scan_record` (free-text fields only) and anything still found holds it back.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.errors import InvalidRecord, NotFound
from app.schemas.records import UseCase, slugify
from app.services import pii

US_SOURCE_URL = "https://github.com/ombegov/2025-Federal-Agency-AI-Use-Case-Inventory"
US_SOURCE_TITLE = "2025 Federal Agency AI Use Case Inventory"
US_PUBLISHER = "US Office of Management and Budget"
ATRS_STAGE_NOTE = "(not in source: ATRS records cover tools in beta or production)"

SUMMARY_MAX = 600
SUMMARY_MIN = 20
TITLE_MAX = 200
SLUG_MAX = 80
# Free-text fields of a finished record that the final personal-data check reads.
FREE_TEXT_FIELDS = ("title", "summary", "description", "data_inputs", "partners",
                    "stage_as_reported")
PLACEHOLDERS = {
    "", "-", "--", "n/a", "na", "n.a.", "none", "null", "nan", "no", "yes", "unknown",
    "tbd", "not available", "not applicable", "not publicly available", "redacted",
}
US_REQUIRED_COLUMNS = {"agency", "agency_name", "id", "use_case_name"}


# --------------------------------------------------------------------------- report


@dataclass
class ImportIssue:
    row: int  # 1-based data row number (CSV) or list index + 1 (JSON)
    id: str | None  # the record id, when one could be made
    reason: str  # plain sentence, e.g. "no use-case name", "contact e-mail removed"
    fields: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    source: str
    rows: int = 0
    mapped: list[str] = field(default_factory=list)
    redacted: list[ImportIssue] = field(default_factory=list)
    held_back: list[ImportIssue] = field(default_factory=list)
    failed: list[ImportIssue] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "mapped": len(self.mapped),
            "redacted": len(self.redacted),
            "held_back": len(self.held_back),
            "failed": len(self.failed),
        }


# --------------------------------------------------------------------------- text helpers


def _norm(text: object) -> str:
    """Whitespace (newlines, tabs, runs of spaces) collapsed to single spaces."""
    return " ".join(str(text).split()) if text is not None else ""


def _parse_list(value: str) -> str:
    """A stringified Python list ("['a', 'b']") as "a; b"; other text unchanged."""
    stripped = value.strip()
    if not (stripped.startswith("[") and stripped.endswith("]")) or len(stripped) > 20_000:
        return value
    try:
        parsed = ast.literal_eval(stripped)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return value
    if isinstance(parsed, list | tuple) and all(isinstance(i, str | int | float) for i in parsed):
        return "; ".join(_norm(i) for i in parsed if _norm(i))
    return value


def _cell(value: object) -> str:
    """A CSV cell: None (short row) -> "", stringified list parsed, ends trimmed."""
    if value is None or isinstance(value, list):  # list: surplus cells of a long row
        return ""
    return _parse_list(str(value)).strip()


def _text(value: str) -> str:
    """Free text: whitespace-normalised, placeholders ("Not available", ...) -> ""."""
    text = _norm(value)
    return "" if text.lower().rstrip(".") in PLACEHOLDERS else text


def _cut(text: str, limit: int) -> str:
    """Text cut at a word boundary to at most `limit` characters, ending with "…"."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:.-") + "…"


def _url(value: object) -> str | None:
    text = _norm(value)
    return text if re.match(r"^https?://\S+$", text) else None


# --------------------------------------------------------------------------- vocabulary tables

IC = re.IGNORECASE
# Stage cross-walk (domain notes 2.3), matched on the start of the cleaned label.
STAGES: list[tuple[str, str]] = [
    ("pre-deployment", "experiment"),
    ("acquisition and/or development", "experiment"),
    ("pilot", "pilot"),
    ("implementation and assessment", "pilot"),
    ("deployed", "production"),
    ("operation and maintenance", "production"),
    ("in production", "production"),
    ("retired", "retired"),
    ("initiated", "idea"),
    ("planned", "idea"),
    ("ideation", "idea"),
]

US_CLASSIFICATION = {
    "generative ai": "generative_ai",
    "agentic ai": "agentic_ai",
    "nlp": "nlp",
    "natural language processing": "nlp",
    "classical ml": "classical_ml",
    "computer vision": "computer_vision",
    "reinforcement learning": "reinforcement_learning",
    "other": "other",
}

# Federal statistical agencies: (bureau/text pattern, parent agency, name, acronym).
STATISTICAL_AGENCIES: list[tuple[re.Pattern[str], str, str, str]] = [
    (re.compile(r"\bCensus( Bureau)?$|^Census\b|\bBureau of the Census\b"), "DOC",
     "U.S. Census Bureau", "Census"),
    (re.compile(r"\bBLS\b|Bureau of Labor Statistics"), "DOL",
     "Bureau of Labor Statistics", "BLS"),
    (re.compile(r"\bBEA\b|Bureau of Economic Analysis"), "DOC",
     "Bureau of Economic Analysis", "BEA"),
    (re.compile(r"\bNASS\b|National Agricultural Statistics Service"), "USDA",
     "National Agricultural Statistics Service", "NASS"),
    (re.compile(r"\bERS\b|Economic Research Service"), "USDA",
     "Economic Research Service", "ERS"),
    (re.compile(r"\bNCHS\b|National Center for Health Statistics"), "HHS",
     "National Center for Health Statistics", "NCHS"),
    (re.compile(r"\bNCES\b|National Center for Education Statistics"), "ED",
     "National Center for Education Statistics", "NCES"),
    (re.compile(r"\bNCSES\b|National Center for Science and Engineering Statistics"), "NSF",
     "National Center for Science and Engineering Statistics", "NCSES"),
    (re.compile(r"\bBJS\b|Bureau of Justice Statistics"), "DOJ",
     "Bureau of Justice Statistics", "BJS"),
    (re.compile(r"\bEIA\b|Energy Information Administration"), "DOE",
     "U.S. Energy Information Administration", "EIA"),
    (re.compile(r"\bSOI\b|Statistics of Income"), "TREAS",
     "IRS Statistics of Income Division", "SOI"),
]
CENTRAL_BANKS = {"FRB"}

# GSBPM 5.1 (statistical production; applied to `nso` organisations only).
_CLASSIFY = (r"(?i:classif|auto-?cod|\bcoder\b)|\b(?i:occupation|industr|offen[cs]e)\w* "
             r"(?i:code|coding|classification)|\b(?:NAICS|NAPCS|NACE|ISCO)\b|\b(?:SOC|SIC) codes?\b")
GSBPM_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bsampling frame|\b(?:list|demographic|sample|group quarters)\w* frame|"
                r"\bframe (?:API|maintenance|construction)", IC), "4.1"),
    (re.compile(r"(?:supplementary|follow-?up) questions", IC), "4.3"),
    (re.compile(r"record linkage|\blinkage\b|record matching", IC), "5.1"),
    (re.compile(_CLASSIFY), "5.2"),
    (re.compile(r"imput|\b(?:automated|data|survey) editing\b|\bediting tool", IC), "5.4"),
]
# 7.5 Manage user support: a chatbot, Q&A or search service on public data.
GSBPM_USER_SUPPORT = re.compile(
    r"chat ?bot|virtual assistant|\bFAQ\b|answer\w* questions|question[- ]answering|"
    r"\bsearch\b|dissemination agent", IC)
PUBLIC_HINT = re.compile(
    r"\bpublic(?:ly)?[- ](?:available|accessible|facing|data|information|datasets?|users?|"
    r"website)|\bopen data\b|\bdata\.\w+\.gov\b|\bthe public\b|\bcitizens\b|\bdissemination\b", IC)
# data_sensitivity "public": the row says its data are public.
PUBLIC_DATA = re.compile(
    r"\bpublic(?:ly)?[- ](?:available|accessible|releas\w+|domain)|\bpublic (?:data|datasets?|"
    r"information|records)\b|\bopen data\b", IC)

# GAMSO 1.2 (corporate support), all organisations.
CODE_TRANSLATION = re.compile(
    r"\bcode (?:translation|conversion|migration)|translat\w* (?:\w+ ){0,3}code\b|"
    r"\b(?:SAS|Stata|SPSS|COBOL|Fortran)\b[^.]{0,40}\bto (?:Python|R)\b", IC)
GAMSO_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\btranslat", IC), "3.6"),  # natural-language translation (code: see below)
    (re.compile(r"\bsource code\b|\bcode (?:generation|completion|review|assist\w*)|"
                r"coding assist|software development|\bcopilot\b|\bprogramming\b|\bdebug|"
                r"\bsyntax\b", IC), "3.4"),
    (re.compile(r"(?-i:\bHR\b)|human resources|human capital|recruit|\bhiring\b|"
                r"\bpersonnel\b", IC), "3.3"),
    (re.compile(r"\bfinanc(?:e|ial management)|procurement|\bcontracts?\b|\bcontracting\b|"
                r"\bbudget|\binvoice", IC), "3.2"),
]
US_TOPIC_GAMSO = {
    "IT": "3.4", "Cybersecurity": "3.4", "HR": "3.3", "Procurement and Finance Mgmt": "3.2",
}
GAMSO_FALLBACK = "3.4"

# Task types, first match order irrelevant; "other" when none matches.
TASK_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(_CLASSIFY), "classification_coding"),
    (re.compile(r"\bcode (?:generation|completion|assist\w*)|coding assist|"
                r"software development|\bcopilot\b|\bprogramming\b|\bdebug|\bsyntax\b", IC),
     "code_generation"),
    (re.compile(r"summar", IC), "summarisation"),
    (re.compile(r"chat ?bot|virtual assistant|\bFAQ\b|answer\w* questions|"
                r"question[- ]answering|conversational", IC), "question_answering_chatbot"),
    (re.compile(r"semantic search|natural language search|retrieval[- ]augmented|(?-i:\bRAG\b)|"
                r"enterprise search|search (?:tool|engine)", IC), "semantic_search_rag"),
    (re.compile(r"\bextract", IC), "information_extraction"),
    (re.compile(r"transcri|speech[- ]to[- ]text", IC), "transcription"),
    (re.compile(r"\bdraft|writing assist|text generation|content generation|"
                r"generat\w* (?:text|content|reports?|summaries|responses)", IC),
     "drafting_text_generation"),
    (re.compile(r"synthetic (?:survey )?data", IC), "synthetic_data_generation"),
    (re.compile(r"(?:supplementary|follow-?up) questions", IC), "survey_followup_questions"),
    (re.compile(r"imput|\b(?:automated|data|survey) editing\b|\bediting tool", IC),
     "editing_imputation"),
    (re.compile(r"\bmetadata\b", IC), "metadata_generation"),
    (re.compile(r"\bagentic\b|\bAI agents?\b", IC), "agentic_workflow"),
]
PATTERN_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"retrieval[- ]augmented|\bRAG\b"), "rag"),
    (re.compile(r"\bcopilot\b", IC), "copilot_assistant"),
    (re.compile(r"fine-?tun", IC), "fine_tuning"),
    (re.compile(r"\bagentic\b|\bAI agents?\b|tool use", IC), "agent_tool_use"),
]
NON_GENERATIVE = {"classical_ml", "computer_vision", "reinforcement_learning"}
# ATRS has no classification column: inferred from the description.
ATRS_CLASSIFICATION: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"large language model|\bLLMs?\b|generative|\bGPT|\bgen ?AI\b|chatgpt|"
                r"\bcopilot\b", IC), "generative_ai"),
    (re.compile(r"natural language processing|\bNLP\b", IC), "nlp"),
    (re.compile(r"computer vision|image recognition|facial recognition", IC), "computer_vision"),
    (re.compile(r"machine learning|\bML\b", IC), "classical_ml"),
]


def _matches(rules: Iterable[tuple[re.Pattern[str], str]], text: str) -> list[str]:
    return list(dict.fromkeys(code for pattern, code in rules if pattern.search(text)))


def _stage(raw: str) -> tuple[str, str]:
    """(lifecycle_stage, stage_as_reported) for a source stage label."""
    label = _norm(raw)
    if not label:
        return "idea", "(blank in source)"
    key = re.sub(r"^(?:[a-e]\)\s*)+", "", label.lower()).replace("–", "-").replace("ñ", "-")
    for prefix, stage in STAGES:
        if key.startswith(prefix):
            return stage, label
    return "idea", label


def _classify(text: str, org_type: str, *, topic: str = "") -> dict[str, Any]:
    """scope, gsbpm, gamso and task_types from the name and purpose text."""
    gsbpm: list[str] = []
    if org_type == "nso":
        gsbpm = _matches(GSBPM_RULES, text)
        if GSBPM_USER_SUPPORT.search(text) and PUBLIC_HINT.search(text):
            gsbpm.append("7.5")
    code_translation = bool(CODE_TRANSLATION.search(text))
    gamso = _matches(GAMSO_RULES, CODE_TRANSLATION.sub(" code ", text))
    if code_translation:
        gamso.append("3.4")
    if topic in US_TOPIC_GAMSO:
        gamso.append(US_TOPIC_GAMSO[topic])
    gamso = list(dict.fromkeys(gamso))
    tasks = _matches(TASK_RULES, CODE_TRANSLATION.sub(" ", text))
    if code_translation:
        tasks.insert(0, "code_translation")
    elif re.search(r"\btranslat", text, IC):
        tasks.insert(0, "translation")
    if gsbpm and gamso:
        scope = "both"
    elif gsbpm:
        scope = "production"
    else:
        scope = "corporate"
        gamso = gamso or [GAMSO_FALLBACK]
    return {"scope": scope, "gsbpm": gsbpm, "gamso": gamso, "task_types": tasks or ["other"]}


def _patterns(ai_class: str, text: str) -> list[str]:
    if ai_class in ("generative_ai", "agentic_ai"):
        found = _matches(PATTERN_RULES, text)
        base = ["agent_tool_use"] if ai_class == "agentic_ai" else ["prompting"]
        return list(dict.fromkeys(base + found))
    if ai_class in NON_GENERATIVE:
        return ["none"]
    return ["unknown"]


def _partial_date(value: object) -> str | None:
    """YYYY-MM-DD, YYYY-MM or YYYY from the start of an ISO-like date text."""
    text = _norm(value)
    for pattern in (r"^\d{4}-\d{2}-\d{2}", r"^\d{4}-\d{2}", r"^\d{4}"):
        match = re.match(pattern, text)
        if match:
            return match.group(0)
    return None


# --------------------------------------------------------------------------- shared machinery


class _IdMaker:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    def make(self, *parts: str) -> str:
        base = slugify("-".join(p for p in parts if p), SLUG_MAX)
        candidate, n = base, 1
        while candidate in self.seen:
            n += 1
            suffix = f"-{n}"
            candidate = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
        self.seen.add(candidate)
        return candidate


class _Scanner:
    """`pii.scan_text` with a memory: inventories repeat the same texts (bureaus, vendors,
    boilerplate), and a text found clean once need not be scanned again."""

    def __init__(self) -> None:
        self.clean: set[str] = set()

    def scan(self, text: str, field: str) -> list[pii.Finding]:
        if not text or text in self.clean:
            return []
        findings = pii.scan_text(text, field=field)
        if not findings:
            self.clean.add(text)
        return findings

    def redact_sources(self, texts: dict[str, str]) -> tuple[dict[str, str], list[str]]:
        """Source free-text fields with personal data replaced; the names of those changed."""
        cleaned: dict[str, str] = {}
        changed: list[str] = []
        for name, text in texts.items():
            findings = self.scan(text, name)
            if findings:
                cleaned[name] = _norm(pii.redact(text, findings))
                changed.append(name)
            else:
                cleaned[name] = text
        return cleaned, changed

    def compose(self, text: str, parts: list[str]) -> None:
        """Mark a text made of clean parts joined by fixed labels as clean (a pattern cannot
        span a "**Label:**" separator), so the final check does not scan it again."""
        if all(part in self.clean or not self.scan(part, "part") for part in parts):
            self.clean.add(text)

    def unchecked(self, data: dict[str, Any]) -> dict[str, Any]:
        """The free-text fields of a record not already known to be clean."""
        result: dict[str, Any] = {}
        for key in FREE_TEXT_FIELDS:
            value = data.get(key)
            if isinstance(value, list):
                value = [v for v in value if v not in self.clean]
            elif value in self.clean:
                value = None
            if value:
                result[key] = value
        return result


def _finish(
    scanner: _Scanner,
    report: ImportReport,
    records: list[UseCase],
    *,
    row: int,
    record_id: str,
    data: dict[str, Any],
    removed: list[str],
    redacted_fields: list[str],
) -> None:
    """Final personal-data check, validation, and the report entry for one row."""
    remaining = pii.scan_record(scanner.unchecked(data))
    if remaining:
        fields = sorted({f.field.split(".")[0] for f in remaining})
        report.held_back.append(ImportIssue(
            row, record_id, "personal data could not be removed safely", fields))
        return
    try:
        record = UseCase.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        fields = list(dict.fromkeys(".".join(str(p) for p in e["loc"]) or "record"
                                    for e in errors))
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}" for e in errors)
        report.failed.append(ImportIssue(row, record_id, f"invalid record: {reasons}", fields))
        return
    records.append(record)
    report.mapped.append(record.id)
    reasons = []
    if removed:
        reasons.append("contact e-mail removed")
    if redacted_fields:
        reasons.append("personal data redacted from the free text")
    if reasons:
        report.redacted.append(
            ImportIssue(row, record_id, "; ".join(reasons), removed + redacted_fields))


def _summary(parts: Iterable[str], fallback: str) -> str:
    """The first text of at least 20 characters from the parts (joined if need be)."""
    parts = [p for p in parts if p]
    if parts and len(parts[0]) >= SUMMARY_MIN:
        return _cut(parts[0], SUMMARY_MAX)
    joined = " ".join(parts)
    if len(joined) >= SUMMARY_MIN:
        return _cut(joined, SUMMARY_MAX)
    return _cut(fallback, SUMMARY_MAX)


# --------------------------------------------------------------------------- US inventory


def _us_organisation(agency: str, agency_name: str, bureau: str, text: str) -> dict[str, Any]:
    for pattern, parent, name, acronym in STATISTICAL_AGENCIES:
        if pattern.search(bureau) or (
            agency == parent and pattern.search(text) and not _is_named_bureau(bureau)
        ):
            return {"name": name, "acronym": acronym, "type": "nso", "country": "USA"}
    org_type = "central_bank" if agency in CENTRAL_BANKS else "government_other"
    return {"name": agency_name or agency, "acronym": agency or None, "type": org_type,
            "country": "USA"}


# Bureaus that are themselves a non-statistical component: their rows are not re-attributed
# to a statistical agency named in the text (e.g. a NOAA row citing Census data).
UMBRELLA_BUREAUS = re.compile(
    r"^(?:HHS/CDC|Department of Justice / OJP|Research, Education and Economics|"
    r"Institute of Education Sciences|Internal Revenue Service|Directorate for Social)", IC)


def _is_named_bureau(bureau: str) -> bool:
    return bool(bureau) and not UMBRELLA_BUREAUS.match(bureau)


def _read_csv(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [(h or "").strip() for h in (reader.fieldnames or [])]
            missing = US_REQUIRED_COLUMNS - set(header)
            if missing:
                raise InvalidRecord(
                    f"{path.name}: not a US AI use-case inventory CSV "
                    f"(missing columns: {', '.join(sorted(missing))})")
            reader.fieldnames = header
            return list(reader)
    except FileNotFoundError as exc:
        raise NotFound(f"{path.name}: file not found") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InvalidRecord(f"{path.name}: not a readable UTF-8 CSV file ({exc})") from exc


def import_us_inventory(
    path: Path, *, today: date | None = None
) -> tuple[list[UseCase], ImportReport]:
    """Records from the US federal AI use-case inventory CSV (2025 format)."""
    path = Path(path)
    today = today or date.today()
    rows = _read_csv(path)
    report = ImportReport(source=str(path), rows=len(rows))
    records: list[UseCase] = []
    ids = _IdMaker()
    scanner = _Scanner()
    for number, raw in enumerate(rows, start=1):
        row = {key: _cell(value) for key, value in raw.items() if key}
        agency = _norm(row.get("agency", ""))
        agency_name = _norm(row.get("agency_name", ""))
        name = _norm(row.get("use_case_name", ""))
        source_id = _norm(row.get("id", ""))
        agency_slug = slugify(agency or agency_name or "unknown", 20)
        id_part = slugify(source_id, SLUG_MAX) if source_id else ""
        if id_part.startswith(agency_slug + "-"):
            id_part = id_part[len(agency_slug) + 1:]
        record_id = ids.make("us", agency_slug, id_part or slugify(name)) if (
            id_part or name) else None
        if not name:
            report.failed.append(ImportIssue(number, record_id, "no use-case name",
                                             ["use_case_name"]))
            continue
        if not (agency or agency_name):
            report.failed.append(ImportIssue(number, record_id, "no agency", ["agency"]))
            continue

        # Personal data: the contact column is dropped; free text is redacted.
        removed = ["contact_email"] if row.get("contact_email") else []
        title_findings = scanner.scan(name, "use_case_name")
        if title_findings:
            report.held_back.append(ImportIssue(
                number, None if not id_part else record_id,
                "personal data in the use-case name", ["use_case_name"]))
            continue
        texts, redacted_fields = scanner.redact_sources({
            key: _text(row.get(key, ""))
            for key in ("problem_solved", "benefits", "system_outputs", "data_description",
                        "vendor_name", "agency_bureau", "topic_area", "is_high_impact",
                        "demographic_features")
        })
        bureau = texts["agency_bureau"]
        purpose = " ".join(t for t in (name, texts["problem_solved"],
                                       texts["system_outputs"]) if t)
        org = _us_organisation(agency, agency_name, bureau, purpose)
        classified = _classify(purpose, org["type"], topic=texts["topic_area"])
        ai_class = US_CLASSIFICATION.get(_norm(row.get("classification", "")).lower(), "other")
        stage, stage_reported = _stage(row.get("development_stage", ""))
        has_pii = _norm(row.get("has_pii", "")).lower()
        public = PUBLIC_DATA.search(" ".join(
            (texts["data_description"], _norm(row.get("link_to_data", "")))))
        sensitivity = "personal" if has_pii == "yes" else ("public" if public else "internal")
        reporter = agency_name + (f" ({bureau})" if bureau and bureau != agency_name else "")
        summary = _summary(
            [texts["problem_solved"], texts["system_outputs"], texts["benefits"]],
            f"{name}: an AI use case reported by {reporter} in the 2025 US federal AI "
            "use case inventory.",
        )
        if len(summary) < SUMMARY_MIN:
            report.failed.append(ImportIssue(number, record_id, "no description",
                                             ["problem_solved"]))
            continue
        parts = [(label, value) for label, value in (
            ("Problem solved", texts["problem_solved"]),
            ("Benefits", texts["benefits"]),
            ("System outputs", texts["system_outputs"]),
            ("Reported by", reporter),
            ("Topic area", texts["topic_area"]),
            ("High-impact status", texts["is_high_impact"]),
            ("Demographic features", texts["demographic_features"]),
        ) if value]
        description = "\n\n".join(f"**{label}:** {value}" for label, value in parts)
        scanner.compose(description, [value for _, value in parts])
        code_url = _url(row.get("code_url"))
        data: dict[str, Any] = {
            "id": record_id,
            "title": _cut(name, TITLE_MAX),
            "summary": summary,
            "description": description or None,
            "organisations": [org],
            "partners": [texts["vendor_name"]] if texts["vendor_name"] else [],
            "year_reported": "2025",
            "lifecycle_stage": stage,
            "stage_as_reported": stage_reported,
            **classified,
            "genai_patterns": _patterns(ai_class, purpose),
            "ai_classification": ai_class,
            "model_openness": "unknown",
            "hosting": "unknown",
            "data_inputs": texts["data_description"] or None,
            "data_sensitivity": sensitivity,
            "personal_data": {"yes": True, "no": False}.get(has_pii),
            "human_oversight": "unknown",
            "code_url": code_url,
            "sources": [{
                "url": US_SOURCE_URL, "title": US_SOURCE_TITLE, "publisher": US_PUBLISHER,
                "kind": "primary", "confidence": "V",
            }],
            "record_meta": {"created": today, "updated": today,
                            "curator": "gaios import us-inventory",
                            "licence": "US-Government-Work"},
        }
        _finish(scanner, report, records, row=number, record_id=record_id, data=data,
                removed=removed, redacted_fields=redacted_fields)
    return records, report


# --------------------------------------------------------------------------- UK ATRS


def _read_json_records(path: Path) -> list[Any]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise NotFound(f"{path.name}: file not found") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidRecord(f"{path.name}: not a readable JSON file ({exc})") from exc
    if isinstance(payload, dict) and isinstance(payload.get("records"), list):
        return payload["records"]
    if isinstance(payload, list):
        return payload
    raise InvalidRecord(
        f"{path.name}: not an ATRS records file (expected a list of records, "
        "or an object with a 'records' list)")


def import_atrs(path: Path, *, today: date | None = None) -> tuple[list[UseCase], ImportReport]:
    """Records from a UK Algorithmic Transparency Recording Standard records JSON."""
    path = Path(path)
    today = today or date.today()
    items = _read_json_records(path)
    report = ImportReport(source=str(path), rows=len(items))
    records: list[UseCase] = []
    ids = _IdMaker()
    scanner = _Scanner()
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            report.failed.append(ImportIssue(number, None, "not a record object"))
            continue
        body = _norm(item.get("publishing_body"))
        name = _norm(item.get("tool_name")) or _norm(item.get("title"))
        url = _url(item.get("url"))
        slug_source = url.rstrip("/").rsplit("/", 1)[-1] if url else f"{body} {name}"
        record_id = ids.make("uk", slugify(slug_source)) if (url or name) else None
        if not name:
            report.failed.append(ImportIssue(number, record_id, "no tool name", ["tool_name"]))
            continue
        if not body:
            report.failed.append(ImportIssue(number, record_id, "no publishing body",
                                             ["publishing_body"]))
            continue
        if not url:
            report.failed.append(ImportIssue(number, record_id, "no record url", ["url"]))
            continue
        published = _partial_date(item.get("published"))
        if not published:
            report.failed.append(ImportIssue(number, record_id, "no usable published date",
                                             ["published"]))
            continue
        if scanner.scan(name, "tool_name"):
            # the id comes from the url, which repeats the tool name: not reported
            report.held_back.append(ImportIssue(number, None, "personal data in the tool name",
                                                ["tool_name"]))
            continue
        texts, redacted_fields = scanner.redact_sources(
            {"description": _text(item.get("description"))})
        org_type = "nso" if body.lower() == "office for national statistics" else (
            "government_other")
        acronym = "ONS" if org_type == "nso" else None
        purpose = f"{name} {texts['description']}".strip()
        classified = _classify(purpose, org_type)
        ai_class = next((c for p, c in ATRS_CLASSIFICATION if p.search(purpose)), "other")
        summary = _summary([texts["description"]],
                           f"{name}: an algorithmic tool used by {body}, described in an "
                           "Algorithmic Transparency Recording Standard record.")
        data: dict[str, Any] = {
            "id": record_id,
            "title": _cut(name, TITLE_MAX),
            "summary": summary,
            "description": texts["description"] or None,
            "organisations": [{"name": body, "acronym": acronym, "type": org_type,
                               "country": "GBR"}],
            "year_reported": published,
            "lifecycle_stage": "pilot",
            "stage_as_reported": ATRS_STAGE_NOTE,
            **classified,
            "genai_patterns": _patterns(ai_class, purpose),
            "ai_classification": ai_class,
            "model_openness": "unknown",
            "hosting": "unknown",
            "data_sensitivity": "public" if PUBLIC_DATA.search(texts["description"])
            else "internal",
            "human_oversight": "unknown",
            "sources": [{
                "url": url, "title": _norm(item.get("title")) or name, "publisher": body,
                "date": published, "kind": "primary", "confidence": "V",
            }],
            "record_meta": {"created": today, "updated": today, "curator": "gaios import atrs",
                            "licence": "OGL-UK-3.0"},
        }
        _finish(scanner, report, records, row=number, record_id=record_id, data=data,
                removed=[], redacted_fields=redacted_fields)
    return records, report


IMPORTERS: dict[str, Callable[..., tuple[list[UseCase], ImportReport]]] = {
    "us-inventory": import_us_inventory,
    "atrs": import_atrs,
}

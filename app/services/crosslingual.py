"""Questions in French, German and Spanish against an English corpus and an English-only
embedding model (app/vocabularies/crosslingual.json).

The question's language is told by its function words; a question in another language is
searched with its English rendition: the domain's words and phrases translated by the
lexicon, the language's function words dropped, and every other word (names, acronyms,
codes, figures) kept as written. No model and no network: the lexicon is data.
"""

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel

VOCABULARY = Path(__file__).resolve().parents[1] / "vocabularies" / "crosslingual.json"
ENGLISH = "en"
WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
LONGEST_PHRASE = 5
# Endings tried when a word does not match as written: plurals, feminine and inflected
# forms ("modèles", "ouvertes", "Sprachmodellen", "herramientas") meet their lexicon entry.
ENDINGS = {"fr": ("s", "x", "e", "es", "er", "ez", "ent", "ee", "ees", "ait", "aient"),
           "de": ("e", "n", "s", "en", "es", "er", "em", "ern", "t", "et", "te", "ten", "st"),
           "es": ("s", "es", "a", "as", "o", "os", "ar", "er", "ir", "an", "en", "aron", "ieron",
                  "ado", "ada", "ados", "adas", "ando", "iendo", "io"),
           ENGLISH: ("s",)}
# German joins nouns into one word ("Freitextkommentare"): such a word is split into two
# lexicon words, with the linking "s" or "n" between them ("Klassifikationscodes").
COMPOUND_LANGUAGES = ("de",)
SHORTEST_PART = 3
# Words of evidence a language needs before a question is taken to be in it: one word is
# often an English word a language shares ("personnel", "classifier").
EVIDENCE = 2


class Language(BaseModel):
    stop_words: str
    terms: dict[str, str]


def fold(text: str) -> str:
    """Lower case without accents, as the keyword index folds text ("Qué" -> "que")."""
    text = text.lower().replace("ß", "ss")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def words(text: str) -> list[str]:
    return WORD.findall(fold(text))


@dataclass(frozen=True)
class _Lexicon:
    stop_words: frozenset[str]
    written: dict[tuple[str, ...], str]  # each phrase as written -> English
    phrases: dict[tuple[frozenset[str], ...], str]  # word forms of each phrase -> English
    by_length: dict[int, list[tuple[frozenset[str], ...]]]
    # (length, a form of the first word) -> positions in by_length[length] of the phrases
    # it may start: a search tries those, not every phrase of the length (39 ms a question)
    by_first: dict[tuple[int, str], list[int]]
    own_words: frozenset[str]  # the one-word terms that English does not share


def forms(word: str, lang: str) -> frozenset[str]:
    """The word and its stems without one of the language's endings."""
    return frozenset([word, *(word[:-len(e)] for e in ENDINGS.get(lang, ())
                              if word.endswith(e) and len(word) - len(e) >= SHORTEST_PART)])


@cache
def _lexicons() -> dict[str, _Lexicon]:
    raw = json.loads(VOCABULARY.read_text(encoding="utf-8"))["languages"]
    lexicons = {}
    for lang, body in raw.items():
        language = Language.model_validate(body)
        written = {tuple(words(source)): english for source, english in language.terms.items()}
        phrases = {tuple(forms(w, lang) for w in key): english for key, english in written.items()}
        by_length: dict[int, list[tuple[frozenset[str], ...]]] = {}
        for key in phrases:
            by_length.setdefault(len(key), []).append(key)
        by_first: dict[tuple[int, str], list[int]] = {}
        for length, keys in by_length.items():
            for position, key in enumerate(keys):
                for form in key[0]:
                    by_first.setdefault((length, form), []).append(position)
        own = frozenset(words(source)[0] for source, english in language.terms.items()
                        if len(words(source)) == 1 and words(source) != words(english))
        lexicons[lang] = _Lexicon(frozenset(words(language.stop_words)), written, phrases,
                                  by_length, by_first, own)
    return lexicons


def languages() -> list[str]:
    return list(_lexicons())


def detect(text: str) -> str:
    """The language with most function words and domain words of its own in the text;
    English on a tie or with fewer than EVIDENCE words (a query of names and codes is
    searched as written). Words in capitals are acronyms, not words of a language ("UN",
    "IA"), and single letters are initials and elisions ("d.levine", "l'INSEE")."""
    tokens = [fold(t) for t in re.findall(r"\w+", text) if not t.isupper() and len(t) > 1]
    counts = {lang: sum(t in lex.stop_words or (lang != ENGLISH and bool(forms(t, lang) & lex.own_words))
                        for t in tokens) for lang, lex in _lexicons().items()}
    best = max(counts, key=counts.__getitem__)
    if counts[best] < EVIDENCE or counts[best] == counts.get(ENGLISH, 0):
        return ENGLISH
    return best


def _phrase_at(tokens: list[str], start: int, lexicon: _Lexicon, lang: str) -> tuple[int, str] | None:
    """The longest lexicon phrase that starts at `start`, as (words used, English); of two
    phrases as long, the one written as in the text ("nutzen" is not "Nutzer")."""
    for length in range(min(LONGEST_PHRASE, len(tokens) - start), 0, -1):
        if (english := lexicon.written.get(tuple(tokens[start:start + length]))) is not None:
            return length, english
        token_forms = [forms(t, lang) for t in tokens[start:start + length]]
        keys = lexicon.by_length.get(length, [])
        starting = sorted({p for f in token_forms[0] for p in lexicon.by_first.get((length, f), ())})
        for key in (keys[p] for p in starting):  # in lexicon order: the first match wins
            if all(a & b for a, b in zip(token_forms, key, strict=True)):
                return length, lexicon.phrases[key]
    return None


def _compound(token: str, lexicon: _Lexicon, lang: str) -> str | None:
    """A compound word as the English of its two parts ("kodierprojekte" -> "coding project")."""
    for cut in range(SHORTEST_PART, len(token) - SHORTEST_PART + 1):
        head, tail = token[:cut], token[cut:]
        tail_english = _phrase_at([tail], 0, lexicon, lang)
        if tail_english is None:
            continue
        for linked in (head, head[:-1] if head.endswith(("s", "n")) else None):
            head_english = _phrase_at([linked], 0, lexicon, lang) if linked else None
            if head_english is not None:
                return f"{head_english[1]} {tail_english[1]}"
    return None


def to_english(text: str, lang: str) -> str:
    """The English rendition of a question in `lang` (the text itself when English)."""
    lexicon = _lexicons().get(lang)
    if lang == ENGLISH or lexicon is None:
        return text
    tokens, out, i = words(text), [], 0
    while i < len(tokens):
        found = _phrase_at(tokens, i, lexicon, lang)
        if found is not None:
            out.append(found[1])
            i += found[0]
            continue
        token = tokens[i]
        i += 1
        if token in lexicon.stop_words:
            continue
        compound = _compound(token, lexicon, lang) if lang in COMPOUND_LANGUAGES else None
        out.append(compound or token)
    return " ".join(out)


@dataclass(frozen=True)
class Query:
    """A question as retrieval uses it: its language, the text to embed (English) and the
    keyword query."""
    text: str
    lang: str
    english: str
    keywords: str


def query(text: str) -> Query:
    """The question's language and English rendition. The keyword query is the rendition
    followed by the question's own words that it lacks, function words aside (a source may
    be in the question's language, and names are kept either way)."""
    lang = detect(text)
    if lang == ENGLISH:
        return Query(text, lang, text, text)
    english = to_english(text, lang)
    seen, stop = set(words(english)), _lexicons()[lang].stop_words
    own = [w for w in dict.fromkeys(words(text)) if w not in seen and w not in stop]
    return Query(text, lang, english, " ".join([english, *own]))

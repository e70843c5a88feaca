"""The grounding guard: checks a generated answer against the sources it was given.

1. Citation markers `[n]` that point to no provided source are dropped (fabricated).
2. Each sentence is scored against every source: lexical support (share of its content
   words found in the source) and embedding support (cosine similarity).
3. A sentence with a number, an acronym or a capitalised name that no source contains is
   unsupported, whatever its other scores: small models invent figures and names, and
   such a check is far more reliable than word overlap (which generic words satisfy).
4. Unsupported sentences are removed; a supported sentence without a citation gets the
   marker of its best source. The answer is `grounded` when every kept sentence is
   supported and at least one is kept.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from app.components.keyword import tokenize
from app.services import sanitize

CITATION = re.compile(r"\[(\d{1,2})\]")
# A sentence ends at . ! ? before a capital, or at a line break (list items, headings).
SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[A-Z0-9\"'(\[¿¡À-Ý])|\s*\n\s*")
# Acronyms anywhere, and capitalised words after a sentence's first word: the names a
# small model invents ("GENESIS", "World Economic Organization").
ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]+[a-z]?\b")
CAPITALISED = re.compile(r"(?<=\s)[A-Z][a-zà-ÿ]+\b")
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:\s?%)?")
# List numbering and bold markers that small models add around copied text.
MARKDOWN_NOISE = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+|\*\*|__")
REPEAT_JACCARD = 0.8
MIN_WORDS = 3
LEXICAL_ALONE = 0.6
LEXICAL_WITH_EMBEDDING = 0.3
EMBEDDING = 0.55


@dataclass
class SentenceCheck:
    text: str
    supported: bool
    lexical: float
    embedding: float
    best_source: int | None  # 1-based source number
    invented_numbers: list[str] = field(default_factory=list)
    reason: str = ""


@dataclass
class GuardResult:
    answer: str
    sentences: list[SentenceCheck]
    grounded: bool
    removed: int
    fabricated_citations: list[int]
    cited: list[int]


def safe_source_text(text: str) -> str:
    """A source's text as it may be prompted or quoted: markup that could fetch a URL or
    fake a source neutralised, and every sentence addressing the assistant removed (a
    document is untrusted input; the prompt says so too, but small models do not always
    listen)."""
    kept = [s for s in split_sentences(sanitize.neutralise(text)) if not sanitize.is_instruction(s)]
    return " ".join(kept)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text.strip()) if s.strip()]


def names_in(sentence: str) -> set[str]:
    text = CITATION.sub(" ", sentence)
    return set(ACRONYM.findall(text)) | set(CAPITALISED.findall(text))


def normalise_number(token: str) -> str:
    token = token.replace(" ", "").rstrip("%")
    # "33,544" and "33544" are one number; "2,5" (decimal comma) becomes "2.5".
    if re.fullmatch(r"\d{1,3}(,\d{3})+", token):
        return token.replace(",", "")
    return token.replace(",", ".")


def numbers_in(text: str) -> set[str]:
    return {normalise_number(n) for n in NUMBER.findall(CITATION.sub(" ", text))}


@dataclass
class Sources:
    """The sources an answer is checked against, with what every sentence check needs from
    them worked out once per answer, not once per sentence."""

    texts: list[str]
    vectors: np.ndarray
    tokens: list[set[str]] = field(init=False)
    numbers: set[str] = field(init=False)
    words: set[str] = field(init=False)  # lower-cased, for names

    def __post_init__(self) -> None:
        self.tokens = [set(tokenize(text)) for text in self.texts]
        self.numbers = set().union(*(numbers_in(text) for text in self.texts))
        self.words = {w.lower() for w in re.findall(r"[^\W_]+", " ".join(self.texts))}

    def invented_names(self, sentence: str) -> list[str]:
        """Names of the sentence that no source contains (case-insensitively)."""
        return sorted(n for n in names_in(sentence) if n.lower() not in self.words)


class Guard:
    def __init__(self, embed: Callable[[list[str]], np.ndarray]) -> None:
        self.embed = embed

    def session(self, sources: list[str], source_vectors: np.ndarray) -> "GuardSession":
        return GuardSession(self, sources, source_vectors)

    def check(self, answer: str, sources: list[str], source_vectors: np.ndarray) -> GuardResult:
        """Check a whole answer at once."""
        session = self.session(sources, source_vectors)
        session.feed(answer)
        session.finish()
        return session.result()

    def check_sentence(self, sentence: str, sources: Sources) -> SentenceCheck:
        words = set(tokenize(CITATION.sub(" ", sentence)))
        lexical = [len(words & src) / len(words) if words else 0.0 for src in sources.tokens]
        similarity = (self.embed([CITATION.sub("", sentence)])[0] @ sources.vectors.T
                      if sources.texts else np.zeros(0))
        combined = [max(lex, float(sim)) for lex, sim in zip(lexical, similarity, strict=True)]
        best = int(np.argmax(combined)) + 1 if combined else None
        best_lex = max(lexical, default=0.0)
        best_emb = float(similarity.max()) if len(similarity) else 0.0
        invented = sorted(numbers_in(sentence) - sources.numbers)
        if invented:
            supported, reason = False, f"numbers not in any source: {', '.join(invented)}"
        elif names := sources.invented_names(sentence):
            supported, reason = False, f"names not in any source: {', '.join(names)}"
        elif len(words) < MIN_WORDS:
            supported, reason = False, "too short to verify"
        elif best_lex >= LEXICAL_ALONE or (best_emb >= EMBEDDING and best_lex >= LEXICAL_WITH_EMBEDDING):
            supported, reason = True, "supported"
        else:
            supported, reason = False, "not supported by the sources"
        return SentenceCheck(sentence, supported, round(best_lex, 3), round(best_emb, 3), best,
                             invented, reason)


class GuardSession:
    """Checks an answer sentence by sentence as it streams in, so that only checked
    sentences ever reach the user."""

    def __init__(self, guard: Guard, sources: list[str], source_vectors: np.ndarray) -> None:
        self.guard, self.sources = guard, Sources(sources, source_vectors)
        self.buffer = ""
        self.raw = ""
        self.checks: list[SentenceCheck] = []
        self.kept: list[str] = []
        self.cited: set[int] = set()
        self.fabricated: set[int] = set()

    def feed(self, delta: str) -> list[str]:
        """Add generated text; returns the sentences completed and kept so far."""
        self.raw += delta
        self.buffer += delta
        parts = SENTENCE_END.split(self.buffer)
        self.buffer = parts.pop()
        return [kept for part in parts if (kept := self._review(part))]

    def finish(self) -> list[str]:
        rest, self.buffer = self.buffer, ""
        kept = self._review(rest)
        return [kept] if kept else []

    def _review(self, sentence: str) -> str | None:
        sentence = sentence.strip()
        if not sentence:
            return None
        for n in CITATION.findall(sentence):
            if not 1 <= int(n) <= len(self.sources.texts):
                self.fabricated.add(int(n))
        sentence = CITATION.sub(
            lambda m: m.group(0) if 1 <= int(m.group(1)) <= len(self.sources.texts) else "", sentence)
        # What a model copied from a hostile source, or was asked to add, never leaves.
        sentence = MARKDOWN_NOISE.sub("", sanitize.neutralise(sentence)).strip()
        check = self.guard.check_sentence(sentence, self.sources)
        if check.supported and sanitize.is_instruction(sentence):
            check.supported, check.reason = False, "addresses the assistant (instruction)"
        elif check.supported and self._repeats(sentence):
            check.supported, check.reason = False, "repeats an earlier sentence"
        self.checks.append(check)
        if not check.supported:
            return None
        markers = {int(n) for n in CITATION.findall(sentence)}
        if not markers and check.best_source is not None:
            sentence, markers = _append_marker(sentence, check.best_source), {check.best_source}
        self.cited |= markers
        self.kept.append(sentence)
        return sentence

    def _repeats(self, sentence: str) -> bool:
        words = set(tokenize(CITATION.sub(" ", sentence)))
        for kept in self.kept:
            other = set(tokenize(CITATION.sub(" ", kept)))
            if words and len(words & other) / len(words | other) >= REPEAT_JACCARD:
                return True
        return False

    def result(self) -> GuardResult:
        return GuardResult(
            answer=" ".join(self.kept), sentences=self.checks,
            grounded=bool(self.kept) and len(self.kept) == len(self.checks),
            removed=len(self.checks) - len(self.kept), fabricated_citations=sorted(self.fabricated),
            cited=sorted(self.cited))


def _append_marker(sentence: str, number: int) -> str:
    match = re.search(r"[.!?]+$", sentence)
    if match:
        return f"{sentence[: match.start()]} [{number}]{match.group(0)}"
    return f"{sentence} [{number}]"

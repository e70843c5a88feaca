"""Keyword-query expansion with the families of statistical classifications
(app/vocabularies/classifications.json): statisticians ask about "industries" or
"occupations" while records name NACE, ATECO or ISCO, and neither BM25 nor the small
English embedding model links the two."""

import json
import re
from functools import cache, cached_property
from pathlib import Path

from pydantic import BaseModel

from app.components.keyword import tokenize

VOCABULARY = Path(__file__).resolve().parents[1] / "vocabularies" / "classifications.json"


class Family(BaseModel):
    name: str
    terms: list[str]
    classifications: list[str]

    @cached_property  # tokenized once, not on every search
    def phrases(self) -> list[list[str]]:
        """Every term and classification name, tokenized as the keyword index does."""
        return [tokenize(t) for t in self.terms + self.classifications]


@cache
def families() -> list[Family]:
    return [Family.model_validate(f) for f in json.loads(VOCABULARY.read_text())["families"]]


def _contains(tokens: list[str], phrase: list[str]) -> bool:
    return any(tokens[i:i + len(phrase)] == phrase for i in range(len(tokens) - len(phrase) + 1))


def matched_families(query: str) -> list[Family]:
    tokens = tokenize(query)
    return [f for f in families() if any(p and _contains(tokens, p) for p in f.phrases)]


def named_in(family: Family, text: str) -> list[str]:
    """The family's classifications that the text names."""
    return [c for c in family.classifications if re.search(rf"\b{re.escape(c)}\b", text)]


def expand_keywords(query: str) -> str:
    """The query followed by the words and classification names of each family it names,
    each word once (a repeated query word would weigh more in BM25)."""
    seen = set(tokenize(query))
    extra: list[str] = []
    for family in matched_families(query):
        for word in " ".join(family.terms + family.classifications).split():
            token = tokenize(word)
            if token and token[0] not in seen:
                seen.add(token[0])
                extra.append(word)
    return " ".join([query, *extra])


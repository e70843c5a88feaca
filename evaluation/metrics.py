"""Metric definitions (each documented in docs/evaluation.md and tested in
tests/test_eval_metrics.py). Retrieval metrics are computed on document rankings (chunks
of one document collapse to its first rank). All return floats in [0, 1] unless noted."""

import math
import re
from collections.abc import Sequence

import numpy as np

from app.components.keyword import tokenize
from app.services.guard import CITATION, numbers_in, split_sentences


def dedupe(ranking: Sequence[str]) -> list[str]:
    """A chunk ranking as a document ranking (first occurrence wins)."""
    return list(dict.fromkeys(ranking))


def hit_at(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    """1 if any relevant document is in the top k."""
    return float(any(d in relevant for d in ranking[:k]))


def recall_at(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    """Share of the relevant documents found in the top k."""
    return len(relevant & set(ranking[:k])) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranking: Sequence[str], relevant: set[str]) -> float:
    """1 / rank of the first relevant document (0 if none): averaged, this is MRR."""
    return next((1.0 / i for i, d in enumerate(ranking, 1) if d in relevant), 0.0)


def ndcg_at(ranking: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """Binary-relevance nDCG@k: DCG of the ranking over the DCG of an ideal one."""
    dcg = sum(1.0 / math.log2(i + 1) for i, d in enumerate(ranking[:k], 1) if d in relevant)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal else 0.0


def first_rank(ranking: Sequence[str], relevant: set[str]) -> int | None:
    return next((i for i, d in enumerate(ranking, 1) if d in relevant), None)


def key_fact_coverage(answer: str, facts: Sequence[str]) -> float:
    """Share of the key facts that appear in the answer (case-insensitive)."""
    if not facts:
        return 1.0
    text = answer.lower()
    return sum(f.lower() in text for f in facts) / len(facts)


def supports(sentence: str, source: str, *, threshold: float = 0.5) -> bool:
    """The evaluator's own support test, independent of the service's guard: every
    number of the sentence is in the source, and at least `threshold` of its content
    words are."""
    clean = CITATION.sub(" ", sentence)
    if not numbers_in(clean) <= numbers_in(source):
        return False
    words = set(tokenize(clean))
    return bool(words) and len(words & set(tokenize(source))) / len(words) >= threshold


def citation_scores(answer: str, sources: dict[int, str]) -> tuple[float, float, int]:
    """(citation precision, citation recall, number of citations).

    Precision: share of citation markers whose cited source supports the sentence that
    carries it. Recall: share of answer sentences that carry at least one supporting
    citation. A marker pointing to no provided source counts as unsupported."""
    sentences = split_sentences(answer)
    total = good = covered = 0
    for sentence in sentences:
        markers = [int(n) for n in CITATION.findall(sentence)]
        ok = [n for n in markers if n in sources and supports(sentence, sources[n])]
        total += len(markers)
        good += len(ok)
        covered += bool(ok)
    precision = good / total if total else 0.0
    recall = covered / len(sentences) if sentences else 0.0
    return precision, recall, total


def invented_numbers(text: str, sources: Sequence[str]) -> set[str]:
    """Numbers in the text that no source contains."""
    known: set[str] = set().union(*(numbers_in(s) for s in sources)) if sources else set()
    return numbers_in(text) - known


def unsupported_share(sentences: Sequence[str], sources: Sequence[str]) -> float:
    """Share of sentences that no source supports (evaluator's test)."""
    if not sentences:
        return 0.0
    return sum(not any(supports(s, src) for src in sources) for s in sentences) / len(sentences)


def answer_relevance(question_vector: np.ndarray, answer_vector: np.ndarray) -> float:
    """Cosine similarity of question and answer embeddings (normalised vectors): an
    offline proxy of RAGAS answer relevancy, which needs an LLM judge."""
    return float(question_vector @ answer_vector)


def faithfulness(verdicts: Sequence[int]) -> float:
    """RAGAS faithfulness: share of the answer's statements that the judge found supported
    by the retrieved contexts (one 0/1 verdict per statement, at least one statement)."""
    return sum(verdicts) / len(verdicts)


def answer_relevancy(question: np.ndarray, generated: np.ndarray,
                     noncommittal: Sequence[int]) -> float:
    """RAGAS answer relevancy: mean cosine similarity between the question and the questions
    the judge generated from the answer (one row of `generated` each); 0 when the judge
    found the answer noncommittal every time. A mean below 0 (unrelated questions) reads as
    0, the bottom of RAGAS' documented range."""
    if all(noncommittal):
        return 0.0
    cosines = generated @ question / (np.linalg.norm(generated, axis=1) * np.linalg.norm(question))
    return max(0.0, float(cosines.mean()))


def precision_recall(predicted: Sequence[bool], actual: Sequence[bool]) -> tuple[float, float]:
    tp = sum(p and a for p, a in zip(predicted, actual, strict=True))
    fp = sum(p and not a for p, a in zip(predicted, actual, strict=True))
    fn = sum(a and not p for p, a in zip(predicted, actual, strict=True))
    return (tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0)


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


def mean(values: Sequence[float]) -> float:
    return float(sum(values) / len(values)) if values else 0.0


def contains_any(text: str, needles: Sequence[str]) -> list[str]:
    return [n for n in needles if n and n.lower() in text.lower()]


# What could make a reader's client fetch a URL or run script, if an answer carried it.
FETCHING_MARKUP = {
    "markdown image": re.compile(r"!\[[^\]]*\][(\[]"),
    "markdown link": re.compile(r"\]\(\s*\S"),
    "html tag": re.compile(r"<\s*/?\s*[A-Za-z]"),
    "url": re.compile(r"(?i)\b(?:https?|ftp|javascript|data|vbscript):|(?<![\w:/])//[\w-]+\.[\w.-]+"
                      r"|\bwww\.[\w-]+\."),
}


def fetching_markup(text: str) -> list[str]:
    """The kinds of URL-fetching markup in a text (empty when it has none)."""
    return [kind for kind, pattern in FETCHING_MARKUP.items() if pattern.search(text)]

"""The evaluation reports retrieval, refusals and false refusals per language of the
question, next to the overall figures, and does not score the notice of an answer to a
question in another language as a claim."""

from typing import Any

from evaluation import metrics as m
from evaluation.datasets import Answerable, Unanswerable
from evaluation.runner import Evaluation, claims


class LanguageBlindTarget:
    """Finds the gold document for English questions only, and answers every English
    question and refuses every other: the failure the per-language figures must show."""

    name = "scripted"

    def __init__(self, questions: dict[str, Answerable], langs: dict[str, str]) -> None:
        self.questions, self.langs = questions, langs

    def search(self, query: str, k: int, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
        row = self.questions.get(query)
        found = row is not None and row.lang == "en"
        return [{"doc_id": row.relevant[0] if found and row else "unrelated", "text": "x"},
                {"doc_id": "other", "text": "y"}]

    def chat(self, question: str, history: list[dict[str, str]],
             filters: dict[str, list[str]]) -> dict[str, Any]:
        refused = self.langs[question] != "en"
        return {"answer": "The repository does not contain this." if refused else "Yes [1].",
                "refused": refused, "grounded": not refused, "citations": [], "sentences": [],
                "guard": {"fabricated_citations": []}, "timings": {}, "standalone_question": question}


def evaluation() -> Evaluation:
    answerable = [Answerable(id=f"a{i}", question=q, lang=lang, type="natural", relevant=["doc"])
                  for i, (q, lang) in enumerate([("Which tool?", "en"), ("Which model?", "en"),
                                                 ("Quel outil ?", "fr"), ("Welches Werkzeug?", "de")])]
    unanswerable = [Unanswerable(id=f"u{i}", question=q, lang=lang, type="figure")
                    for i, (q, lang) in enumerate([("GDP of Mars?", "en"), ("PIB de Mars ?", "fr")])]
    target = LanguageBlindTarget({r.question: r for r in answerable},
                                 {r.question: r.lang for r in [*answerable, *unanswerable]})
    run = Evaluation(target, limit=1)  # type: ignore[arg-type]
    run.answerable, run.unanswerable = answerable, unanswerable
    return run


def test_retrieval_reports_hit_at_5_and_mrr_per_language() -> None:
    breakdown = evaluation().retrieval().breakdown
    assert breakdown["hit@5 by language"] == {"de": 0.0, "en": 1.0, "fr": 0.0}
    assert breakdown["mrr by language"] == {"de": 0.0, "en": 1.0, "fr": 0.0}


def test_answers_report_false_refusals_per_language() -> None:
    result = evaluation().answers()
    assert result.metrics["false_refusal_rate"] == 0.5
    assert result.breakdown["false refusal rate by language"] == {"de": 1.0, "en": 0.0, "fr": 1.0}


def test_hallucination_reports_refusal_accuracy_and_false_refusals_per_language() -> None:
    result = evaluation().hallucination()
    assert result.breakdown["refusal accuracy by language"] == {"en": 0.0, "fr": 1.0}
    assert result.breakdown["false refusal rate by language"] == {"de": 1.0, "en": 0.0, "fr": 1.0}


def test_notice_that_sources_are_quoted_in_english_is_not_scored_as_a_claim() -> None:
    answer = "Les sources sont citées en anglais. INSEE relabelled NACE codes [1]."
    assert claims(answer) == "INSEE relabelled NACE codes [1]."
    assert m.citation_scores(claims(answer), {1: "INSEE relabelled NACE codes with a model."})[1] == 1.0

"""Each evaluation metric, computed on small cases worked out by hand."""

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from app.cli import main
from evaluation import metrics as m
from evaluation.datasets import Answerable, check_gold_ids, load_jsonl
from evaluation.report import check_thresholds, compare
from app.errors import InvalidRecord

RANKING = ["a", "b", "c", "d", "e"]


def test_hit_at_k() -> None:
    assert m.hit_at(RANKING, {"c"}, 1) == 0.0
    assert m.hit_at(RANKING, {"c"}, 3) == 1.0


def test_recall_at_k() -> None:
    assert m.recall_at(RANKING, {"b", "e", "z"}, 3) == pytest.approx(1 / 3)
    assert m.recall_at(RANKING, {"b", "e", "z"}, 5) == pytest.approx(2 / 3)


def test_reciprocal_rank() -> None:
    assert m.reciprocal_rank(RANKING, {"c", "d"}) == pytest.approx(1 / 3)
    assert m.reciprocal_rank(RANKING, {"z"}) == 0.0


def test_ndcg_at_10() -> None:
    # relevant at ranks 1 and 3 of 2 relevant: (1 + 1/log2(4)) / (1 + 1/log2(3))
    expected = (1 + 1 / 2) / (1 + 1 / np.log2(3))
    assert m.ndcg_at(RANKING, {"a", "c"}) == pytest.approx(expected)
    assert m.ndcg_at(RANKING, {"a"}) == 1.0


def test_dedupe_keeps_first_rank_of_each_document() -> None:
    assert m.dedupe(["x", "y", "x", "z", "y"]) == ["x", "y", "z"]


def test_key_fact_coverage_is_case_insensitive() -> None:
    assert m.key_fact_coverage("INSEE used qwen3 and reached 78%.", ["Qwen3", "78%", "Gemma"]) == pytest.approx(2 / 3)
    assert m.key_fact_coverage("anything", []) == 1.0


def test_citation_precision_and_recall() -> None:
    sources = {1: "INSEE relabelled 2.7 million records with open models.",
               2: "Istat compares embedding models for ATECO coding."}
    answer = ("INSEE relabelled 2.7 million records with open models [1]. "
              "Istat compares embedding models for ATECO coding [1]. "
              "Nothing cites this sentence.")
    precision, recall, total = m.citation_scores(answer, sources)
    assert total == 2
    assert precision == pytest.approx(1 / 2)  # the second marker cites the wrong source
    assert recall == pytest.approx(1 / 3)


def test_invented_numbers_and_unsupported_share() -> None:
    sources = ["The autocoder codes about 30% of write-ins; 70% go to clerks."]
    assert m.invented_numbers("It codes 30% and costs 4.5 million.", sources) == {"4.5"}
    sentences = ["The autocoder codes about 30% of write-ins.", "It was built on Mars in 1999."]
    assert m.unsupported_share(sentences, sources) == 0.5


def test_precision_recall_of_a_screen() -> None:
    predicted = [True, True, False, False]
    actual = [True, False, True, False]
    assert m.precision_recall(predicted, actual) == (0.5, 0.5)


def test_answer_relevance_is_cosine_of_normalised_vectors() -> None:
    a, b = np.array([1.0, 0.0]), np.array([0.6, 0.8])
    assert m.answer_relevance(a, b) == pytest.approx(0.6)


def test_percentiles() -> None:
    assert m.percentile([10, 20, 30, 40], 50) == 25
    assert m.percentile([], 95) == 0.0


def run_with(metrics: dict[str, float]) -> dict:  # type: ignore[type-arg]
    return {"complete": True, "suites": {"retrieval": {"metrics": metrics}}}


def test_thresholds_report_each_metric_outside_its_limit(tmp_path: Path) -> None:
    limits = tmp_path / "t.yaml"
    limits.write_text("retrieval.hit@5: {min: 0.9}\nretrieval.latency_p95_ms: {max: 50}\n"
                      "retrieval.mrr: {min: 0.5}\nanswers.key_fact_coverage: {min: 0.5}\n")
    failures = check_thresholds(run_with({"hit@5": 0.8, "latency_p95_ms": 20}), limits)
    assert failures == ["retrieval.hit@5 = 0.8 is below its floor 0.9", "retrieval.mrr: not measured"]


def test_compare_gives_deltas() -> None:
    rows = compare(run_with({"hit@5": 0.8}), run_with({"hit@5": 0.9, "mrr": 0.7}))
    assert rows == [("retrieval.hit@5", 0.8, 0.9, 0.1), ("retrieval.mrr", None, 0.7, None)]


def test_malformed_dataset_line_names_file_and_line(tmp_path: Path) -> None:
    data = tmp_path / "answerable.jsonl"
    good = {"id": "a1", "question": "q", "lang": "en", "type": "keyword", "relevant": ["x"]}
    data.write_text(json.dumps(good) + "\n{not json\n")
    with pytest.raises(InvalidRecord, match=r"answerable.jsonl:2: malformed"):
        load_jsonl(data, Answerable)


def test_unknown_gold_document_id_is_an_error(tmp_path: Path) -> None:
    row = Answerable(id="a1", question="q", lang="en", type="keyword", relevant=["no-such-doc"])
    with pytest.raises(InvalidRecord, match="no-such-doc"):
        check_gold_ids([row], {"ons-statschat"}, tmp_path / "answerable.jsonl")


def test_shipped_gold_labels_name_indexed_documents() -> None:
    from app.core.config import PROJECT_ROOT
    from app.services.corpus import load_documents, load_usecases
    from evaluation.datasets import DATASETS

    corpus = PROJECT_ROOT / "usecases"
    known = {r.id for r in load_usecases(corpus)} | {d.meta.id for d in load_documents(corpus)}
    check_gold_ids(load_jsonl(DATASETS / "answerable.jsonl", Answerable), known, DATASETS)


def test_unreachable_url_is_a_clear_error() -> None:
    result = CliRunner().invoke(main, ["eval", "retrieval", "--url", "http://127.0.0.1:9"])
    assert result.exit_code != 0
    assert "cannot reach GAIOS at http://127.0.0.1:9" in result.output


def test_every_nth_question_is_a_sample_across_languages_and_types() -> None:
    from evaluation.runner import Evaluation

    whole, sample = Evaluation(None), Evaluation(None, every=3)  # type: ignore[arg-type]
    assert [q.id for q in sample.answerable] == [q.id for q in whole.answerable][::3]
    assert len(sample.unanswerable) == -(-len(whole.unanswerable) // 3)
    assert {q.lang for q in sample.answerable} == {q.lang for q in whole.answerable}
    assert {q.type for q in sample.answerable} == {q.type for q in whole.answerable}
    assert {p.family for p in sample.injections} == {p.family for p in whole.injections}

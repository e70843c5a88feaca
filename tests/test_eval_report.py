"""The evaluation report reads the right way round: each chart says which way is better,
marks the thresholds it was given, describes itself in its alt text, and two runs get a
comparison chart."""

import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from app.cli import main
from evaluation.report import direction, render_comparison, render_html, verdict, write_run

IMG_ALT = re.compile(r'<img alt="([^"]*)" src="data:image/png;base64,')


def run_of(metrics: dict[str, dict[str, float]], started: str = "2026-11-29T05:22:00+00:00"
           ) -> dict[str, Any]:
    """A complete run with these metrics per suite and a few items to plot."""
    suites: dict[str, Any] = {
        suite: {"metrics": values, "breakdown": {}, "notes": [], "items": []}
        for suite, values in metrics.items()}
    if "retrieval" in suites:
        suites["retrieval"]["items"] = [
            {"question": f"q{rank}", "rank": rank, "ranking": ["a"], "relevant": ["a"],
             "latency_ms": 20.0 + (rank or 30)} for rank in (1, 1, 2, None)]
    return {"started": started, "finished": started, "complete": True, "target": "in-process",
            "settings": {"backend": "extractive"}, "suites": suites}


RUN = run_of({
    "retrieval": {"hit@5": 0.99, "mrr": 0.96, "latency_p95_ms": 40.0},
    "hallucination": {"refusal_accuracy": 0.92, "false_refusal_rate": 0.04, "partial_rate": 0.1},
})


def alts(page: str) -> list[str]:
    return IMG_ALT.findall(page)


def test_metric_directions_follow_their_names() -> None:
    assert [direction(m) for m in ("hit@5", "citation_precision", "refusal_accuracy")] == \
        ["higher"] * 3
    assert [direction(m) for m in ("false_refusal_rate", "invented_number_rate_after_guard",
                                   "injection.hidden_in_pdf", "latency_p95_ms")] == ["lower"] * 4
    assert direction("partial_rate") is None


def test_every_chart_has_alt_text_saying_which_way_is_better() -> None:
    images = alts(render_html(RUN))
    assert len(images) == 5  # retrieval higher, hallucination higher and lower, ranks, latency
    assert all(len(alt) > 60 for alt in images)
    assert any("where higher is better" in a and "hit@5 0.99" in a for a in images)
    assert any("where lower is better" in a and "false_refusal_rate 0.04" in a for a in images)
    assert not any("partial_rate" in a for a in images)  # descriptive: in the table only


def test_scores_and_error_rates_are_never_in_one_chart() -> None:
    for alt in alts(render_html(RUN)):
        if "refusal_accuracy" in alt:
            assert "false_refusal_rate" not in alt


def test_thresholds_given_are_marked_on_their_bars() -> None:
    limits = {"retrieval.hit@5": {"min": 0.97}, "hallucination.false_refusal_rate": {"max": 0.06}}
    images = alts(render_html(RUN, limits))
    assert any("threshold marked" in a and "hit@5 0.99 (floor 0.97)" in a for a in images)
    assert any("false_refusal_rate 0.04 (ceiling 0.06)" in a for a in images)
    assert not any("threshold" in a for a in alts(render_html(RUN)))


def test_a_run_written_with_thresholds_marks_them(tmp_path: Path) -> None:
    _, report = write_run(RUN, tmp_path / "run", {"retrieval.mrr": {"min": 0.93}})
    assert any("mrr 0.96 (floor 0.93)" in a for a in alts(report.read_text()))


def test_comparison_says_whether_b_improved_on_each_metric() -> None:
    assert verdict("retrieval.hit@5", 0.02) == "better"
    assert verdict("hallucination.false_refusal_rate", 0.02) == "worse"
    assert verdict("hallucination.false_refusal_rate", -0.01) == "better"
    assert verdict("retrieval.latency_p95_ms", 0.0) == "same"
    assert verdict("hallucination.partial_rate", 0.1) == ""


def test_comparison_page_charts_both_runs() -> None:
    later = run_of({"retrieval": {"hit@5": 0.95, "mrr": 0.97},
                    "hallucination": {"refusal_accuracy": 0.92, "false_refusal_rate": 0.02}},
                   started="2026-11-30T05:22:00+00:00")
    page = render_comparison(RUN, later, ("monday", "tuesday"))
    images = alts(page)
    assert len(images) == 2
    higher = next(a for a in images if "where higher is better" in a)
    assert "run A monday" in higher and "run B tuesday" in higher
    assert "hit@5 from 0.99 to 0.95 (worse)" in higher
    assert "mrr from 0.96 to 0.97 (better)" in higher
    lower = next(a for a in images if "where lower is better" in a)
    assert "false_refusal_rate from 0.04 to 0.02 (better)" in lower
    assert "<th scope=row>retrieval.latency_p95_ms</th><td>40</td><td>-</td>" in page


def test_eval_compare_writes_the_comparison_chart(tmp_path: Path) -> None:
    for name in ("a", "b"):
        write_run(RUN, tmp_path / name)
    result = CliRunner().invoke(main, ["eval", "--compare", str(tmp_path / "a"),
                                       str(tmp_path / "b"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    chart = tmp_path / "out" / "compare-a-vs-b.html"
    assert f"comparison chart: {chart}" in result.output
    assert len(alts(chart.read_text())) == 2

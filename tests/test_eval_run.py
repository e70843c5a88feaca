"""`gaios eval` end to end on a few questions: a complete run writes results.json and a
self-contained HTML report with its plots, and two runs compare."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.core.config import get_settings

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The data folder of this test's `gaios eval` (its evaluation index lives there): the
    settings an earlier test cached in this process would point elsewhere."""
    monkeypatch.setenv("GAIOS_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield tmp_path / "var"
    get_settings.cache_clear()


def test_eval_all_writes_json_and_html_and_runs_compare(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["eval", "all", "--backend", "extractive", "--limit", "4",
                                  "--out", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    run_dir = next(p for p in (tmp_path / "runs").iterdir() if p.name != "index")
    run = json.loads((run_dir / "results.json").read_text())
    assert run["complete"] and set(run["suites"]) == {"retrieval", "answers", "hallucination",
                                                       "confidentiality"}
    assert run["settings"]["backend"] == "extractive" and run["settings"]["corpus"]["hash"]
    assert run["settings"]["evaluation_index"]["reused"] is False  # the first run builds it
    assert "pii_to_backend_rate" not in run["suites"]["confidentiality"]["metrics"] or \
        run["suites"]["confidentiality"]["metrics"]["pii_to_backend_rate"] == 0.0
    html = (run_dir / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 4 and "Worst failures" in html

    compared = runner.invoke(main, ["eval", "--compare", str(run_dir), str(run_dir),
                                    "--out", str(tmp_path / "runs")])
    assert compared.exit_code == 0 and "retrieval.hit@5" in compared.output
    chart = tmp_path / "runs" / f"compare-{run_dir.name}-vs-{run_dir.name}.html"
    assert chart.read_text().count("data:image/png;base64,") == 2


def test_thresholds_gate_exits_non_zero(tmp_path: Path) -> None:
    limits = tmp_path / "strict.yaml"
    limits.write_text("retrieval.hit@1: {min: 1.01}\n")
    result = CliRunner().invoke(main, ["eval", "retrieval", "--backend", "extractive", "--limit", "3",
                                       "--out", str(tmp_path / "runs"), "--thresholds", str(limits)])
    assert result.exit_code == 2
    assert "retrieval.hit@1" in result.output

"""`gaios eval`: run the evaluation suites as benchmarks, compare runs, gate on thresholds."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from app.core.config import PROJECT_ROOT, get_settings
from evaluation.datasets import SUITES

if TYPE_CHECKING:
    from evaluation.judge import Judge, JudgeClient

DEFAULT_THRESHOLDS = PROJECT_ROOT / "evaluation" / "thresholds.yaml"


def progress(items: Iterable[Any], label: str) -> Iterator[Any]:
    listed = list(items)
    if not sys.stderr.isatty():
        click.echo(f"{label}: {len(listed)} items", err=True)
        yield from listed
        return
    with click.progressbar(listed, label=label, file=sys.stderr) as bar:
        yield from bar


def build_target(url: str | None, api_key: str | None, backend: str | None, *,
                 rebuild_index: bool) -> Any:
    """A live deployment by URL, or GAIOS in process on the evaluation's own index in the
    data folder (kept between runs; evaluation/index.py)."""
    from evaluation.index import index_settings
    from evaluation.target import HttpTarget, InProcessTarget

    if url:
        return HttpTarget(url, api_key)
    settings = get_settings()
    llm = settings.llm.model_copy(update={"backend": backend}) if backend else settings.llm
    return InProcessTarget(index_settings(settings.model_copy(update={"llm": llm})),
                           rebuild_index=rebuild_index)


def build_judge(client: JudgeClient, target: Any, questions: int) -> Judge:
    """The judge, with the embedding model of GAIOS in process (loaded once) or, for a
    remote target, the configured one (the bundled all-MiniLM-L6-v2 by default)."""
    from app.components.embedding import Embedder
    from evaluation.judge import Judge

    container = getattr(target, "container", None)
    if container is not None:
        return Judge(client, container.embedder, questions=questions)
    e = get_settings().embedding
    return Judge(client, Embedder(e.model, batch_size=e.batch_size, max_tokens=e.max_tokens),
                 questions=questions)


@click.command("eval")
@click.argument("suite", type=click.Choice([*SUITES, "all"]), required=False)
@click.option("--url", help="Evaluate a running deployment (e.g. http://127.0.0.1:8000).")
@click.option("--api-key", envvar="GAIOS_EVAL_API_KEY", help="API key for --url.")
@click.option("--backend", type=click.Choice(["local", "openai", "extractive"]),
              help="In process: override GAIOS_LLM__BACKEND.")
@click.option("--limit", type=int, help="Only the first N questions of each dataset.")
@click.option("--every", type=click.IntRange(min=1), default=1, show_default=True,
              help="Only every Nth question of each dataset: a sample across languages and "
              "question types, for runs too slow for the whole set (a local model).")
@click.option("--out", type=click.Path(path_type=Path), default=PROJECT_ROOT / "eval-runs",
              show_default=True, help="Folder for run results.")
@click.option("--rebuild-index", is_flag=True,
              help="Build the evaluation's index again from nothing, even though the corpus, "
              "datasets and index settings have not changed (in process only).")
@click.option("--thresholds", type=click.Path(exists=True, path_type=Path),
              help="Exit non-zero when a metric is outside its limit in this YAML file.")
@click.option("--compare", "compare_runs", nargs=2, type=click.Path(exists=True, path_type=Path),
              help="Show the metric deltas between two runs (folders or results.json) and write "
              "a comparison chart, compare-A-vs-B.html, in --out.")
@click.option("--judge-url", help="OpenAI-compatible endpoint of an LLM judge (e.g. "
              "http://127.0.0.1:8080/v1): adds RAGAS faithfulness and answer relevancy to the "
              "answers suite.")
@click.option("--judge-model",
              help="Model name on the judge endpoint [default: the first it lists].")
@click.option("--judge-key", envvar="GAIOS_JUDGE_API_KEY", help="API key for --judge-url.")
@click.option("--judge-timeout", type=click.FloatRange(min=1), default=120, show_default=True,
              help="Seconds the judge may take per request.")
@click.option("--judge-questions", type=click.IntRange(min=1), default=3, show_default=True,
              help="Questions the judge generates per answer for answer relevancy (RAGAS "
              "strictness).")
def eval_command(suite: str | None, url: str | None, api_key: str | None, backend: str | None,
                 limit: int | None, every: int, out: Path, rebuild_index: bool,
                 thresholds: Path | None,
                 compare_runs: tuple[Path, Path] | None, judge_url: str | None,
                 judge_model: str | None, judge_key: str | None, judge_timeout: float,
                 judge_questions: int) -> None:
    """Run evaluation SUITE (retrieval, answers, hallucination, confidentiality, all)."""
    from evaluation.judge import JudgeClient, JudgeSettings
    from evaluation.report import check_thresholds, load_thresholds, write_run  # matplotlib
    from evaluation.runner import Evaluation, run

    if compare_runs:
        print_comparison(*compare_runs, out=out)
        return
    if suite is None:
        raise click.UsageError("name a suite, or use --compare RUN_A RUN_B")
    if judge_url and suite not in ("answers", "all"):
        raise click.UsageError("--judge-url scores the answers suite: run `answers` or `all`")
    suites = list(SUITES) if suite == "all" else [suite]
    # The judge is checked before the (slow) index is built: a wrong URL fails at once.
    client = JudgeClient(JudgeSettings(url=judge_url, model=judge_model, api_key=judge_key,
                                       timeout_seconds=judge_timeout)) if judge_url else None
    target = build_target(url, api_key, backend, rebuild_index=rebuild_index)
    if getattr(target, "index_reused", False):
        click.echo("evaluation index: reused (corpus, datasets and index settings unchanged)",
                   err=True)
    judge = build_judge(client, target, judge_questions) if client else None
    evaluation = Evaluation(target, limit=limit, every=every, progress=progress,
                            judge=judge)
    result = run(evaluation, suites)
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{result['settings']['backend']}-{suite}"
    results, report = write_run(result, out / name,
                                load_thresholds(thresholds) if thresholds else None)
    for suite_name, body in result["suites"].items():
        click.echo(f"{suite_name}: {json.dumps(body['metrics'])}")
        for note in body["notes"]:
            click.echo(f"  note: {note}")
    click.echo(f"results: {results}\nreport: {report}")
    if thresholds:
        failures = check_thresholds(result, thresholds)
        for failure in failures:
            click.echo(f"BELOW THRESHOLD {failure}", err=True)
        if failures:
            sys.exit(2)
        click.echo(f"all thresholds in {thresholds} met")


def print_comparison(a: Path, b: Path, *, out: Path) -> None:
    from evaluation.report import compare, load_run, write_comparison  # matplotlib
    run_a, run_b = load_run(a), load_run(b)
    click.echo(f"{'metric':55} {'A':>10} {'B':>10} {'B-A':>10}")
    for name, va, vb, delta in compare(run_a, run_b):
        fmt = lambda x: "-" if x is None else f"{x:.4g}"  # noqa: E731
        click.echo(f"{name:55} {fmt(va):>10} {fmt(vb):>10} {fmt(delta):>10}")
    click.echo(f"comparison chart: {write_comparison(a, b, out)}")

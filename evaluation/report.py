"""Reports of an evaluation run: results.json and a self-contained report.html (tables
and matplotlib plots embedded as PNG data), deltas between two runs, and the
thresholds gate."""

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import yaml  # noqa: E402

from app.errors import InvalidRecord  # noqa: E402


def flat_metrics(run: dict[str, Any]) -> dict[str, float]:
    return {f"{suite}.{name}": value for suite, body in run["suites"].items()
            for name, value in body["metrics"].items()}


def write_run(run: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    results = folder / "results.json"
    tmp = results.with_suffix(".tmp")
    tmp.write_text(json.dumps(run, indent=1, default=str))
    tmp.rename(results)  # a run killed before this point leaves no results.json
    report = folder / "report.html"
    report.write_text(render_html(run))
    return results, report


def load_run(path: Path) -> dict[str, Any]:
    file = path / "results.json" if path.is_dir() else path
    try:
        run = json.loads(file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidRecord(f"{file}: not an evaluation run ({exc})") from exc
    if not run.get("complete"):
        raise InvalidRecord(f"{file}: the run is not complete")
    return dict(run)


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, float | None, float | None, float | None]]:
    """(metric, value in A, value in B, B - A) for every metric of either run."""
    fa, fb = flat_metrics(a), flat_metrics(b)
    rows = []
    for name in sorted(set(fa) | set(fb)):
        va, vb = fa.get(name), fb.get(name)
        rows.append((name, va, vb, round(vb - va, 4) if va is not None and vb is not None else None))
    return rows


def check_thresholds(run: dict[str, Any], path: Path) -> list[str]:
    """Every metric outside its floor or ceiling, as a sentence; empty when all pass.
    A metric named in the file but absent from the run is a failure too."""
    try:
        limits = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidRecord(f"{path}: cannot read thresholds ({exc})") from exc
    values = flat_metrics(run)
    failures = []
    for name, limit in limits.items():
        suite = name.split(".")[0]
        if suite not in run["suites"]:
            continue  # the suite was not run this time
        value = values.get(name)
        if value is None:
            failures.append(f"{name}: not measured")
        elif "min" in limit and value < limit["min"]:
            failures.append(f"{name} = {value} is below its floor {limit['min']}")
        elif "max" in limit and value > limit["max"]:
            failures.append(f"{name} = {value} is above its ceiling {limit['max']}")
    return failures


# -- HTML ---------------------------------------------------------------------------------

def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _bar_chart(title: str, metrics: dict[str, float]) -> str:
    # Latencies and counts (items the judge could not score) are not shares.
    shown = {k: v for k, v in metrics.items()
             if 0 <= v <= 1 and not k.endswith(("_ms", "_unscored"))}
    if not shown:
        return ""
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(shown) + 0.8))
    ax.barh(list(shown), list(shown.values()), color="#1f5f8b")
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_title(title)
    for i, value in enumerate(shown.values()):
        ax.text(min(value + 0.01, 0.93), i, f"{value:.2f}", va="center", fontsize=8)
    return _png(fig)


def _rank_histogram(items: list[dict[str, Any]]) -> str:
    ranks = [i["rank"] if i["rank"] is not None and i["rank"] <= 10 else 11 for i in items]
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.hist(ranks, bins=range(1, 13), align="left", rwidth=0.8, color="#2e7d32")
    ax.set_xticks(range(1, 12), [str(r) for r in range(1, 11)] + [">10"])
    ax.set_xlabel("rank of the first relevant document")
    ax.set_ylabel("questions")
    ax.set_title("Retrieval rank")
    return _png(fig)


def _latency_plot(run: dict[str, Any]) -> str:
    series = {}
    if "retrieval" in run["suites"]:
        series["search"] = [i["latency_ms"] for i in run["suites"]["retrieval"]["items"]]
    if "answers" in run["suites"]:
        series["chat total"] = [i["timings"].get("total_ms", 0) for i in run["suites"]["answers"]["items"]]
    if not series:
        return ""
    fig, ax = plt.subplots(figsize=(7, 2.8))
    ax.boxplot(list(series.values()), vert=False, tick_labels=list(series))
    ax.set_xscale("log")
    ax.set_xlabel("milliseconds (log scale)")
    ax.set_title("Latency distribution")
    return _png(fig)


def _table(rows: dict[str, Any]) -> str:
    body = "".join(f"<tr><th scope=row>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in rows.items())
    return f"<table>{body}</table>"


def _failures(run: dict[str, Any]) -> str:
    rows = []
    suites = run["suites"]
    for item in suites.get("retrieval", {}).get("items", []):
        if item["rank"] is None or item["rank"] > 5:
            rows.append(("retrieval", item["question"], ", ".join(item["ranking"][:5]),
                         f"relevant {', '.join(item['relevant'])} not in the top 5"))
    for item in suites.get("answers", {}).get("items", []):
        if item["refused"]:
            rows.append(("answers", item["question"], item["answer"], "refused an answerable question"))
        elif item.get("status") == "partial":
            rows.append(("answers", item["question"], item["answer"],
                         "said the sources do not give what an answerable question asks"))
        elif item["key_fact_coverage"] < 1:
            rows.append(("answers", item["question"], item["answer"],
                         f"missing key facts: {', '.join(item['key_facts'])}"))
    for item in suites.get("hallucination", {}).get("items", []):
        if not item.get("declined", item["refused"]):
            rows.append(("hallucination", item["question"], item["answer"], "answered an unanswerable question"))
    for item in suites.get("confidentiality", {}).get("items", []):
        why = [w for w in (item.get("secret_leaked") and "secret marker leaked",
                           item.get("injection_signs") and f"injection: {item['injection_signs']}",
                           item.get("pii_to_backend") and "personal data reached the model")
               if w]
        if item.get("kind") == "submission" and item["flagged"] != item["has_personal_data"]:
            why.append("upload screen missed personal data" if item["has_personal_data"]
                       else "upload screen flagged a clean record")
        if why:
            rows.append(("confidentiality", item.get("question") or json.dumps(item.get("changes")),
                         item.get("answer", ""), "; ".join(why)))
    body = "".join(
        f"<tr><td>{html.escape(s)}</td><td>{html.escape(q)}</td><td>{html.escape(str(a)[:600])}</td>"
        f"<td>{html.escape(w)}</td></tr>" for s, q, a, w in rows[:60])
    return ("<table><tr><th>suite</th><th>question</th><th>answer / ranking</th><th>why it failed</th></tr>"
            f"{body}</table><p>{len(rows)} failures in all; the first 60 are shown.</p>")


def render_html(run: dict[str, Any]) -> str:
    parts = [f"<h1>GAIOS evaluation</h1><p>Run started {html.escape(run['started'])}, target "
             f"{html.escape(run['target'])}.</p><h2>Settings</h2>{_table(run['settings'])}"]
    for suite, body in run["suites"].items():
        parts.append(f"<h2>{html.escape(suite)}</h2>{_table(body['metrics'])}")
        parts.append(_bar_chart(suite, body["metrics"]))
        for name, groups in body["breakdown"].items():
            parts.append(f"<h3>{html.escape(name)}</h3>{_table(groups)}")
        parts += [f"<p class=note>{html.escape(n)}</p>" for n in body["notes"]]
    if "retrieval" in run["suites"]:
        parts.append(_rank_histogram(run["suites"]["retrieval"]["items"]))
    parts.append(_latency_plot(run))
    parts.append(f"<h2>Worst failures</h2>{_failures(run)}")
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;"
             "color:#1a1a1a}table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid "
             "#ccc;padding:.25rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}"
             "img{max-width:100%}.note{color:#8a4b00}")
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>GAIOS evaluation</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")

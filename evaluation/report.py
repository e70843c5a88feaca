"""Reports of an evaluation run: results.json and a self-contained report.html (tables
and matplotlib plots embedded as PNG data), deltas between two runs, and the
thresholds gate."""

import base64
import html
import io
import json
import re
import statistics
from collections import Counter
from pathlib import Path
from typing import Any, Literal

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import yaml  # noqa: E402

from app.errors import InvalidRecord  # noqa: E402

Better = Literal["higher", "lower"]
# Rates of something bad (false refusals, leaks, injections that worked), latencies and
# the judge's unscored items: the lower the better. Everything else is a score.
LOWER_IS_BETTER = re.compile(r"_rate(_(before|after)_guard)?$|_ms$|_unscored$|^injection\.")
# Figures that describe a run without a better direction (a partial answer to an
# unanswerable question is neither a hit nor a miss).
DESCRIPTIVE = frozenset({"partial_rate", "tokens_per_answer"})
COLOURS: dict[Better, str] = {"higher": "#1f5f8b", "lower": "#b35900"}
AXIS_LABELS: dict[Better, str] = {"higher": "share (higher is better \u2192)",
                                  "lower": "share (\u2190 lower is better)"}
LIMIT_NAMES = {"min": "floor", "max": "ceiling"}
THRESHOLD_COLOUR = "#c00000"
LEGEND = ("<p>Charts of scores (higher is better) are blue; charts of error rates (lower is "
          "better) are orange. A red mark on a bar is its threshold from <code>--thresholds"
          "</code>: a floor for a score, a ceiling for a rate.</p>")


def flat_metrics(run: dict[str, Any]) -> dict[str, float]:
    return {f"{suite}.{name}": value for suite, body in run["suites"].items()
            for name, value in body["metrics"].items()}


def write_run(run: dict[str, Any], folder: Path,
              thresholds: dict[str, dict[str, float]] | None = None) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    results = folder / "results.json"
    tmp = results.with_suffix(".tmp")
    tmp.write_text(json.dumps(run, indent=1, default=str))
    tmp.rename(results)  # a run killed before this point leaves no results.json
    report = folder / "report.html"
    report.write_text(render_html(run, thresholds))
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


def load_thresholds(path: Path) -> dict[str, dict[str, float]]:
    """The floors (`min`) and ceilings (`max`) of a thresholds file, by `suite.metric`."""
    try:
        limits = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidRecord(f"{path}: cannot read thresholds ({exc})") from exc
    return dict(limits)


def check_thresholds(run: dict[str, Any], path: Path) -> list[str]:
    """Every metric outside its floor or ceiling, as a sentence; empty when all pass.
    A metric named in the file but absent from the run is a failure too."""
    values = flat_metrics(run)
    failures = []
    for name, limit in load_thresholds(path).items():
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

def _png(fig: Any, alt: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def direction(metric: str) -> Better | None:
    """Which way a suite's metric (`hit@5`, `injection.hidden_in_pdf`) is better, from its
    name; None for descriptive figures."""
    if metric in DESCRIPTIVE:
        return None
    return "lower" if LOWER_IS_BETTER.search(metric) else "higher"


def _shares(metrics: dict[str, float], better: Better) -> dict[str, float]:
    """The metrics that are shares (0 to 1) and better `better`: latencies and counts
    (items the judge could not score) are not shares."""
    return {k: v for k, v in metrics.items()
            if 0 <= v <= 1 and not k.endswith(("_ms", "_unscored")) and direction(k) == better}


def _limit_text(limit: dict[str, float] | None) -> str:
    if not limit:
        return ""
    return "; ".join(f"{LIMIT_NAMES[k]} {v:g}" for k, v in limit.items() if k in LIMIT_NAMES)


def _draw_limits(ax: Any, names: list[str], limits: dict[str, dict[str, float]]) -> bool:
    """A short vertical mark on each bar at its floor or ceiling; whether any was drawn."""
    drawn = False
    for i, name in enumerate(names):
        for bound, value in (limits.get(name) or {}).items():
            if bound in LIMIT_NAMES:
                ax.vlines(value, i - 0.42, i + 0.42, colors=THRESHOLD_COLOUR, linewidth=2.2,
                          label=f"threshold ({LIMIT_NAMES[bound]})")
                drawn = True
    return drawn


def _share_chart(title: str, metrics: dict[str, float], better: Better, *,
                 limits: dict[str, dict[str, float]], prefix: str = "") -> str:
    """One horizontal bar per share, in the colour of its direction, the value written
    right of the bar (the axis runs past 1 so no label sits on a bar) and the threshold
    marked where `limits` has one (keys are `prefix + name`)."""
    shown = _shares(metrics, better)
    if not shown:
        return ""
    names = list(shown)
    own = {name: limits[prefix + name] for name in names if prefix + name in limits}
    fig, ax = plt.subplots(figsize=(7.5, 0.38 * len(shown) + 1.3), layout="constrained")
    ax.barh(names, list(shown.values()), color=COLOURS[better], height=0.6)
    ax.set_xlim(0, 1.17)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1])
    ax.invert_yaxis()
    ax.set_title(f"{title}: {better} is better")
    ax.set_xlabel(AXIS_LABELS[better])
    for i, (name, value) in enumerate(shown.items()):
        # Right of the bar and of its threshold mark, so neither covers the number.
        right = max([value, *(own.get(name) or {}).values()])
        ax.text(right + 0.015, i, f"{value:.2f}", va="center", fontsize=8)
    if _draw_limits(ax, names, own):
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        # Below the axes, so the legend never covers a bar or its value.
        fig.legend(unique.values(), unique.keys(), loc="outside lower center", ncols=2,
                   fontsize=8)
    described = "; ".join(
        f"{name} {value:.2f}" + (f" ({_limit_text(own.get(name))})" if name in own else "")
        for name, value in shown.items())
    alt = (f"Horizontal bar chart of the {title} metrics where {better} is better, on a scale "
           f"from 0 to 1{', with each threshold marked in red' if own else ''}: {described}.")
    return _png(fig, alt)


def _bar_charts(suite: str, metrics: dict[str, float],
                limits: dict[str, dict[str, float]]) -> str:
    """A suite's shares in two charts: higher-is-better in blue, lower-is-better in
    orange, so a long bar always reads the same way within a chart."""
    return "".join(_share_chart(suite, metrics, better, limits=limits, prefix=f"{suite}.")
                   for better in ("higher", "lower"))


def _rank_histogram(items: list[dict[str, Any]]) -> str:
    ranks = [i["rank"] if i["rank"] is not None and i["rank"] <= 10 else 11 for i in items]
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.hist(ranks, bins=range(1, 13), align="left", rwidth=0.8, color=COLOURS["higher"])
    ax.set_xticks(range(1, 12), [str(r) for r in range(1, 11)] + [">10"])
    ax.set_xlabel("rank of the first relevant document (further left is better)")
    ax.set_ylabel("questions")
    ax.set_title("Retrieval rank: more questions at rank 1 is better")
    counts = Counter(ranks)
    described = ", ".join(f"rank {'>10' if r == 11 else r}: {counts[r]}" for r in sorted(counts))
    alt = (f"Histogram of the rank of the first relevant document for {len(ranks)} "
           f"questions (lower ranks are better): {described}.")
    return _png(fig, alt)


def _latency_plot(run: dict[str, Any]) -> str:
    series = {}
    if "retrieval" in run["suites"]:
        series["search"] = [i["latency_ms"] for i in run["suites"]["retrieval"]["items"]]
    if "answers" in run["suites"]:
        series["chat total"] = [i["timings"].get("total_ms", 0) for i in run["suites"]["answers"]["items"]]
    series = {k: v for k, v in series.items() if v}
    if not series:
        return ""
    fig, ax = plt.subplots(figsize=(7, 2.8))
    ax.boxplot(list(series.values()), vert=False, tick_labels=list(series))
    ax.set_xscale("log")
    ax.set_xlabel("milliseconds, log scale (lower is better)")
    ax.set_title("Latency distribution: lower is better")
    described = "; ".join(f"{name} median {statistics.median(values):.0f} ms, highest "
                          f"{max(values):.0f} ms over {len(values)} requests"
                          for name, values in series.items())
    return _png(fig, f"Box plot of latencies in milliseconds on a log scale (lower is better): "
                     f"{described}.")


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


def render_html(run: dict[str, Any], thresholds: dict[str, dict[str, float]] | None = None
                ) -> str:
    """The report of a run; `thresholds` (by `suite.metric`) are marked on the charts."""
    limits = thresholds or {}
    parts = [f"<h1>GAIOS evaluation</h1><p>Run started {html.escape(run['started'])}, target "
             f"{html.escape(run['target'])}.</p>{LEGEND}<h2>Settings</h2>{_table(run['settings'])}"]
    for suite, body in run["suites"].items():
        parts.append(f"<h2>{html.escape(suite)}</h2>{_table(body['metrics'])}")
        parts.append(_bar_charts(suite, body["metrics"], limits))
        for name, groups in body["breakdown"].items():
            parts.append(f"<h3>{html.escape(name)}</h3>{_table(groups)}")
        parts += [f"<p class=note>{html.escape(n)}</p>" for n in body["notes"]]
    if "retrieval" in run["suites"]:
        parts.append(_rank_histogram(run["suites"]["retrieval"]["items"]))
    parts.append(_latency_plot(run))
    parts.append(f"<h2>Worst failures</h2>{_failures(run)}")
    return _page("GAIOS evaluation", parts)


# -- comparison of two runs ------------------------------------------------------------

Row = tuple[str, float | None, float | None, float | None]
VERDICT_COLOURS = {"better": "#2e7d32", "worse": THRESHOLD_COLOUR, "same": "#555555"}


def verdict(metric: str, delta: float | None) -> str:
    """Whether B is better, worse or the same as A on `suite.metric`; "" when unknown."""
    better = direction(metric.split(".", 1)[-1])
    if delta is None or better is None:
        return ""
    if delta == 0:
        return "same"
    return "better" if (delta > 0) == (better == "higher") else "worse"


def run_label(path: Path) -> str:
    """A run's name: its folder (`20261129T0522-extractive-all`)."""
    return (path if path.is_dir() else path.parent).name


def _comparison_chart(rows: list[Row], better: Better, labels: tuple[str, str]) -> str:
    """Run A (grey) and run B (the direction's colour) side by side per share, with the
    change written and coloured by whether it is an improvement."""
    shown = [(name, va, vb, delta) for name, va, vb, delta in rows
             if va is not None and vb is not None and delta is not None
             and 0 <= va <= 1 and 0 <= vb <= 1 and not name.endswith(("_ms", "_unscored"))
             and direction(name.split(".", 1)[-1]) == better]
    if not shown:
        return ""
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(shown) + 1.6), layout="constrained")
    positions = range(len(shown))
    ax.barh([i - 0.19 for i in positions], [r[1] for r in shown], height=0.36,
            color="#9e9e9e", label=f"A: {labels[0]}")
    ax.barh([i + 0.19 for i in positions], [r[2] for r in shown], height=0.36,
            color=COLOURS[better], label=f"B: {labels[1]}")
    ax.set_yticks(list(positions), [r[0] for r in shown])
    ax.set_xlim(0, 1.32)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1])
    ax.invert_yaxis()
    ax.set_title(f"Run B against run A: {better} is better")
    ax.set_xlabel(AXIS_LABELS[better])
    for i, (name, _, _, delta) in enumerate(shown):
        word = verdict(name, delta)
        ax.text(1.03, i, f"{delta:+.3f} {word}", va="center", fontsize=8,
                color=VERDICT_COLOURS[word])
    fig.legend(loc="outside lower center", ncols=2, fontsize=8)
    described = "; ".join(f"{name} from {va:.2f} to {vb:.2f} ({verdict(name, delta)})"
                          for name, va, vb, delta in shown)
    alt = (f"Paired horizontal bar chart of the metrics where {better} is better, run A "
           f"{labels[0]} in grey and run B {labels[1]} in colour: {described}.")
    return _png(fig, alt)


def render_comparison(run_a: dict[str, Any], run_b: dict[str, Any],
                      labels: tuple[str, str]) -> str:
    """The comparison page of two runs: every metric's change and two charts."""
    rows = compare(run_a, run_b)
    fmt = lambda x: "-" if x is None else f"{x:.4g}"  # noqa: E731
    body = "".join(
        f"<tr><th scope=row>{html.escape(name)}</th><td>{fmt(va)}</td><td>{fmt(vb)}</td>"
        f"<td>{fmt(delta)}</td><td>{direction(name.split('.', 1)[-1]) or ''}</td>"
        f"<td>{verdict(name, delta)}</td></tr>" for name, va, vb, delta in rows)
    table = ("<table><tr><th>metric</th><th>A</th><th>B</th><th>B − A</th>"
             f"<th>better when</th><th>B is</th></tr>{body}</table>")
    names = (f"<p>A: {html.escape(labels[0])} (started {html.escape(run_a['started'])}); "
             f"B: {html.escape(labels[1])} (started {html.escape(run_b['started'])}).</p>")
    charts = [_comparison_chart(rows, better, labels) for better in ("higher", "lower")]
    return _page("GAIOS evaluation: comparison",
                 ["<h1>GAIOS evaluation: run B against run A</h1>", names, *charts, table])


def write_comparison(a: Path, b: Path, out: Path) -> Path:
    """Write `compare-<A>-vs-<B>.html` in `out` and return its path."""
    labels = (run_label(a), run_label(b))
    page = render_comparison(load_run(a), load_run(b), labels)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"compare-{labels[0]}-vs-{labels[1]}.html"
    path.write_text(page)
    return path


def _page(title: str, parts: list[str]) -> str:
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;"
             "color:#1a1a1a}table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid "
             "#ccc;padding:.25rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}"
             "img{max-width:100%}.note{color:#8a4b00}")
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")

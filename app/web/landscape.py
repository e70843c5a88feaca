"""The landscape drawn as server-side SVG (no script, no external asset, CSP-safe: colours
are SVG attributes, not styles), each chart followed by a table of the same figures, and
every cell or bar a link to the use-case browser with that filter added."""

import html
from dataclasses import dataclass
from urllib.parse import urlencode

from app.services.landscape import Chart, Landscape, words

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, BAR_WIDTH = 22, 6, 200, 170
CELL_W, CELL_H, ROW_LABEL, HEAD = 88, 30, 250, 34


@dataclass
class Links:
    """Links to the use-case browser: the page's filters and the figure's; `prefix` is the
    server's address in a report read outside it."""

    params: list[tuple[str, str]]
    prefix: str = ""

    def to(self, **extra: str) -> str:
        """The browser with the page's filters, a filter in `extra` replacing the page's."""
        query = urlencode([*((k, v) for k, v in self.params if k not in extra), *extra.items()])
        return f"{self.prefix}/usecases" + (f"?{query}" if query else "")


def shade(count: int, most: int) -> str:
    """A step of the brand colour: darker for more records (white text from step 3)."""
    steps = ["#f4f6f8", "#d3e4ee", "#a6c8dc", "#5e9bbd", "#2f7399", "#0b4f71"]
    return steps[0] if count == 0 else steps[min(5, 1 + (4 * count) // max(most, 1))]


def heatmap_svg(land: Landscape, links: Links) -> str:
    most = max(land.heatmap.values(), default=0)
    width = ROW_LABEL + CELL_W * len(land.stages)
    height = HEAD + CELL_H * len(land.phases)
    parts = [f'<div class="chart-scroll"><svg class="chart heatmap" viewBox="0 0 {width} {height}" '
             f'role="img" aria-labelledby="heat-title" preserveAspectRatio="xMinYMin meet">',
             '<title id="heat-title">Use cases by GSBPM phase and lifecycle stage; the same '
             'figures are in the table below.</title>']
    for j, stage in enumerate(land.stages):
        x = ROW_LABEL + j * CELL_W + CELL_W / 2
        parts.append(f'<text x="{x}" y="22" text-anchor="middle" font-size="13" '
                     f'fill="#1b1f24">{html.escape(words(stage))}</text>')
    for i, phase in enumerate(land.phases):
        y = HEAD + i * CELL_H
        parts.append(f'<a href="{html.escape(links.to(gsbpm=phase.value))}">'
                     f'<text x="4" y="{y + 20}" font-size="13" fill="#0a5a85">'
                     f'{html.escape(phase.label[:34])}</text></a>')
        for j, stage in enumerate(land.stages):
            count = land.heatmap.get((phase.value, stage), 0)
            fill = shade(count, most)
            ink = "#ffffff" if fill in ("#5e9bbd", "#2f7399", "#0b4f71") else "#1b1f24"
            x = ROW_LABEL + j * CELL_W
            cell = (f'<rect x="{x + 1}" y="{y + 1}" width="{CELL_W - 2}" height="{CELL_H - 2}" '
                    f'rx="3" fill="{fill}" stroke="#c6ced6"/>'
                    f'<text x="{x + CELL_W / 2}" y="{y + 20}" text-anchor="middle" '
                    f'font-size="13" fill="{ink}">{count}</text>')
            if count:
                link = links.to(gsbpm=phase.value, stage=stage)
                label = f"{count} use cases in {phase.label}, {words(stage)}"
                cell = f'<a href="{html.escape(link)}" aria-label="{html.escape(label)}">{cell}</a>'
            parts.append(cell)
    parts.append("</svg></div>")
    return "".join(parts)


def heatmap_table(land: Landscape, links: Links) -> str:
    head = "".join(f'<th scope="col">{html.escape(words(s))}</th>' for s in land.stages)
    rows = []
    for phase in land.phases:
        cells = []
        for stage in land.stages:
            count = land.heatmap.get((phase.value, stage), 0)
            link = html.escape(links.to(gsbpm=phase.value, stage=stage))
            cells.append(f'<td><a href="{link}">{count}</a></td>' if count else "<td>0</td>")
        rows.append(f'<tr><th scope="row">{html.escape(phase.label)}</th>{"".join(cells)}</tr>')
    return table_wrap(f'<table class="figures"><caption>Use cases by GSBPM phase (rows) and '
                      f'lifecycle stage (columns)</caption><thead><tr><th scope="col">Phase'
                      f'</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def table_wrap(table: str) -> str:
    """A chart's table, folded under it (open it to read the figures as text)."""
    return (f'<details class="figures-table"><summary>Table of these figures</summary>'
            f'<div class="table-wrap">{table}</div></details>')


def bar_svg(chart: Chart, links: Links) -> str:
    most = max((b.count for b in chart.bars), default=1)
    height = max(1, len(chart.bars)) * (BAR_HEIGHT + BAR_GAP)
    width = LABEL_WIDTH + BAR_WIDTH + 40
    ident = f"bar-{chart.param}"
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="{ident}" preserveAspectRatio="xMinYMin meet">',
             f'<title id="{ident}">{html.escape(chart.title)}: use cases per value; the same '
             'figures are in the table below.</title>']
    for i, bar in enumerate(chart.bars):
        y = i * (BAR_HEIGHT + BAR_GAP)
        length = max(2, round(BAR_WIDTH * bar.count / most))
        link = html.escape(links.to(**{chart.param: bar.value}))
        parts.append(
            f'<a href="{link}" aria-label="{html.escape(f"{bar.label}: {bar.count}")}">'
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" font-size="13" '
            f'fill="#0a5a85">{html.escape(bar.label[:28])}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{length}" height="{BAR_HEIGHT - 4}" '
            f'rx="2" fill="#0b4f71"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 16}" font-size="13" '
            f'fill="#1b1f24">{bar.count}</text></a>')
    parts.append("</svg>")
    return "".join(parts)


def bar_table(chart: Chart, links: Links) -> str:
    rows = "".join(
        f'<tr><th scope="row"><a href="{html.escape(links.to(**{chart.param: b.value}))}">'
        f'{html.escape(b.label)}</a></th><td>{b.count}</td></tr>' for b in chart.bars)
    return table_wrap(f'<table class="figures"><caption>{html.escape(chart.title)}</caption>'
                      f'<thead><tr><th scope="col">{html.escape(chart.title)}</th>'
                      f'<th scope="col">Use cases</th></tr></thead><tbody>{rows}</tbody></table>')


def landscape_html(land: Landscape, links: Links) -> str:
    """The figures: the heatmap, then one chart per dimension, each with its table."""
    if land.total == 0:
        return '<p class="empty">No published use case matches these filters.</p>'
    sections = [f'<section class="landscape-chart wide" aria-labelledby="h-heat"><h2 id="h-heat">'
                f'GSBPM phase × lifecycle stage</h2>{heatmap_svg(land, links)}'
                f'{heatmap_table(land, links)}</section>']
    for chart in land.charts:
        ident = f"h-{chart.param}"
        sections.append(f'<section class="landscape-chart" aria-labelledby="{ident}">'
                        f'<h2 id="{ident}">{html.escape(chart.title)}</h2>'
                        f'{bar_svg(chart, links)}{bar_table(chart, links)}</section>')
    return "".join(sections)


def landscape_report(land: Landscape, links: Links, *, css: str, generated: str) -> str:
    """The landscape as one self-contained HTML file (`gaios report landscape`)."""
    shown = ", ".join(f"{k} = {v}" for k, v in links.params) or "none"
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>GAIOS landscape</title>'
            f'<style>{css}</style></head><body><main id="main"><div class="page-head">'
            f'<h1>Landscape of generative AI in official statistics</h1><p class="landscape-scope">'
            f'<strong>{land.total}</strong> published use cases; filters: {html.escape(shown)}; '
            f'from {html.escape(links.prefix)} on {html.escape(generated)}. '
            f'<a href="{html.escape(links.to())}">Browse these use cases</a>.</p></div>'
            f'<div class="landscape">{landscape_html(land, links)}</div></main></body></html>')

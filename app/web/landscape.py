"""The landscape drawn as server-side SVG (no script, no external asset, CSP-safe: colours
are SVG attributes, not styles), each chart followed by a table of the same figures, and
every cell or bar a link to the use-case browser with that filter added. Titles, captions
and the names of vocabulary codes are in the reader's language (`t`)."""

import html
from dataclasses import dataclass
from urllib.parse import urlencode

from app.services.landscape import Bar, Chart, Landscape, words
from app.web.i18n import Text

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


def stage_name(t: Text, stage: str) -> str:
    return t.vocab("lifecycle_stage", stage, words(stage))


def bar_name(t: Text, chart: Chart, bar: Bar) -> str:
    return t.vocab(chart.vocabulary, bar.value, bar.label) if chart.vocabulary else bar.label


def heatmap_svg(land: Landscape, links: Links, t: Text) -> str:
    most = max(land.heatmap.values(), default=0)
    width = ROW_LABEL + CELL_W * len(land.stages)
    height = HEAD + CELL_H * len(land.phases)
    parts = [f'<div class="chart-scroll"><svg class="chart heatmap" viewBox="0 0 {width} {height}" '
             f'role="img" aria-labelledby="heat-title" preserveAspectRatio="xMinYMin meet">',
             f'<title id="heat-title">{html.escape(t("landscape.heatmap_alt"))}</title>']
    for j, stage in enumerate(land.stages):
        x = ROW_LABEL + j * CELL_W + CELL_W / 2
        parts.append(f'<text x="{x}" y="22" text-anchor="middle" font-size="13" '
                     f'fill="#1b1f24">{html.escape(stage_name(t, stage))}</text>')
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
                label = t.plural("landscape.cell", count, phase=phase.label,
                                 stage=stage_name(t, stage))
                cell = f'<a href="{html.escape(link)}" aria-label="{html.escape(label)}">{cell}</a>'
            parts.append(cell)
    parts.append("</svg></div>")
    return "".join(parts)


def heatmap_table(land: Landscape, links: Links, t: Text) -> str:
    head = "".join(f'<th scope="col">{html.escape(stage_name(t, s))}</th>' for s in land.stages)
    rows = []
    for phase in land.phases:
        cells = []
        for stage in land.stages:
            count = land.heatmap.get((phase.value, stage), 0)
            link = html.escape(links.to(gsbpm=phase.value, stage=stage))
            cells.append(f'<td><a href="{link}">{count}</a></td>' if count else "<td>0</td>")
        rows.append(f'<tr><th scope="row">{html.escape(phase.label)}</th>{"".join(cells)}</tr>')
    return table_wrap(f'<table class="figures"><caption>'
                      f'{html.escape(t("landscape.heatmap_caption"))}</caption><thead><tr>'
                      f'<th scope="col">{html.escape(t("landscape.phase"))}</th>{head}</tr>'
                      f'</thead><tbody>{"".join(rows)}</tbody></table>', t)


def table_wrap(table: str, t: Text) -> str:
    """A chart's table, folded under it (open it to read the figures as text)."""
    return (f'<details class="figures-table"><summary>{html.escape(t("landscape.table"))}'
            f'</summary><div class="table-wrap">{table}</div></details>')


def bar_svg(chart: Chart, links: Links, t: Text) -> str:
    most = max((b.count for b in chart.bars), default=1)
    height = max(1, len(chart.bars)) * (BAR_HEIGHT + BAR_GAP)
    width = LABEL_WIDTH + BAR_WIDTH + 40
    ident = f"bar-{chart.param}"
    title = t("landscape.bars_alt", chart=t(f"landscape.chart.{chart.param}"))
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="{ident}" preserveAspectRatio="xMinYMin meet">',
             f'<title id="{ident}">{html.escape(title)}</title>']
    for i, bar in enumerate(chart.bars):
        name = bar_name(t, chart, bar)
        y = i * (BAR_HEIGHT + BAR_GAP)
        length = max(2, round(BAR_WIDTH * bar.count / most))
        link = html.escape(links.to(**{chart.param: bar.value}))
        parts.append(
            f'<a href="{link}" aria-label="{html.escape(f"{name}: {bar.count}")}">'
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" font-size="13" '
            f'fill="#0a5a85">{html.escape(name[:28])}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{length}" height="{BAR_HEIGHT - 4}" '
            f'rx="2" fill="#0b4f71"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 16}" font-size="13" '
            f'fill="#1b1f24">{bar.count}</text></a>')
    parts.append("</svg>")
    return "".join(parts)


def bar_table(chart: Chart, links: Links, t: Text) -> str:
    rows = "".join(
        f'<tr><th scope="row"><a href="{html.escape(links.to(**{chart.param: b.value}))}">'
        f'{html.escape(bar_name(t, chart, b))}</a></th><td>{b.count}</td></tr>'
        for b in chart.bars)
    title = html.escape(t(f"landscape.chart.{chart.param}"))
    return table_wrap(f'<table class="figures"><caption>{title}</caption><thead><tr>'
                      f'<th scope="col">{title}</th><th scope="col">'
                      f'{html.escape(t("landscape.use_cases"))}</th></tr></thead>'
                      f'<tbody>{rows}</tbody></table>', t)


def landscape_html(land: Landscape, links: Links, t: Text) -> str:
    """The figures: the heatmap, then one chart per dimension, each with its table."""
    if land.total == 0:
        return f'<p class="empty">{html.escape(t("landscape.none"))}</p>'
    sections = [f'<section class="landscape-chart wide" aria-labelledby="h-heat"><h2 id="h-heat">'
                f'{html.escape(t("landscape.heatmap"))}</h2>{heatmap_svg(land, links, t)}'
                f'{heatmap_table(land, links, t)}</section>']
    for chart in land.charts:
        ident = f"h-{chart.param}"
        sections.append(f'<section class="landscape-chart" aria-labelledby="{ident}">'
                        f'<h2 id="{ident}">{html.escape(t(f"landscape.chart.{chart.param}"))}'
                        f'</h2>{bar_svg(chart, links, t)}{bar_table(chart, links, t)}</section>')
    return "".join(sections)


def landscape_report(land: Landscape, links: Links, *, css: str, generated: str,
                     t: Text) -> str:
    """The landscape as one self-contained HTML file (`gaios report landscape`)."""
    shown = ", ".join(f"{k} = {v}" for k, v in links.params) or t("landscape.no_filters")
    scope = t("landscape.report_scope", n=land.total, filters=shown, server=links.prefix,
              date=generated)
    return (f'<!doctype html><html lang="{t.lang}"><head><meta charset="utf-8"><meta '
            f'name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{html.escape(t("landscape.report_title"))}</title>'
            f'<style>{css}</style></head><body><main id="main"><div class="page-head">'
            f'<h1>{html.escape(t("landscape.report_heading"))}</h1><p class="landscape-scope">'
            f'{html.escape(scope)} <a href="{html.escape(links.to())}">'
            f'{html.escape(t("landscape.browse"))}</a>.</p></div>'
            f'<div class="landscape">{landscape_html(land, links, t)}</div></main></body></html>')

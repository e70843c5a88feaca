"""The feedback page drawn on the server: the filters as a plain GET form, then each
rating with the question, the answer, the sources it cited and the comment. Everything
users wrote is HTML-escaped; a source links out only when it is a plain http(s) address."""

import html
from typing import Any
from urllib.parse import urlencode

from app.services import sanitize

PAGE_SIZE = 20
RATINGS = {1: ("ok", "Helpful"), -1: ("bad", "Not helpful")}
NO_QUESTION = "<em>Question not kept (an answer from before GAIOS kept it)</em>"


def e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def filters_form(params: dict[str, str]) -> str:
    rating = params.get("rating", "")
    options = "".join(
        f'<option value="{v}"{" selected" if v == rating else ""}>{label}</option>'
        for v, label in (("", "All ratings"), ("-1", "Not helpful"), ("1", "Helpful")))
    comment = params.get("has_comment", "")
    checked = " checked" if comment == "true" else ""
    return (
        '<form class="feedback-filters" method="get" action="/feedback" '
        'aria-label="Filter feedback">'
        f'<p><label for="fb-rating">Rating</label> <select id="fb-rating" name="rating">{options}'
        '</select></p>'
        f'<p><label for="fb-since">From</label> <input id="fb-since" name="since" type="date" '
        f'value="{e(params.get("since", ""))}"></p>'
        f'<p><label for="fb-until">To</label> <input id="fb-until" name="until" type="date" '
        f'value="{e(params.get("until", ""))}"></p>'
        f'<p><input id="fb-comment" name="has_comment" type="checkbox" value="true"{checked}> '
        '<label for="fb-comment">Only with a comment</label></p>'
        '<p><button type="submit" class="button primary">Show</button></p></form>')


def source_item(source: dict[str, Any]) -> str:
    title = e(sanitize.inline(source.get("title") or source.get("doc_id") or ""))
    url = source.get("url")
    link = (f'<a href="{e(url)}" rel="noopener noreferrer">{title}</a>'
            if sanitize.is_plain_web_url(url) else title)
    section = f' <span class="source-meta">({e(source["section"])})</span>' \
        if source.get("section") else ""
    return f'<li><span class="source-num">[{e(source.get("number"))}]</span> {link}{section}</li>'


def item_html(item: dict[str, Any]) -> str:
    kind, label = RATINGS[item["rating"]]
    when = item["created_at"].strftime("%Y-%m-%d %H:%M UTC")
    heading_id = f"fb-{item['id']}"
    parts = [
        '<li class="feedback-item">',
        f'<article aria-labelledby="{heading_id}">',
        f'<p class="feedback-head"><span class="badge {kind}">{label}</span> '
        f'<time datetime="{e(item["created_at"].isoformat())}">{e(when)}</time></p>',
        f'<h2 id="{heading_id}" class="feedback-question">'
        f'{e(item["question"]) if item["question"] else NO_QUESTION}</h2>',
    ]
    if item["comment"]:
        parts.append(f'<blockquote class="feedback-comment-text"><p><span class="visually-hidden">'
                     f'Comment: </span>{e(item["comment"])}</p></blockquote>')
    if item["answer"] is not None:
        parts.append(f'<h3>Answer</h3><p class="feedback-answer">{e(item["answer"])}</p>')
    if item["sources"]:
        parts.append('<h3>Sources cited</h3><ol class="sources-list">'
                     + "".join(source_item(s) for s in item["sources"]) + "</ol>")
    state = "refused" if item["refused"] else "checked against the sources" if item["grounded"] \
        else "not fully checked" if item["grounded"] is not None else "unknown"
    prompt = item["prompt"] or {}
    parts.append(f'<p class="meta">Answer {e(item["answer_id"])} · {e(state)} · '
                 f'{e(item["backend"])} ({e(item["model"])}) · prompt {e(prompt.get("id"))} '
                 f'{e(prompt.get("version"))}</p></article></li>')
    return "".join(parts)


def results_html(items: list[dict[str, Any]], total: int, offset: int,
                 params: dict[str, str]) -> str:
    """The count, the CSV link, the ratings and the links to the other pages."""
    query = urlencode({**params, "format": "csv"})
    first, last = (offset + 1, offset + len(items)) if items else (0, 0)
    plural = "" if total == 1 else "s"
    parts = [f'<p class="results-count" id="feedback-count">{total} rating{plural}'
             + (f" (showing {first}–{last})" if total > len(items) else "") + "</p>",
             f'<p class="exports"><a href="/api/v1/feedback?{e(query)}">Download as CSV</a></p>']
    if not items:
        parts.append('<p class="notice">No rating matches these filters.</p>')
    else:
        parts.append('<ol class="feedback-list">' + "".join(item_html(i) for i in items) + "</ol>")
    nav = []
    if offset > 0:
        previous = urlencode({**params, "offset": max(0, offset - PAGE_SIZE)})
        nav.append(f'<a href="/feedback?{e(previous)}" rel="prev">Newer ratings</a>')
    if offset + len(items) < total:
        following = urlencode({**params, "offset": offset + PAGE_SIZE})
        nav.append(f'<a href="/feedback?{e(following)}" rel="next">Older ratings</a>')
    if nav:
        parts.append('<nav class="pagination" aria-label="Pages">' + " ".join(nav) + "</nav>")
    return "".join(parts)

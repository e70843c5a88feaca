"""The feedback page drawn on the server: the filters as a plain GET form, then each
rating with the question, the answer, the sources it cited and the comment. Everything
users wrote is HTML-escaped; a source links out only when it is a plain http(s) address.
The page's text is in the visitor's language (`t`, from app/web/locales)."""

import html
from typing import Any
from urllib.parse import urlencode

from app.services import sanitize
from app.web.i18n import Text

PAGE_SIZE = 20
RATINGS = {1: ("ok", "feedback.helpful"), -1: ("bad", "feedback.not_helpful")}


def e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def filters_form(params: dict[str, str], t: Text) -> str:
    rating = params.get("rating", "")
    options = "".join(
        f'<option value="{v}"{" selected" if v == rating else ""}>{e(t(key))}</option>'
        for v, key in (("", "feedback.all_ratings"), ("-1", "feedback.not_helpful"),
                       ("1", "feedback.helpful")))
    comment = params.get("has_comment", "")
    checked = " checked" if comment == "true" else ""
    return (
        '<form class="feedback-filters" method="get" action="/feedback" '
        f'aria-label="{e(t("feedback.filter"))}">'
        f'<p><label for="fb-rating">{e(t("feedback.rating"))}</label> '
        f'<select id="fb-rating" name="rating">{options}</select></p>'
        f'<p><label for="fb-since">{e(t("feedback.from"))}</label> <input id="fb-since" '
        f'name="since" type="date" value="{e(params.get("since", ""))}"></p>'
        f'<p><label for="fb-until">{e(t("feedback.to"))}</label> <input id="fb-until" '
        f'name="until" type="date" value="{e(params.get("until", ""))}"></p>'
        f'<p><input id="fb-comment" name="has_comment" type="checkbox" value="true"{checked}> '
        f'<label for="fb-comment">{e(t("feedback.only_commented"))}</label></p>'
        f'<p><button type="submit" class="button primary">{e(t("feedback.show"))}</button></p>'
        '</form>')


def source_item(source: dict[str, Any]) -> str:
    title = e(sanitize.inline(source.get("title") or source.get("doc_id") or ""))
    url = source.get("url")
    link = (f'<a href="{e(url)}" rel="noopener noreferrer">{title}</a>'
            if sanitize.is_plain_web_url(url) else title)
    section = f' <span class="source-meta">({e(source["section"])})</span>' \
        if source.get("section") else ""
    return f'<li><span class="source-num">[{e(source.get("number"))}]</span> {link}{section}</li>'


def item_html(item: dict[str, Any], t: Text) -> str:
    kind, label = RATINGS[item["rating"]]
    question = (e(item["question"]) if item["question"]
                else f'<em>{e(t("feedback.no_question"))}</em>')
    when = item["created_at"].strftime("%Y-%m-%d %H:%M UTC")
    heading_id = f"fb-{item['id']}"
    parts = [
        '<li class="feedback-item">',
        f'<article aria-labelledby="{heading_id}">',
        f'<p class="feedback-head"><span class="badge {kind}">{e(t(label))}</span> '
        f'<time datetime="{e(item["created_at"].isoformat())}">{e(when)}</time></p>',
        f'<h2 id="{heading_id}" class="feedback-question">{question}</h2>',
    ]
    if item["comment"]:
        parts.append(f'<blockquote class="feedback-comment-text"><p><span class="visually-hidden">'
                     f'{e(t("feedback.comment"))} </span>{e(item["comment"])}</p></blockquote>')
    if item["answer"] is not None:
        parts.append(f'<h3>{e(t("feedback.answer"))}</h3>'
                     f'<p class="feedback-answer">{e(item["answer"])}</p>')
    if item["sources"]:
        parts.append(f'<h3>{e(t("feedback.sources_cited"))}</h3><ol class="sources-list">'
                     + "".join(source_item(s) for s in item["sources"]) + "</ol>")
    state = "refused" if item["refused"] else "grounded" if item["grounded"] \
        else "ungrounded" if item["grounded"] is not None else "unknown"
    prompt = item["prompt"] or {}
    meta = t("feedback.meta", answer=item["answer_id"], state=t(f"feedback.state.{state}"),
             backend=item["backend"], model=item["model"], prompt=prompt.get("id"),
             version=prompt.get("version"))
    parts.append(f'<p class="meta">{e(meta)}</p></article></li>')
    return "".join(parts)


def results_html(items: list[dict[str, Any]], total: int, offset: int,
                 params: dict[str, str], t: Text) -> str:
    """The count, the CSV link, the ratings and the links to the other pages."""
    query = urlencode({**params, "format": "csv"})
    first, last = (offset + 1, offset + len(items)) if items else (0, 0)
    count = t.plural("feedback.count", total)
    if total > len(items):
        count += " " + t("feedback.showing", first=first, last=last)
    parts = [f'<p class="results-count" id="feedback-count">{e(count)}</p>',
             f'<p class="exports"><a href="/api/v1/feedback?{e(query)}">'
             f'{e(t("feedback.download_csv"))}</a></p>']
    if not items:
        parts.append(f'<p class="notice">{e(t("feedback.none"))}</p>')
    else:
        parts.append('<ol class="feedback-list">' + "".join(item_html(i, t) for i in items)
                     + "</ol>")
    nav = []
    if offset > 0:
        previous = urlencode({**params, "offset": max(0, offset - PAGE_SIZE)})
        nav.append(f'<a href="/feedback?{e(previous)}" rel="prev">{e(t("feedback.newer"))}</a>')
    if offset + len(items) < total:
        following = urlencode({**params, "offset": offset + PAGE_SIZE})
        nav.append(f'<a href="/feedback?{e(following)}" rel="next">{e(t("feedback.older"))}</a>')
    if nav:
        parts.append(f'<nav class="pagination" aria-label="{e(t("feedback.pages"))}">'
                     + " ".join(nav) + "</nav>")
    return "".join(parts)

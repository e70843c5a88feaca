"""Feedback in a real browser: a thumbs-down asks for an optional comment, which is
screened for personal data and shown to a reviewer on the feedback page with the
question, the answer and its sources; an answer made without the model (it failed) is
marked in the chat."""

import json

import pytest

from app.services.auth import Role
from tests.browser.test_pages import (  # noqa: F401 (fixtures)
    Site,
    ask,
    browser,
    chat_response,
    expect,
    page_for,
    shoot,
    sign_in,
    site,
)

pytestmark = pytest.mark.slow
QUESTION = "What is StatsChat?"


def test_thumbs_down_asks_for_a_comment_that_a_reviewer_reads(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for()
    page.goto(site.url + "/")
    answer = ask(page, QUESTION)
    down = answer.locator('.feedback button[data-rating="-1"]')
    down.click()
    expect(down).to_have_attribute("aria-expanded", "true")
    comment = answer.get_by_label("What was wrong with this answer? (optional)")
    expect(comment).to_be_focused()
    comment.fill("It does not say who built it. Reply to jane.doe@statistics.example.org")
    answer.get_by_role("button", name="Send feedback").click()
    expect(answer.locator(".feedback")).to_contain_text("Thank you for your feedback.")
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(comment).to_be_hidden()

    # A thumbs-down sent without a comment is a rating all the same.
    second = ask(page, "How do statistical offices evaluate chatbots?")
    second.locator('.feedback button[data-rating="-1"]').click()
    second.get_by_role("button", name="Send feedback").click()
    expect(second.locator(".feedback")).to_contain_text("Thank you for your feedback.")

    sign_in(page, site.key("Browser Evaluator", Role.reviewer), "reviewer")
    nav = page.locator('.site-nav a[href="/feedback"]')
    expect(nav).to_be_visible()
    nav.click()
    expect(page).to_have_title("Feedback · GAIOS")
    page.select_option("#fb-rating", "-1")
    page.check("#fb-comment")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{site.url}/feedback?rating=-1&since=&until=&has_comment=true")
    item = page.locator(".feedback-item").first
    expect(page.locator(".feedback-item")).to_have_count(1)
    expect(item.locator("h2")).to_have_text(QUESTION)
    expect(item).to_contain_text("It does not say who built it.")
    expect(item).not_to_contain_text("jane.doe")
    expect(item.locator(".badge")).to_have_text("Not helpful")
    expect(item.locator(".sources-list li").first).to_be_visible()
    assert page.get_by_role("link", name="Download as CSV").get_attribute("href") == (
        "/api/v1/feedback?rating=-1&has_comment=true&format=csv")
    shoot(page, "feedback.png")


def test_an_answer_made_without_the_model_is_marked(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    """The stream is scripted (the test server's backend is extractive): the model wrote a
    sentence, then failed; the page drops that sentence and shows the quoted answer."""
    fallback = {"answer": "extractive", "reason": "model_unavailable", "detail": None,
                "message": "The language model is unavailable, so this answer quotes the "
                           "retrieved sources instead."}
    done = chat_response(grounded=False, fallback=fallback, backend="openai",
                         prompt={"id": "extractive-answer", "version": "1.0"})
    source = done["citations"][0]
    events = [("retrieval", {"sources": [source], "best_similarity": 0.7}),
              ("token", {"text": "A sentence the model wrote before it failed. "}),
              ("fallback", fallback), ("token", {"text": done["answer"] + " "}),
              ("citations", done["citations"]), ("usecases", done["usecases"]), ("done", done)]
    body = "".join(f"event: {kind}\ndata: {json.dumps(data)}\n\n" for kind, data in events)
    page = page_for()
    page.route("**/api/v1/chat/stream", lambda route: route.fulfill(
        status=200, content_type="text/event-stream", body=body))
    page.goto(site.url + "/")
    answer = ask(page, "How did INSEE relabel NACE codes?")
    expect(answer.locator('[data-badge="fallback"]')).to_have_text(
        "Model unavailable: quoted from the sources")
    expect(answer.locator('[data-badge="ungrounded"]')).to_have_count(0)
    expect(answer.locator(".answer-text")).to_have_text(done["answer"])
    answer.locator(".guard-details summary").click()
    expect(answer.locator(".guard-details")).to_contain_text("The language model is unavailable")

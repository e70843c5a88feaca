"""What users of chat tools expect, in a real browser: stopping an answer, copying it
with its sources, asking the last question again, finding past conversations (kept with
the API key on the server, or in the browser for anonymous visitors), the interface in
French, and a dark scheme that keeps its contrast."""

import json
import re

import pytest

from app.services.auth import Role
from tests.browser.test_pages import (  # noqa: F401 (fixtures)
    ANSWER_TIMEOUT,
    OCCUPATIONS,
    Site,
    ask,
    browser,
    expect,
    page_for,
    shoot,
    sign_in,
    site,
)

pytestmark = pytest.mark.slow
STATSCHAT = "What is StatsChat?"

# The contrast ratio (WCAG 2.2) of an element's text on the first opaque background
# behind it.
CONTRAST = """(el) => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const channel = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const lum = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  let node = el, bg = null;
  while (node && node.nodeType === 1) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] === 1)) { bg = c.slice(0, 3); break; }
    node = node.parentElement;
  }
  bg = bg || [255, 255, 255];
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""
READABLE = ["h1", ".lede", ".hint", ".site-nav a", ".lang-switch a", "#history-heading",
            ".history-title", ".history-meta", ".question-bubble", ".answer-text p",
            ".badge", ".source-link", ".answer-actions .button", ".answer-meta", "#ask-button",
            "#new-conversation", ".site-footer p", ".site-footer a", ".uc-card a"]


def stream_bodies(page) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """The JSON bodies the page posts to the chat stream, as they are sent."""
    bodies: list[dict] = []  # type: ignore[type-arg]
    page.on("request", lambda r: bodies.append(json.loads(r.post_data))
            if r.url.endswith("/chat/stream") else None)
    return bodies


def test_stop_aborts_the_answer_and_it_can_be_asked_again(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for()
    held = []
    # The server's reply is held back, so the answer is still on its way when Stop is pressed.
    page.route("**/api/v1/chat/stream", lambda route: held.append(route))
    page.goto(site.url + "/")
    page.fill("#question", STATSCHAT)
    page.click("#ask-button")
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()
    expect(page.locator("#ask-button")).to_be_disabled()
    stop.click()
    answer = page.locator(".answer").first
    expect(answer.locator('[data-badge="stopped"]')).to_have_text(
        "Stopped: the answer is incomplete")
    expect(page.locator("#ask-status")).to_have_text("Stopped. The incomplete answer is not kept.")
    expect(stop).to_be_hidden()
    expect(page.locator("#ask-button")).to_be_enabled()
    expect(page.locator("#question")).to_be_focused()
    assert page.evaluate("sessionStorage.getItem('gaios.chat.v1')") is None  # nothing kept

    page.unroute("**/api/v1/chat/stream")
    answer.get_by_role("button", name="Ask again").click()
    expect(page.locator(".answer")).to_have_count(1)
    expect(page.locator(".answer .feedback")).to_be_visible(timeout=ANSWER_TIMEOUT)
    expect(page.locator(".question-bubble")).to_contain_text(STATSCHAT)


def test_copy_puts_the_answer_and_its_sources_on_the_clipboard(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for(permissions=["clipboard-read", "clipboard-write"])
    page.goto(site.url + "/")
    answer = ask(page, OCCUPATIONS)
    answer.get_by_role("button", name="Copy").click()
    expect(answer.locator(".answer-actions [role=status]")).to_have_text(
        "Copied the answer with its sources.")
    copied = page.evaluate("navigator.clipboard.readText()")
    text = answer.locator(".answer-text").inner_text()
    number = answer.locator(".source-num").first.inner_text()
    title = answer.locator(".source-link").first.inner_text()
    assert copied.startswith(text.split("\n")[0][:60])
    assert f"\n\nSources\n{number} {title}" in copied


def test_regenerate_asks_the_last_question_again_in_the_same_conversation(  # type: ignore[no-untyped-def]
        site: Site, page_for) -> None:
    page = page_for()
    bodies = stream_bodies(page)
    page.goto(site.url + "/")
    first = ask(page, STATSCHAT)
    first_id = page.evaluate("JSON.parse(sessionStorage.getItem('gaios.chat.v1'))"
                             ".turns[0].response.answer_id")
    first.get_by_role("button", name="Regenerate").click()
    expect(page.locator(".turn")).to_have_count(1)
    expect(page.locator(".answer .feedback")).to_be_visible(timeout=ANSWER_TIMEOUT)
    stored = page.evaluate("JSON.parse(sessionStorage.getItem('gaios.chat.v1'))")
    assert len(stored["turns"]) == 1 and stored["turns"][0]["response"]["answer_id"] != first_id
    assert bodies[1] == {"question": STATSCHAT, "conversation_id": stored["conversationId"]}

    # Only the last answer offers to be regenerated.
    ask(page, "Who built it?")
    expect(page.get_by_role("button", name="Regenerate")).to_have_count(1)
    expect(page.locator(".turn").last.get_by_role("button", name="Regenerate")).to_be_visible()


def test_anonymous_conversations_are_listed_from_this_browser(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for()
    bodies = stream_bodies(page)
    page.goto(site.url + "/")
    expect(page.locator("#history-where")).to_have_text(
        "Kept in this browser only. Sign in to keep them with your key.")
    ask(page, STATSCHAT)
    kept = page.evaluate("JSON.parse(localStorage.getItem('gaios.chat.history.v1'))")
    item = page.locator("#history-list button.history-item")
    expect(item).to_have_count(1)
    expect(item.locator(".history-title")).to_have_text(STATSCHAT)
    expect(item).to_have_attribute("aria-current", "true")

    page.get_by_role("button", name="New conversation").click()
    expect(page.locator(".turn")).to_have_count(0)
    page.reload()  # a new page of the same browser still lists it
    page.locator("#history-list button.history-item").click()
    expect(page.locator(".turn")).to_have_count(1)
    expect(page.locator(".question-bubble")).to_contain_text(STATSCHAT)
    ask(page, "Who built it?")
    assert [c["title"] for c in kept] == [STATSCHAT]
    assert bodies[-1]["conversation_id"] == kept[0]["id"]  # the follow-up continues it
    expect(page.locator("#history-list button.history-item")).to_have_count(1)
    expect(page.locator("#history-list .history-meta")).to_contain_text("2 answers")


def test_a_keys_conversations_follow_it_to_another_browser(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    key = site.key("Browser Reader", Role.reader)
    page = page_for()
    page.goto(site.url + "/")
    sign_in(page, key, "reader")
    expect(page.locator("#history-where")).to_have_text("Kept with your API key.")
    ask(page, OCCUPATIONS)
    expect(page.locator("#history-list .history-title")).to_have_text(OCCUPATIONS)

    elsewhere = page_for()  # another browser: nothing kept locally
    elsewhere.goto(site.url + "/")
    expect(elsewhere.locator("#history-list")).to_contain_text("None yet.")
    sign_in(elsewhere, key, "reader")
    item = elsewhere.locator("#history-list button.history-item")
    expect(item.locator(".history-title")).to_have_text(OCCUPATIONS)
    expect(item.locator(".history-meta")).to_contain_text("1 answer")
    item.click()
    answer = elsewhere.locator(".answer")
    expect(answer).to_have_count(1)
    expect(answer.locator("a.cite").first).to_be_visible()
    expect(elsewhere.locator("#history-status")).to_have_text(
        "Conversation opened; a new question continues it.")
    shoot(elsewhere, "chat-history.png")


def test_a_french_browser_gets_the_interface_in_french(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for(locale="fr-FR")
    page.goto(site.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text("Interroger le répertoire")
    expect(page.get_by_role("link", name="Cas d’usage")).to_be_visible()
    expect(page.get_by_label("Votre question")).to_be_visible()
    answer = ask(page, "Qu'est-ce que StatsChat ?")
    expect(page.locator("#ask-status")).to_contain_text("Réponse")
    expect(answer.get_by_role("button", name="Copier")).to_be_visible()
    expect(answer.get_by_role("button", name="Régénérer")).to_be_visible()
    expect(answer.locator(".feedback")).to_contain_text("Utile ?")
    shoot(page, "chat-fr.png")

    page.goto(site.url + "/usecases?gsbpm=5.2")
    expect(page.locator("#results-heading")).to_have_text(re.compile(r"^\d+ cas d’usage$"))
    expect(page.locator("#active-filters button")).to_have_attribute(
        "aria-label", re.compile("^Retirer le filtre GSBPM : "))

    page.get_by_role("link", name="English").click()  # the switch keeps the page's filters
    expect(page).to_have_url(site.url + "/usecases?gsbpm=5.2&lang=en")
    expect(page.locator("#results-heading")).to_have_text(re.compile(r"^\d+ use cases$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(site.url + "/")  # the choice is kept
    expect(page.locator("h1")).to_have_text("Ask the repository")


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_each_colour_scheme_keeps_text_readable(site: Site, page_for, scheme: str) -> None:  # type: ignore[no-untyped-def]
    page = page_for(color_scheme=scheme)
    page.goto(site.url + "/")
    ask(page, OCCUPATIONS)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(15, 20, 24)") == (scheme == "dark")
    poor = []
    for selector in READABLE:
        elements = page.locator(selector)
        assert elements.count(), f"nothing matches {selector}"
        ratio = elements.first.evaluate(CONTRAST)
        if ratio < 4.5:
            poor.append(f"{selector}: {ratio:.2f}")
    assert poor == []
    if scheme == "dark":
        shoot(page, "chat-dark.png")

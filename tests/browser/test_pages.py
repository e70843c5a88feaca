"""The web interface in a real browser: Playwright drives Debian's Chromium against a real
uvicorn server on a loopback port, with the corpus indexed and the extractive backend.

Scenarios: a cited answer streams in and a citation opens its passage; use cases are
filtered by GSBPM 5.2 and the view is shared by URL; a contributor's record with a
personal e-mail is refused at the description field, fixed and submitted; a reviewer
publishes it and it appears in the repository. Each page is saved as a screenshot in
docs/screenshots/ (desktop, and the chat on a 375 px wide phone).
"""

import json
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from app.core.config import PROJECT_ROOT
from app.core.container import Container
from app.main import create_app
from app.services.auth import Role
from tests.conftest import indexed_settings

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# The docs' screenshots are refreshed on request only, so a test run leaves the tree clean.
SHOTS = (PROJECT_ROOT / "docs" / "screenshots" if os.environ.get("GAIOS_UPDATE_SCREENSHOTS")
         else Path(tempfile.gettempdir()) / "gaios-screenshots")
OCCUPATIONS = "Which statistical offices use LLMs to code occupations or industries?"
ANSWER_TIMEOUT = 120_000  # ms: the first question also loads the embedding model

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
if not CHROMIUM.exists():
    if os.environ.get("CI"):  # CI installs it (scripts/setup.sh --test): missing is a failure there
        raise RuntimeError("Chromium is missing: apt-get install -y chromium")
    pytest.skip("Chromium is missing: apt-get install -y chromium", allow_module_level=True)
expect = sync_api.expect


@dataclass
class Site:
    url: str
    container: Container

    def key(self, name: str, role: Role) -> str:
        return self.container.keys.create(name=name, role=role)[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def site(indexed_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A real server on its own copy of the indexed data folder (what it publishes stays
    out of the shared one)."""
    data_dir = tmp_path_factory.mktemp("web") / "var"
    shutil.copytree(indexed_dir, data_dir)
    settings = indexed_settings(data_dir)
    container = Container.build(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, container=container), host="127.0.0.1",
                                           port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="web-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)
    try:
        yield Site(f"http://127.0.0.1:{port}", container)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator["sync_api.Browser"]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page_for(browser: "sync_api.Browser") -> Iterator:  # type: ignore[type-arg]
    """Pages in fresh browser contexts; a script error on any of them fails the test."""
    contexts, errors = [], []

    def open_page(width: int = 1280, height: int = 900, **options: object) -> "sync_api.Page":
        """`options` go to the browser context (locale, color_scheme, permissions)."""
        options = {"locale": "en-GB", **options}
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"script errors in the page: {errors}"


def shoot(page: "sync_api.Page", name: str, *, until: str | None = None) -> None:
    """A full-page screenshot, or the top of the page down to the element `until`."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    clip = None
    if until:
        box = page.locator(until).bounding_box()
        assert box is not None
        bottom = box["y"] + box["height"] + page.evaluate("window.scrollY") + 24
        clip = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": bottom}  # type: ignore[index]
    page.screenshot(path=str(SHOTS / name), full_page=True, clip=clip)


def ask(page: "sync_api.Page", question: str) -> "sync_api.Locator":
    """Ask a question; returns the finished answer (its feedback buttons are shown last)."""
    before = page.locator(".answer").count()
    page.fill("#question", question)
    page.click("#ask-button")
    answer = page.locator(".answer").nth(before)
    expect(answer.locator(".feedback")).to_be_visible(timeout=ANSWER_TIMEOUT)
    return answer


def sign_in(page: "sync_api.Page", key: str, role: str) -> None:
    if page.locator("#session-user").is_visible():
        page.click("#sign-out")
    page.click("#signin summary")
    page.fill("#signin-key", key)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#session-role")).to_have_text(role)


# ---------------------------------------------------------------------------------- chat


def test_cited_answer_streams_in_and_a_citation_opens_its_passage(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for()
    page.goto(site.url + "/")
    expect(page).to_have_title("Ask GAIOS · GAIOS")
    streamed = []
    page.on("request", lambda r: streamed.append(r.post_data) if r.url.endswith("/chat/stream") else None)

    answer = ask(page, OCCUPATIONS)
    citation = answer.locator(".answer-text a.cite").first
    expect(citation).to_be_visible()
    expect(answer.locator(".uc-card a").first).to_be_visible()
    expect(answer.locator('[data-badge="grounded"]')).to_have_text("Checked against the sources")
    cards = answer.locator(".uc-card a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert set(cards) & {f"/usecases/{i}" for i in ("nbs-llm-classifier", "census-acs-autocoder",
                                                     "ons-classifai", "insee-nace-relabelling",
                                                     "ssb-coicop-rag", "ons-survey-assist")}

    number = citation.get_attribute("data-n")
    citation.click()
    panel = page.locator("#source-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#source-panel-title")).to_have_text(f"Source [{number}]")
    expect(panel.locator("h3")).not_to_be_empty()
    expect(panel.locator("blockquote")).not_to_be_empty()
    expect(citation).to_have_attribute("aria-expanded", "true")
    shoot(page, "chat.png")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(citation).to_be_focused()

    answer.locator('.feedback button[data-rating="1"]').click()
    expect(answer.locator(".feedback")).to_contain_text("Thank you for your feedback.")

    # A follow-up goes to the same conversation, and the session's turns survive a reload.
    ask(page, "Which models did they use?")
    first, second = (json.loads(body) for body in streamed)
    assert "conversation_id" not in first
    stored = page.evaluate("JSON.parse(sessionStorage.getItem('gaios.chat.v1'))")
    assert second["conversation_id"] == stored["conversationId"] and len(stored["turns"]) == 2
    page.reload()
    expect(page.locator(".turn")).to_have_count(2)
    expect(page.locator(".question-bubble").first).to_contain_text(OCCUPATIONS)


def test_question_outside_the_repository_shows_the_not_found_badge(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for()
    page.goto(site.url + "/")
    answer = ask(page, "What was Germany's GDP growth rate in 2023?")
    expect(answer.locator('[data-badge="refused"]')).to_have_text("Not found in the repository")
    expect(answer.locator(".answer-text")).to_contain_text("does not contain information")


def test_question_about_a_detail_no_source_gives_shows_a_partial_answer(  # type: ignore[no-untyped-def]
        site: Site, page_for) -> None:
    page = page_for()
    page.goto(site.url + "/")
    answer = ask(page, "Which language model does ONS Survey Assist use?")
    expect(answer.locator('[data-badge="partial"]')).to_contain_text("Partial answer")
    expect(answer.locator(".answer-text")).to_contain_text("do not say which model is used")
    expect(answer.locator(".answer-text")).to_contain_text("Survey Assist")


def fake_stream(done: dict, sources: list[dict]) -> str:  # type: ignore[type-arg]
    """An event stream as the server sends it, with CRLF line ends and a comment line."""
    events = [("retrieval", {"sources": sources, "best_similarity": 0.7}),
              *[("token", {"text": s["text"] + " "}) for s in done["sentences"] if s["supported"]],
              ("citations", done["citations"]), ("usecases", done["usecases"]), ("done", done)]
    return ": keep-alive\r\n\r\n" + "".join(
        f"event: {kind}\r\ndata: {json.dumps(data)}\r\n\r\n" for kind, data in events)


def chat_response(**changes: object) -> dict:  # type: ignore[type-arg]
    source = {"number": 1, "doc_id": "insee-nace-relabelling", "title": "Relabelling NACE records",
              "section": "Overview", "page": None, "url": "https://example.org/nace", "doc_type": "usecase",
              "snippet": "INSEE relabelled its NACE training records with open models."}
    response = {
        "answer_id": "a" * 32, "conversation_id": "c" * 32,
        "answer": "INSEE relabelled NACE training records with open models [1].",
        "citations": [source], "usecases": [{"id": "insee-nace-relabelling", "title": "Relabelling NACE records",
                                             "organisation": "INSEE", "stage": "production", "score": 0.05,
                                             "reason": "matched Overview",
                                             "why": {"sections": ["Overview"], "classifications": [],
                                                     "filters": {}}}],
        "grounded": True, "refused": False, "refusal_reason": None, "standalone_question": "q",
        "redactions": [], "backend": "openai", "model": "scripted", "prompt": {"id": "p", "version": "1"},
        "sentences": [{"text": "INSEE relabelled NACE training records with open models [1].", "supported": True,
                       "lexical": 0.9, "embedding": 0.9, "source": 1, "reason": "supported"}],
        "guard": {"removed_sentences": 0, "fabricated_citations": [], "fallback": None},
        "timings": {"total_ms": 1200.0}, "usage": {},
    }
    response.update(changes)
    return response


def test_guard_and_personal_data_badges(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    """What the page shows for an answer the guard trimmed, and for a refused question
    (the stream is scripted here: the extractive backend never needs trimming)."""
    page = page_for()
    replies: list[str] = []
    page.route("**/api/v1/chat/stream", lambda route: route.fulfill(
        status=200, content_type="text/event-stream", body=replies.pop(0)))

    trimmed = chat_response(grounded=False, guard={"removed_sentences": 1, "fabricated_citations": [17],
                                                   "fallback": None})
    trimmed["sentences"].append({"text": "The project cost 4.7 million euros [1].", "supported": False,
                                 "lexical": 0.1, "embedding": 0.2, "source": 1,
                                 "reason": "numbers not in any source: 4.7"})
    replies.append(fake_stream(trimmed, trimmed["citations"]))
    page.goto(site.url + "/")
    answer = ask(page, "How did INSEE relabel NACE codes?")
    expect(answer.locator('[data-badge="ungrounded"]')).to_have_text("Checked: some generated text was removed")
    expect(answer.locator('[data-badge="grounded"]')).to_have_count(0)
    answer.locator(".guard-details summary").click()
    expect(answer.locator(".guard-details")).to_contain_text("4.7 million euros")
    expect(answer.locator(".guard-details")).to_contain_text("[17]")
    expect(answer.locator(".answer-text")).to_have_text("INSEE relabelled NACE training records with open models [1].")
    expect(answer.locator("a.cite")).to_have_count(1)

    refused = chat_response(refused=True, refusal_reason="personal_data", citations=[], usecases=[],
                            redactions=["EMAIL_ADDRESS"], sentences=[],
                            answer="The question contains personal data, so it was not processed.")
    replies.append(fake_stream(refused, []))
    answer = ask(page, "My e-mail is jane.doe@statistics.example.org, what is StatsChat?")
    expect(answer.locator('[data-badge="refused"]')).to_have_text("Refused: the question contains personal data")
    expect(answer.locator('[data-badge="redacted"]')).to_contain_text("Email address")
    expect(answer.locator(".answer-text")).to_have_text("The question contains personal data, so it was not processed.")


def test_chat_on_a_phone(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for(375, 812)
    page.goto(site.url + "/")
    answer = ask(page, OCCUPATIONS)
    expect(answer.locator("a.cite").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the page scrolls sideways"
    shoot(page, "chat-mobile.png")
    answer.locator("a.cite").first.click()
    expect(page.locator("#source-panel")).to_be_in_viewport()


# ---------------------------------------------------------------------------------- use cases


def test_filter_use_cases_by_gsbpm_and_share_the_view(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    expected = httpx.get(f"{site.url}/api/v1/usecases", params={"gsbpm": "5.2", "limit": 100}).json()
    expected_ids = {d["record"]["id"] for d in expected["data"]}
    assert "insee-nace-relabelling" in expected_ids and expected["count"] <= 20

    page = page_for()
    page.goto(site.url + "/usecases")
    expect(page).to_have_title("Use cases · GAIOS")
    total = httpx.get(f"{site.url}/api/v1/usecases").json()["count"]
    expect(page.locator("#results-heading")).to_have_text(f"{total} use cases")
    assert 20 < total <= 40, "the pagination steps below expect two pages"
    expect(page.locator("#page-info")).to_have_text("Page 1 of 2")
    page.click("#next-page")
    expect(page).to_have_url(f"{site.url}/usecases?page=2")
    expect(page.locator("#page-info")).to_have_text("Page 2 of 2")
    expect(page.locator("#results .card")).to_have_count(total - 20)
    for fmt in ("json", "csv", "jsonld"):
        link = page.get_by_role("link", name={"json": "JSON", "csv": "CSV", "jsonld": "JSON-LD"}[fmt], exact=True)
        assert link.get_attribute("href") == f"/api/v1/export?format={fmt}"
    page.select_option("#f-gsbpm-phase", "5")
    expect(page).to_have_url(f"{site.url}/usecases?gsbpm=5")
    page.select_option("#f-gsbpm", "5.2")
    expect(page).to_have_url(f"{site.url}/usecases?gsbpm=5.2")
    expect(page.locator("#results-heading")).to_have_text(f"{expected['count']} use cases")
    shown = set(page.locator("#results .card").evaluate_all("cards => cards.map(c => c.dataset.id)"))
    assert shown == expected_ids
    expect(page.locator("#active-filters")).to_contain_text("GSBPM: 5.2 Classify and code")
    shoot(page, "usecases.png")

    # The URL alone restores the filtered view.
    shared = page_for()
    shared.goto(site.url + "/usecases?gsbpm=5.2")
    expect(shared.locator("#results-heading")).to_have_text(f"{expected['count']} use cases")
    expect(shared.locator("#f-gsbpm")).to_have_value("5.2")
    expect(shared.locator('#results .card[data-id="insee-nace-relabelling"]')).to_be_visible()

    # Back in history undoes the last filter.
    page.go_back()
    expect(page).to_have_url(f"{site.url}/usecases?gsbpm=5")
    expect(page.locator("#f-gsbpm")).to_have_value("")


def test_semantic_search_shows_matching_records(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for()
    page.goto(site.url + "/usecases")
    page.fill("#q", "coding occupations with language models")
    page.check("#semantic")
    page.click("#search-form button[type=submit]")
    expect(page.locator("#results-heading")).to_contain_text("found by meaning", timeout=60_000)
    expect(page.locator("#results .card .match").first).to_be_visible()
    assert "semantic=1" in page.url
    ids = page.locator("#results .card").evaluate_all("cards => cards.map(c => c.dataset.id)")
    assert {"census-acs-autocoder", "nbs-llm-classifier", "ons-classifai"} & set(ids)


def test_use_case_detail_page(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for()
    page.goto(site.url + "/usecases?gsbpm=5.2")
    page.locator('#results .card[data-id="insee-nace-relabelling"] h3 a').click()
    expect(page).to_have_url(f"{site.url}/usecases/insee-nace-relabelling")
    expect(page.locator("h1")).to_contain_text("NACE 2.0 to NACE 2.1")
    expect(page.locator("#usecase")).not_to_have_attribute("aria-busy", "true")
    yaml_link = page.get_by_role("link", name="Download YAML")
    assert yaml_link.get_attribute("href") == "/api/v1/usecases/insee-nace-relabelling/yaml"
    expect(page.locator(".sources-list a").first).to_have_attribute("href", "https://ssphub.netlify.app/en/project/2026_recodification_nace/")
    expect(page.get_by_role("heading", name="Revision history")).to_be_visible()
    expect(page.locator("#h-revision-history ~ .table-scroll tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name="5.2 Classify and code")).to_have_attribute("href", "/usecases?gsbpm=5.2")
    shoot(page, "usecase-detail.png")


# ---------------------------------------------------------------------------------- contribute and review


def fill_record(page: "sync_api.Page", description: str) -> None:
    page.fill("#f-title", "Browser test: coding of occupation write-ins with an open model")
    expect(page.locator("#f-id")).to_have_value("browser-test-coding-of-occupation-write-ins-with-an-open-model")
    page.fill("#f-id", "browser-test-occupation-coding")
    page.fill("#f-summary", "An open-weights model proposes ISCO codes for free-text job titles; "
                            "clerical coders confirm or correct every proposal.")
    page.fill("#f-description", description)
    page.fill("#f-organisations-0-name", "Browser Test Statistics Office")
    page.fill("#f-organisations-0-acronym", "BTSO")
    page.select_option("#f-organisations-0-type", "nso")
    page.fill("#f-organisations-0-country", "nld")
    expect(page.locator("#f-organisations-0-country")).to_have_value("NLD")
    page.select_option("#f-lifecycle_stage", "pilot")
    page.select_option("#f-scope", "production")
    page.fill("#f-year_started", "2025")
    page.locator('[data-path="gsbpm"] summary', has_text="Process").click()
    page.check("#f-gsbpm--5-2")
    page.check("#f-task_types--classification_coding")
    page.check("#f-genai_patterns--rag")
    page.select_option("#f-model_openness", "open_weights_permissive")
    page.select_option("#f-hosting", "on_premise")
    page.select_option("#f-data_sensitivity", "confidential_statistical")
    page.select_option("#f-human_oversight", "human_in_the_loop")
    page.fill("#f-sources-0-url", "https://example.org/browser-test-coding")


def test_contribute_then_review_and_publish(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    contributor = site.key("Browser Contributor", Role.contributor)
    reviewer = site.key("Browser Reviewer", Role.reviewer)
    page = page_for()
    page.goto(site.url + "/contribute")
    expect(page).to_have_title("Contribute · GAIOS")
    expect(page.locator("#contribute-signin")).to_be_visible()
    expect(page.locator('.site-nav a[href="/review"]')).to_be_hidden()

    sign_in(page, contributor, "contributor")
    expect(page.locator("#contribute-signin")).to_be_hidden()
    expect(page.locator('.site-nav a[href="/review"]')).to_be_hidden()
    expect(page.locator("#f-record_meta-curator")).to_have_value("Browser Contributor")

    # A personal e-mail address in the description is refused, at the description field.
    fill_record(page, "Contact jane.doe@statistics.example.org for the coding rules and results.")
    page.click("#usecase-submit")
    errors = page.locator("#usecase-errors")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("Personal data found")
    expect(page.locator("#err-description")).to_contain_text("Personal data found: Email address")
    expect(page.locator("#f-description")).to_have_attribute("aria-invalid", "true")
    expect(errors).to_be_focused()
    shoot(page, "contribute.png", until='[data-path="description"]')

    # A missing required field is named next to it too.
    page.select_option("#f-human_oversight", "")
    page.click("#usecase-submit")
    expect(page.locator("#err-human_oversight")).to_contain_text("Field required")
    page.select_option("#f-human_oversight", "human_in_the_loop")

    page.fill("#f-description", "Coders see the five most likely ISCO codes with their definitions.")
    page.click("#usecase-submit")
    result = page.locator("#usecase-result")
    expect(result).to_be_visible()
    expect(result.locator("[data-status]")).to_have_attribute("data-status", "submitted")
    expect(page.locator("#err-description")).to_be_empty()

    # The same record under another id is a near-duplicate, with a link to the first.
    page.fill("#f-id", "browser-test-occupation-coding-again")
    page.click("#usecase-submit")
    expect(errors.locator('a[data-existing="browser-test-occupation-coding"]')).to_be_visible()

    # A reviewer sees the submission, field by field, and publishes it.
    sign_in(page, reviewer, "reviewer")
    page.locator('.site-nav a[href="/review"]').click()
    expect(page).to_have_title("Review queue · GAIOS")
    item = page.locator('.review-item[data-id="browser-test-occupation-coding"]')
    expect(item).to_be_visible()
    expect(item.locator('tr[data-field="title"] td.new')).to_contain_text("Browser test: coding")
    expect(item.locator('tr[data-field="gsbpm"] td.new')).to_have_text("5.2")
    item.locator('button[data-action="reject"]').click()
    expect(item.locator(".field-error")).to_contain_text("A comment is required")
    shoot(page, "review.png")
    item.locator('button[data-action="publish"]').click()
    expect(item).to_contain_text("Published.")
    expect(page.locator("#review-count")).to_have_text("Nothing is waiting for review.")

    page.goto(site.url + "/usecases?q=browser")
    expect(page.locator('#results .card[data-id="browser-test-occupation-coding"]')).to_be_visible()
    anonymous = page_for()
    anonymous.goto(site.url + "/usecases/browser-test-occupation-coding")
    expect(anonymous.locator("h1")).to_have_text("Browser test: coding of occupation write-ins with an open model")
    expect(anonymous.locator("#h-revision-history ~ .table-scroll")).to_contain_text("Published")

    # An edit of the published record is shown as a diff of the fields it changes.
    url = f"{site.url}/api/v1/usecases/browser-test-occupation-coding"
    record = httpx.get(url).json()["record"]
    record["lifecycle_stage"] = "production"
    edited = httpx.put(url, json=record, headers={"X-API-Key": contributor})
    assert edited.status_code == 200, edited.text
    page.goto(site.url + "/review")
    item = page.locator('.review-item[data-id="browser-test-occupation-coding"]')
    expect(item).to_contain_text("Edit of a published use case")
    expect(item.locator("caption").first).to_have_text("1 field changed against the published revision")
    expect(item.locator('tr.changed[data-field="lifecycle_stage"] td.old')).to_have_text("pilot")
    expect(item.locator('tr.changed[data-field="lifecycle_stage"] td.new')).to_have_text("production")
    expect(item.locator("details summary")).to_contain_text("unchanged fields")


def test_document_upload(site: Site, page_for, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = page_for()
    page.goto(site.url + "/contribute")
    sign_in(page, site.key("Browser Uploader", Role.contributor), "contributor")
    leaky = tmp_path / "coding-note.md"
    leaky.write_text("# Coding note\n\nQuestions go to jane.doe@statistics.example.org please.\n")
    page.set_input_files("#doc-file", str(leaky))
    page.click("#doc-submit")
    expect(page.locator("#document-errors")).to_contain_text("Personal data found")
    expect(page.locator("#err-doc-file")).to_contain_text("Personal data found")

    clean = tmp_path / "coding-guidance.md"
    clean.write_text("# Coding guidance\n\nLanguage models propose occupation codes; coders confirm "
                     "each proposal against the classification's explanatory notes.\n")
    page.set_input_files("#doc-file", str(clean))
    page.fill("#doc-title", "Browser test coding guidance")
    page.select_option("#doc-type", "guideline")
    page.click("#doc-submit")
    result = page.locator("#document-result")
    expect(result).to_contain_text("Browser test coding guidance", timeout=60_000)
    expect(result).to_contain_text("upload-coding-guidance")
    expect(page.locator("#err-doc-file")).to_be_empty()


def test_review_page_asks_anonymous_visitors_to_sign_in(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for()
    page.goto(site.url + "/review")
    expect(page.locator("#review-signin")).to_be_visible()
    expect(page.locator("#review-list .review-item")).to_have_count(0)
    page.click("#signin summary")
    page.fill("#signin-key", "gaios_wrong")
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#signin-error")).to_have_text("This key is unknown or revoked.")


@pytest.mark.parametrize("path, ready", [
    ("/usecases?gsbpm=5.2", "#results .card"),
    ("/usecases/insee-nace-relabelling", ".sources-list a"),
    ("/contribute", "#usecase-submit"),
    ("/review", "#review-signin"),
])
def test_pages_fit_a_phone_screen(site: Site, page_for, path: str, ready: str) -> None:  # type: ignore[no-untyped-def]
    page = page_for(375, 812)
    page.goto(site.url + path)
    expect(page.locator(ready).first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, f"{path} scrolls sideways"
    expect(page.locator(".site-nav a").first).to_be_in_viewport()


def test_keyboard_reaches_the_question_box_with_a_visible_focus(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for()
    page.goto(site.url + "/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "question":
            break
    else:
        pytest.fail("Tab never reached the question box")
    page.keyboard.type("What is StatsChat?")
    page.keyboard.press("Enter")
    expect(page.locator(".answer .feedback")).to_be_visible(timeout=ANSWER_TIMEOUT)


# ------------------------------------------------------------------- hostile stored markup

HOSTILE_TITLE = ('Hostile record <img src=x onerror="window.__pwned=1"> '
                 "<script>window.__pwned=2</script>")
HOSTILE_SUMMARY = ("A record whose text carries markup: [click me](javascript:window.__pwned=3) "
                   "and ![pixel](//pixel.invalid/pixel.png) and "
                   '<a href="javascript:window.__pwned=4">here</a>.')


def test_stored_markup_published_by_a_reviewer_is_shown_as_text(  # type: ignore[no-untyped-def]
        site: Site, page_for) -> None:
    """A record whose title and summary hold HTML, Markdown images and `javascript:` links,
    submitted by a contributor and published by a reviewer: every page shows the markup as
    text; no element, image request or script comes of it."""
    import yaml

    base = PROJECT_ROOT / "usecases" / "records" / "ons-statschat.yaml"
    record = yaml.safe_load(base.read_text())
    iframe = '<iframe src="javascript:window.__pwned=5"></iframe>'
    record.update(id="browser-hostile-markup", title=HOSTILE_TITLE, summary=HOSTILE_SUMMARY,
                  description=f"{HOSTILE_SUMMARY}\n\n{iframe}")
    record.pop("related", None)
    api = f"{site.url}/api/v1/usecases"
    submitted = httpx.post(api, json=json.loads(json.dumps(record, default=str)), timeout=120,
                           headers={"X-API-Key": site.key("Hostile Contributor", Role.contributor)})
    assert submitted.status_code == 201, submitted.text
    published = httpx.post(f"{api}/browser-hostile-markup/review", json={"action": "publish"},
                           timeout=120,  # publishing embeds and indexes the record
                           headers={"X-API-Key": site.key("Hostile Reviewer", Role.reviewer)})
    assert published.status_code == 200, published.text

    page = page_for()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    for path, ready in [("/usecases/browser-hostile-markup", "h1"),
                        ("/usecases?q=Hostile+record", '[data-id="browser-hostile-markup"]')]:
        page.goto(site.url + path)
        expect(page.locator(ready).first).to_contain_text("Hostile record")
        assert page.locator("main img, main script, main iframe").count() == 0
        assert page.locator('a[href^="javascript:" i], [onerror], [src="x"]').count() == 0
        assert page.evaluate("window.__pwned") is None
    expect(page.get_by_text("<img src=x", exact=False).first).to_be_visible()
    assert not [url for url in requested if "pixel.png" in url or url.endswith("/x")], requested

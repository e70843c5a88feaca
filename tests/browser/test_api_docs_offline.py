"""`/api/docs` in a real browser with every request to another host refused: the page,
its script and style and the OpenAPI document all come from the server, and the
operations are listed."""

import pytest

from tests.browser.test_pages import (  # noqa: F401 (fixtures)
    Site,
    browser,
    expect,
    page_for,
    site,
)

pytestmark = pytest.mark.slow


def test_api_docs_list_the_operations_with_other_hosts_blocked(site: Site, page_for) -> None:  # type: ignore[no-untyped-def]
    page = page_for()
    own, blocked, served = site.url + "/", [], []

    def only_this_server(route) -> None:  # type: ignore[no-untyped-def]
        url = route.request.url
        if url.startswith(own):
            served.append(url)
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    page.context.route("**/*", only_this_server)
    page.goto(site.url + "/api/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    paths = page.locator(".opblock-summary-path").evaluate_all(
        "els => els.map(e => e.getAttribute('data-path'))")
    assert {"/api/v1/chat", "/api/v1/usecases", "/api/v1/feedback", "/v1/chat/completions"} <= set(paths)
    page.locator('.opblock-summary-path[data-path="/api/v1/usecases"]').first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert any(u.endswith("/api/docs/assets/swagger-ui-bundle.js") for u in served)
    assert any(u.endswith("/openapi.json") for u in served)
    assert blocked == [], f"the page asked other hosts: {blocked}"

"""The web interface: pages, static assets and the browser session routes (fast, no
browser; `tests/browser/` drives the pages in Chromium)."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.routes.web import STATIC_DIR, TEMPLATES_DIR
from app.services.auth import Role
from tests.conftest import ADMIN_KEY
from tests.factories import new_usecase

PAGES = [
    ("/", "Ask GAIOS · GAIOS", "chat"),
    ("/usecases", "Use cases · GAIOS", "usecases"),
    ("/usecases/insee-nace-relabelling",
     "Relabelling 2.7 million training records from NACE 2.0 to NACE 2.1 with constrained open LLMs · GAIOS",
     "usecase"),
    ("/contribute", "Contribute · GAIOS", "contribute"),
    ("/review", "Review queue · GAIOS", "review"),
]


def title_of(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match, "the page has no <title>"
    return match.group(1).replace("&#x27;", "'").replace("&amp;", "&")


def new_key(client: TestClient, role: Role) -> str:
    _, key = client.app.state.container.keys.create(name=f"web {role}", role=role)  # type: ignore[attr-defined]
    return key


@pytest.mark.parametrize("path, title, script", PAGES)
def test_each_page_is_html_with_its_title(client: TestClient, path: str, title: str, script: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert title_of(html) == title
    assert '<html lang="en">' in html
    assert 'name="viewport"' in html
    assert f'<script type="module" src="/static/js/{script}.js' in html
    assert '<main id="main"' in html and 'href="#main"' in html
    assert "content-security-policy" in {k.lower() for k in response.headers}


def test_unknown_use_case_page_is_404_html(client: TestClient) -> None:
    response = client.get("/usecases/no-such-record")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "no-such-record" in response.text and title_of(response.text) == "Not found · GAIOS"


def test_page_text_is_escaped(client: TestClient) -> None:
    response = client.get("/usecases/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert response.status_code == 404
    assert "<script>alert(1)" not in response.text


def test_upload_form_offers_the_document_types_the_api_accepts(client: TestClient) -> None:
    from app.api.routes.documents import DOC_TYPES

    html = client.get("/contribute").text
    for doc_type in DOC_TYPES:
        assert f'<option value="{doc_type}"' in html


@pytest.mark.parametrize("path, media", [
    ("/static/css/gaios.css", "text/css"),
    ("/static/js/common.js", "javascript"),
    ("/static/js/chat.js", "javascript"),
    ("/static/js/usecases.js", "javascript"),
    ("/static/js/usecase.js", "javascript"),
    ("/static/js/contribute.js", "javascript"),
    ("/static/js/review.js", "javascript"),
    ("/static/js/notfound.js", "javascript"),
    ("/static/favicon.svg", "image/svg+xml"),
])
def test_static_assets_are_served(client: TestClient, path: str, media: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert media in response.headers["content-type"]


def test_missing_static_asset_is_404(client: TestClient) -> None:
    assert client.get("/static/js/nothing.js").status_code == 404


def test_every_asset_a_template_names_exists() -> None:
    for template in TEMPLATES_DIR.glob("*.html"):
        for ref in re.findall(r'(?:src|href)="(/static/[^"?{]+)[?"]', template.read_text()):
            assert (STATIC_DIR / ref.removeprefix("/static/")).is_file(), f"{template.name}: {ref}"
        if template.stem != "layout":  # the layout loads /static/js/<page>.js
            assert (STATIC_DIR / "js" / f"{template.stem}.js").is_file(), template.name
    for module in (STATIC_DIR / "js").glob("*.js"):
        for ref in re.findall(r'from "\./([^"]+)"', module.read_text()):
            assert (module.parent / ref).is_file(), f"{module.name} imports {ref}"


def test_no_external_assets() -> None:
    """Fonts, scripts and styles are all local: nothing is loaded from another host."""
    files = [*TEMPLATES_DIR.glob("*.html"), *STATIC_DIR.rglob("*.css"), *STATIC_DIR.rglob("*.js")]
    for path in files:
        text = path.read_text()
        assert not re.search(r'(?:src|href)="(?:https?:)?//', text), path
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", text), path
        assert not re.search(r"@import|fonts\.googleapis|cdn\.", text), path
        assert not re.search(r'import[^;]*from\s*"(?:https?:)?//', text), path
        assert "<style" not in text and " style=" not in text, f"{path}: inline style breaks the CSP"


def test_every_form_control_in_the_templates_has_a_label() -> None:
    for template in TEMPLATES_DIR.glob("*.html"):
        html = template.read_text()
        ids = re.findall(r'<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"', html)
        for control_id in ids:
            assert f'for="{control_id}"' in html, f"{template.name}: #{control_id} has no label"
        assert not re.search(r"<(?:input|select|textarea)\b(?![^>]*\bid=)", html), template.name


# -- session --------------------------------------------------------------------------------


def test_signing_in_sets_an_httponly_strict_cookie_and_shows_the_role(client: TestClient) -> None:
    key = new_key(client, Role.contributor)
    response = client.post("/api/v1/session", json={"key": key})
    assert response.status_code == 200, response.text
    assert response.json() == {"authenticated": True, "name": "web contributor", "role": "contributor"}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("gaios_key=")
    assert "HttpOnly" in cookie and re.search(r"SameSite=strict", cookie, re.I) and "Path=/" in cookie
    assert client.get("/api/v1/session").json() == {
        "authenticated": True, "name": "web contributor", "role": "contributor"}


def test_bootstrap_admin_key_signs_in_as_admin(client: TestClient) -> None:
    assert client.post("/api/v1/session", json={"key": ADMIN_KEY}).json()["role"] == "admin"


def test_anonymous_session(client: TestClient) -> None:
    assert client.get("/api/v1/session").json() == {
        "authenticated": False, "name": "anonymous", "role": "anonymous"}


@pytest.mark.parametrize("body", [{"key": "gaios_not-a-real-key"}, {"key": " "}])
def test_invalid_key_is_401_and_sets_no_cookie(client: TestClient, body: dict[str, str]) -> None:
    response = client.post("/api/v1/session", json=body)
    assert response.status_code in (401, 422)
    if body["key"].strip():
        assert response.status_code == 401
        assert response.json()["error"]["type"] == "unauthorized"
    assert "set-cookie" not in response.headers
    assert client.get("/api/v1/session").json()["role"] == "anonymous"


def test_missing_key_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/session", json={})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "key"


def test_the_cookie_authenticates_api_calls(client: TestClient) -> None:
    assert client.post("/api/v1/usecases", json=new_usecase()).status_code == 401
    client.post("/api/v1/session", json={"key": new_key(client, Role.contributor)})
    created = client.post("/api/v1/usecases", json=new_usecase())
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "submitted"
    pending = client.get("/api/v1/usecases", params={"status": "submitted"}).json()
    assert [d["record"]["id"] for d in pending["data"]] == ["demo-nso-coding-assistant"]
    # A contributor may not review; a reviewer signed in by cookie may.
    assert client.post("/api/v1/usecases/demo-nso-coding-assistant/review",
                       json={"action": "publish"}).status_code == 403
    client.post("/api/v1/session", json={"key": new_key(client, Role.reviewer)})
    published = client.post("/api/v1/usecases/demo-nso-coding-assistant/review", json={"action": "publish"})
    assert published.status_code == 200 and published.json()["status"] == "published"


def test_signing_out_clears_the_cookie(client: TestClient) -> None:
    client.post("/api/v1/session", json={"key": new_key(client, Role.reviewer)})
    response = client.delete("/api/v1/session")
    assert response.status_code == 204
    assert "gaios_key=" in response.headers["set-cookie"] and "Max-Age=0" in response.headers["set-cookie"]
    assert client.get("/api/v1/session").json()["role"] == "anonymous"
    assert client.get("/api/v1/usecases", params={"status": "submitted"}).status_code == 401


def test_a_revoked_key_in_the_cookie_signs_out_instead_of_breaking_pages(client: TestClient) -> None:
    container = client.app.state.container  # type: ignore[attr-defined]
    key_id, key = container.keys.create(name="soon revoked", role=Role.contributor)
    client.post("/api/v1/session", json={"key": key})
    container.keys.revoke(key_id)
    assert client.get("/usecases").status_code == 200
    assert client.get("/usecases/insee-nace-relabelling").status_code == 200
    session = client.get("/api/v1/session")
    assert session.json()["role"] == "anonymous"
    assert "Max-Age=0" in session.headers["set-cookie"]
    assert client.get("/api/v1/usecases").status_code == 200


def test_submitted_record_page_is_visible_to_its_submitter_only(client: TestClient) -> None:
    key = new_key(client, Role.contributor)
    client.post("/api/v1/usecases", json=new_usecase(), headers={"X-API-Key": key})
    assert client.get("/usecases/demo-nso-coding-assistant").status_code == 404
    client.post("/api/v1/session", json={"key": key})
    page = client.get("/usecases/demo-nso-coding-assistant")
    assert page.status_code == 200
    assert title_of(page.text).startswith("Coding assistant for occupation write-ins")


def test_session_routes_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"get", "post", "delete"} <= set(paths["/api/v1/session"])
    assert "/" not in paths and "/usecases/{usecase_id}" not in paths


def test_web_files_are_packaged() -> None:
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert '"web/**/*"' in pyproject

"""The interface in English and French: every language has every string, the templates
and scripts use only keys the catalogues have and no untranslated text, and a page is
served in the language the visitor chose or the browser prefers."""

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from app.api.routes.web import STATIC_DIR, TEMPLATES_DIR
from app.services.auth import Role
from app.web import i18n

LANGS = list(i18n.LANGUAGES)
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Names that read the same in every language.
UNTRANSLATED = {"GAIOS", "JSON", "CSV", "JSON-LD", "×", "›", "*", "·"}
TEXT_ATTRIBUTES = {"aria-label", "placeholder", "title", "alt"}
JS_KEY = re.compile(r"\btn?\(\"([\w.]+)\"|\"((?:badge|role)\.[\w.]+)\"")


def keys_used_in_templates() -> dict[str, set[str]]:
    return {path.name: set(i18n.SLOT.findall(path.read_text()))
            for path in TEMPLATES_DIR.glob("*.html")}


class LiteralText(HTMLParser):
    """The text and text attributes of a template that are not `{{...}}` slots."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_script = tag == "script"
        values = dict(attrs)
        for name, value in attrs:
            if value and (name in TEXT_ATTRIBUTES or (name == "content"
                                                      and values.get("name") == "description")):
                self.check(value)

    def handle_data(self, data: str) -> None:
        if not self.in_script:
            self.check(data)

    def check(self, text: str) -> None:
        rest = re.sub(r"\{\{[^}]+\}\}", " ", text)
        words = [w for w in re.split(r"[\s().;,:]+", rest) if re.search(r"[^\W\d_]", w)]
        self.found += [w for w in words if w not in UNTRANSLATED]


def test_every_language_has_every_key() -> None:
    english = set(i18n.catalogue("en"))
    for lang in LANGS:
        assert set(i18n.catalogue(lang)) == english, lang


@pytest.mark.parametrize("lang", LANGS)
def test_no_string_is_empty_and_placeholders_match_english(lang: str) -> None:
    for key, text in i18n.catalogue(lang).items():
        assert text.strip(), f"{lang}: {key} is empty"
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(
            i18n.catalogue("en")[key])), f"{lang}: {key} has other placeholders"


def test_templates_use_only_known_keys() -> None:
    known = set(i18n.catalogue("en"))
    for name, used in keys_used_in_templates().items():
        assert used <= known, f"{name} uses missing keys {used - known}"


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES_DIR.glob("*.html")))
def test_templates_have_no_untranslated_text(template: str) -> None:
    parser = LiteralText()
    parser.feed((TEMPLATES_DIR / template).read_text())
    assert parser.found == []


def test_scripts_use_only_known_keys() -> None:
    known = set(i18n.catalogue("en"))
    used = {key for path in (STATIC_DIR / "js").glob("*.js")
            for match in JS_KEY.finditer(path.read_text()) for key in match.groups() if key}
    assert {"chat.copy", "status.ready", "badge.not_found"} <= used  # the pattern finds them
    missing = {k for k in used if k not in known and not {f"{k}.one", f"{k}.other"} <= known}
    assert missing == set()
    assert {f"role.{role.value}" for role in Role} <= known


@pytest.mark.parametrize("header, lang", [
    (None, "en"), ("fr", "fr"), ("fr-CH, fr;q=0.9, en;q=0.8", "fr"), ("de-DE,fr;q=0.5", "fr"),
    ("en-GB,en;q=0.9,fr;q=0.8", "en"), ("de, it", "en"), ("fr;q=0, en;q=0.1", "en"),
    ("*", "en"), ("fr;q=abc", "en"), ("en;q=0.4, fr-BE;q=0.6", "fr"),
])
def test_the_browsers_preferred_language_is_negotiated(header: str | None, lang: str) -> None:
    assert i18n.negotiate(header) == lang


def heading(html: str) -> str:
    match = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert match
    return match.group(1)


def test_a_french_browser_gets_the_french_interface(client: TestClient) -> None:
    response = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text and response.headers["content-language"] == "fr"
    assert heading(response.text) == "Interroger le répertoire"
    assert "<title>Interroger GAIOS · GAIOS</title>" in response.text
    assert '"chat.copy": "Copier"' in response.text  # the scripts' strings come with the page
    assert "accept-language" in response.headers["vary"].lower()


def test_the_switch_overrides_the_browser_and_is_remembered(client: TestClient) -> None:
    chosen = client.get("/usecases?lang=en", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in chosen.text and chosen.cookies.get(i18n.COOKIE) == "en"
    later = client.get("/", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in later.text
    client.get("/?lang=fr")
    assert heading(client.get("/").text) == "Interroger le répertoire"


def test_an_unknown_language_falls_back_without_keeping_it(client: TestClient) -> None:
    response = client.get("/?lang=xx", headers={"Accept-Language": "fr"})
    assert '<html lang="fr">' in response.text and i18n.COOKIE not in response.cookies


@pytest.mark.parametrize("path", ["/", "/usecases", "/contribute", "/review", "/landscape",
                                  "/feedback", "/usecases/no-such-record"])
def test_every_page_renders_in_french_with_the_switch_marking_it(client: TestClient,
                                                                 path: str) -> None:
    response = client.get(path, headers={"Accept-Language": "fr"})
    assert response.status_code in (200, 401, 404)
    assert '<html lang="fr">' in response.text
    assert '<a href="?lang=fr" hreflang="fr" lang="fr" data-lang="fr" aria-current="true">' \
        in response.text
    assert "{{" not in response.text

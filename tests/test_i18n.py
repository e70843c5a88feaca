"""The interface in English and French: every language has every string; the templates,
the page scripts and the server's HTML-drawing code use only keys the catalogues have and
hold no untranslated text; every field of the record schema and every code of a named
vocabulary has a name; and a page is served in the language the visitor chose or the
browser prefers."""

import ast
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import vocabularies
from app.api.routes.web import STATIC_DIR, TEMPLATES_DIR
from app.core.config import PROJECT_ROOT
from app.schemas.records import UseCase
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


# Literal text of the page scripts and of the Python modules that draw HTML, read as words
# shown to a person: a capitalised word ("Publish"), two lowercase words in a row
# ("request failed"), a word in brackets ("(empty)") or typographic punctuation. Class
# lists, selectors, ids, event and key names are technical and pass. A heuristic: it finds
# sentences and labels, not a lone lowercase word such as "unknown" (reviewers look).
CAPITALISED = re.compile(r"(?<![\w-])[A-Z][a-z]+(?!\w)")
TWO_WORDS = re.compile(r"\b[a-z]{2,} [a-z]{2,}\b")
BRACKETED = re.compile(r"\([a-z][a-z ]*\)")
TYPOGRAPHY = re.compile(r"[…“”«»’]")
TECHNICAL = {"Content-Type", "Escape", "Enter", "#signin summary", "#filters select[data-param]",
             "noopener noreferrer external", "field repeat", "button small add",
             "(record)", "(body)",  # the API's names of the whole record and of the body
             "Field required"}  # the API's reason, matched to be named in the page's language
CSS_NAMES = set(re.findall(r"\.([a-z][\w-]*)", (STATIC_DIR / "css" / "gaios.css").read_text()))
JS_LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`(?:[^`\\]|\\.)*`')
JS_COMMENT = re.compile(r"^\s*//[^\n]*|/\*.*?\*/", re.M | re.S)
JS_REGEX = re.compile(  # a regular expression literal, after the tokens that can precede one
    r"([=(,:|&!?{};]\s*)/(?![/*])(?:[^/\\\n\[]|\\.|\[(?:[^\]\\\n]|\\.)*\])+/[gimsuy]*")
# The modules that write HTML on the server, and those whose strings they show.
SERVER_MODULES = [PROJECT_ROOT / "app" / "web" / "feedback.py",
                  PROJECT_ROOT / "app" / "web" / "landscape.py",
                  PROJECT_ROOT / "app" / "services" / "landscape.py"]
TEXT_ATTRIBUTE = re.compile(r'(?:aria-label|title|alt|placeholder)="([^"{]*)"')


def prose(literal: str) -> bool:
    """Whether a source literal (`${...}`/`{...}` parts removed) reads as words to a person."""
    text = re.sub(r"\$\{[^}]*\}|\{[^}]*\}", " ", literal).strip()
    if text in TECHNICAL or not re.search(r"[A-Za-z]{2}", text):
        return False
    if all(word in CSS_NAMES for word in text.split()):
        return False
    return any(p.search(text) for p in (CAPITALISED, TWO_WORDS, BRACKETED, TYPOGRAPHY))


def script_literals(path: Path) -> list[str]:
    """The string literals of a page script, without those passed to `t(...)`/`tn(...)`."""
    source = JS_REGEX.sub(r"\1", JS_COMMENT.sub("", path.read_text()))
    return [m[0][1:-1] for m in JS_LITERAL.finditer(source)
            if not re.search(r"\btn?\($", source[max(0, m.start() - 4):m.start()])]


def python_literals(path: Path) -> list[str]:
    """The strings of a module (not its docstrings), tags removed but text attributes kept."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                  and isinstance(node.body[0], ast.Expr)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings:
            attributes = TEXT_ATTRIBUTE.findall(node.value)
            bare = re.sub(r"<[^>]*(?:>|$)|^[^<]*>", " ", node.value)
            found += [bare, *attributes]
    return found


def test_the_untranslated_text_check_finds_sentences_not_markup() -> None:
    assert prose("Publish") and prose("(empty)") and prose("request failed (HTTP ${status})")
    assert prose("Show ${n} unchanged field${n === 1 ? '' : 's'}")
    assert prose("“${r.title}” has the status ")
    assert not prose("badge warn") and not prose("aria-label") and not prose("${API}/usecases")
    assert not prose("button small danger") and not prose("Content-Type")


@pytest.mark.parametrize("script", sorted(p.name for p in (STATIC_DIR / "js").glob("*.js")))
def test_scripts_have_no_untranslated_text(script: str) -> None:
    assert [x for x in script_literals(STATIC_DIR / "js" / script) if prose(x)] == []


@pytest.mark.parametrize("module", SERVER_MODULES,
                         ids=lambda p: p.relative_to(PROJECT_ROOT).as_posix())
def test_server_drawn_html_has_no_untranslated_text(module: Path) -> None:
    assert [x for x in python_literals(module) if prose(x)] == []


SERVER_KEY = re.compile(r"\b(?:t\(|t\.plural\(|translate\(\s*\w+\s*,\s*)\"([\w.]+)\"")


def test_server_code_uses_only_known_keys() -> None:
    known = set(i18n.catalogue("en"))
    used = {key for path in (PROJECT_ROOT / "app").rglob("*.py")
            for key in SERVER_KEY.findall(path.read_text())}
    assert {"notfound.usecase", "feedback.rating", "feedback.count"} <= used  # found by the pattern
    missing = {k for k in used if k not in known and not {f"{k}.one", f"{k}.other"} <= known}
    assert missing == set()
    from app.services.landscape import build_landscape
    charts = build_landscape([]).charts
    assert {f"landscape.chart.{chart.param}" for chart in charts} <= known


def schema_fields(node: object, path: str = "") -> Iterator[tuple[str, dict]]:  # type: ignore[type-arg]
    """Every property of the record schema as (dotted path without item numbers, node)."""
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{path}{name}", sub
            yield from schema_fields(sub, f"{path}{name}.")
        for key in ("items", "anyOf", "allOf"):
            for sub in node.get(key, []) if key != "items" else [node.get("items")]:
                yield from schema_fields(resolved(sub), path)


SCHEMA = UseCase.model_json_schema()


def resolved(node: object) -> object:
    if isinstance(node, dict) and "$ref" in node:
        return SCHEMA["$defs"][node["$ref"].split("/")[-1]]
    return node


def test_every_field_of_the_record_has_a_name_and_its_description_a_hint() -> None:
    known = set(i18n.catalogue("en"))
    fields = dict(schema_fields(SCHEMA))
    assert {"organisations.country", "evaluation.metrics", "sources.url"} <= set(fields)
    assert {f"field.{path.split('.')[-1]}" for path in fields} - known == set()
    assert {f"hint.{path}" for path, node in fields.items() if node.get("description")} \
        - known == set()


def test_each_repeatable_group_of_the_form_has_its_buttons() -> None:
    known = set(i18n.catalogue("en"))
    groups = [path for path, node in schema_fields(SCHEMA) if node.get("type") == "array"
              and resolved(node.get("items")).get("type") == "object"]  # type: ignore[union-attr]
    assert {"organisations", "sources", "models"} <= set(groups)
    assert {f"form.{kind}.{group}" for group in groups
            for kind in ("item", "remove", "add", "add_another")} - known == set()


VOCAB_KEY = re.compile(r"^vocab\.(\w+)\.(\w+)$")
# Names of codes the interface shows that are not vocabularies of the record schema.
INTERFACE_CODES = {"source_kind": ["primary", "secondary"], "model_role": None,
                   "record_status": ["submitted", "published", "rejected", "superseded"],
                   "origin": ["submission", "harvest", "import", "curated"]}


def test_each_named_vocabulary_names_every_code_and_only_real_ones() -> None:
    named: dict[str, set[str]] = {}
    for key in i18n.catalogue("en"):
        if match := VOCAB_KEY.match(key):
            named.setdefault(match[1], set()).add(match[2])
    codes = {name: {term.code for term in terms}
             for name, terms in vocabularies.all_vocabularies().items()}
    codes |= {name: set(values) for name, values in INTERFACE_CODES.items() if values}
    assert {"lifecycle_stage", "hosting", "model_openness", "organisation_type"} <= set(named)
    for name, have in named.items():
        assert have == codes[name], name
    # GSBPM and GAMSO keep their published English names (no official French list here).
    assert "gsbpm" not in named and "gamso" not in named


def test_scripts_use_only_known_keys() -> None:
    known = set(i18n.catalogue("en"))
    used = {key for path in (STATIC_DIR / "js").glob("*.js")
            for match in JS_KEY.finditer(path.read_text()) for key in match.groups() if key}
    assert {"chat.copy", "status.ready", "badge.not_found"} <= used  # the pattern finds them
    missing = {k for k in used if k not in known and not {f"{k}.one", f"{k}.other"} <= known}
    assert missing == set()
    assert {f"role.{role.value}" for role in Role} <= known


@pytest.mark.parametrize(("lang", "n", "form"), [
    ("en", 1, "one"), ("en", 0, "other"), ("en", 2, "other"),
    ("fr", 0, "one"), ("fr", 1, "one"), ("fr", 2, "other"),
])
def test_the_server_chooses_plurals_as_the_browser_does(lang: str, n: int, form: str) -> None:
    assert i18n.plural_form(lang, n) == form  # Intl.PluralRules(lang).select(n)
    assert i18n.Text(lang).plural("feedback.count", n).startswith(f"{n} ")


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

"""The interface's languages: one JSON catalogue per language in `app/web/locales/`,
shared by the server's templates (`{{t:key}}` slots), the code that draws HTML on the
server (`Text`) and the pages' scripts (the catalogue is embedded in each page as JSON
data, read by `static/js/i18n.js`).

JSON rather than gettext catalogues: the same file serves the templates and the
browser scripts, with no compile step. `tests/test_i18n.py` checks that every language
has every key and that templates, scripts and server code use no key the catalogues lack.

The language is the one chosen with the switch in the header (`?lang=fr`, then kept
in the `gaios_lang` cookie), else the best match of the browser's `Accept-Language`,
else English.
"""

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT = "en"
COOKIE = "gaios_lang"
SLOT = re.compile(r"\{\{t:([\w.-]+)\}\}")
# One entry of Accept-Language: a tag such as fr-CH, then optionally ;q=0.8
ACCEPT_ENTRY = re.compile(
    r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every string of one language, by key."""
    data: dict[str, str] = json.loads((LOCALES_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def translate(lang: str, key: str, **values: Any) -> str:
    """The text of `key` in `lang`, with `{name}` placeholders filled from `values`."""
    text = catalogue(lang)[key]
    return text.format(**values) if values else text


def plural_form(lang: str, n: int) -> str:
    """"one" or "other", as `Intl.PluralRules` says in the browser (French: 0 and 1 are "one")."""
    return "one" if n == 1 or (lang == "fr" and n == 0) else "other"


class Text:
    """`translate` bound to the page's language, for the code that writes a page's HTML:
    `t("feedback.rating")`, `t.plural("feedback.count", 3)` (keys `.one` and `.other`)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, **values: Any) -> str:
        return translate(self.lang, key, **values)

    def plural(self, key: str, n: int, **values: Any) -> str:
        return translate(self.lang, f"{key}.{plural_form(self.lang, n)}", n=n, **values)

    def vocab(self, vocabulary: str, code: str, fallback: str) -> str:
        """The name of a vocabulary's code (`vocab.<vocabulary>.<code>`), else `fallback`."""
        return catalogue(self.lang).get(f"vocab.{vocabulary}.{code}", fallback)


def fill_slots(lang: str, template: str, escape: Any) -> str:
    """A template with each `{{t:key}}` replaced by its escaped text in `lang`."""
    return SLOT.sub(lambda m: escape(catalogue(lang)[m[1]]), template)


def negotiate(accept_language: str | None) -> str:
    """The supported language the browser prefers most (`fr-CH,fr;q=0.9,en;q=0.8` -> fr)."""
    ranked: list[tuple[float, int, str]] = []
    for position, entry in enumerate((accept_language or "")[:500].split(",")):
        match = ACCEPT_ENTRY.match(entry)
        if not match:
            continue
        try:
            quality = float(match[2]) if match[2] else 1.0
        except ValueError:
            continue
        primary = match[1].split("-")[0].lower()
        if quality > 0 and primary in LANGUAGES:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The page's language: the switch's choice, the kept choice, else the browser's."""
    for chosen in (query, cookie):
        if chosen in LANGUAGES:
            return str(chosen)
    return negotiate(accept_language)

"""Questions in French, German and Spanish: the language is told by its words, and the
question is searched with its English rendition, names and codes kept as written."""

import json

import pytest

from app.prompts import PromptTemplate, load_prompts
from app.services import crosslingual
from app.services.crosslingual import VOCABULARY, detect, query, to_english
from tests.conftest import PROJECT_ROOT


@pytest.mark.parametrize(("text", "lang"), [
    ("Quels offices statistiques utilisent un modèle de langue pour la codification ?", "fr"),
    ("Comment l'Insee a-t-il évalué la qualité du codage automatique ?", "fr"),
    ("Welche Statistikämter nutzen große Sprachmodelle für die Kodierung von Berufen?", "de"),
    ("Wie viele Stunden hat das Projekt eingespart?", "de"),
    ("¿Qué oficinas de estadística usan modelos de lenguaje para codificar ocupaciones?", "es"),
    ("¿Cuándo empezó el piloto de la encuesta de presupuestos familiares?", "es"),
    ("Which statistical offices use language models to code occupations?", "en"),
    # A keyword query without function words is told by its domain words ...
    ("Erhebung Kodierung Sprachmodell Genauigkeit", "de"),
    ("encuesta codificación modelo de lenguaje", "es"),
    # ... and names, codes and acronyms are no language's words.
    ("INSEE NACE 2.1 relabelling accuracy", "en"),
    ("UN Data Commons SDG agencies", "en"),
    ("Census personnel SPSS syntax ChatGPT", "en"),
])
def test_language_is_told_by_function_and_domain_words(text: str, lang: str) -> None:
    assert detect(text) == lang


@pytest.mark.parametrize(("text", "lang", "english"), [
    ("Quelle est la précision du codage automatique des professions ?", "fr",
     "which accuracy coding automatic occupation"),
    ("Welche Statistikämter nutzen offene Modelle auf eigener Infrastruktur?", "de",
     "which statistical office use open model own infrastructure"),
    ("¿Qué herramienta de IA generativa redacta el boletín?", "es",
     "which tool generative AI drafting bulletin"),
])
def test_domain_vocabulary_is_rendered_in_english(text: str, lang: str, english: str) -> None:
    assert to_english(text, lang) == english


def test_german_compounds_are_split_into_lexicon_words() -> None:
    assert to_english("Kodierprojekte Freitextkommentare Klassifikationscodes", "de") == \
        "coding project free text comment classification code"


def test_names_codes_and_figures_are_kept_as_written() -> None:
    asked = query("Combien de libellés COICOP l'INSEE a-t-il codés avec ClassifAI en 2024 ?")
    assert asked.lang == "fr"
    assert {"coicop", "insee", "classifai", "2024"} <= set(asked.english.split())
    assert "how many" in asked.english and "label" in asked.english


def test_keyword_query_keeps_the_questions_own_words_without_its_function_words() -> None:
    asked = query("Quels modèles ouverts pour la codification des dépenses ?")
    assert asked.keywords.startswith(asked.english)
    own = asked.keywords.removeprefix(asked.english).split()
    assert "modeles" in own and "depenses" in own
    assert not {"la", "des", "pour"} & set(own)


def test_english_question_is_searched_as_asked() -> None:
    text = "How did INSEE relabel NACE codes?"
    asked = query(text)
    assert (asked.lang, asked.english, asked.keywords) == ("en", text, text)


def test_lexicon_has_function_words_and_nonempty_terms_for_every_language() -> None:
    languages = json.loads(VOCABULARY.read_text(encoding="utf-8"))["languages"]
    assert set(languages) == {"en", "fr", "de", "es"}
    for lang, body in languages.items():
        assert len(body["stop_words"].split()) >= 30, lang
        assert all(source.strip() and english.strip() for source, english in body["terms"].items())
        if lang != "en":
            assert len(body["terms"]) >= 300, lang


def test_fixed_replies_exist_in_every_question_language() -> None:
    prompts = load_prompts(PROJECT_ROOT / "prompts")
    for name in ("not-found", "sources-in-english"):
        assert set(prompts[name].translations) == {"fr", "de", "es"}, name
    assert prompts["sources-in-english"].render_in("de")[1] == "Die Quellen werden auf Englisch zitiert."
    assert prompts["not-found"].render_in("en")[1] == prompts["not-found"].render()[1]


def test_translation_must_use_the_declared_variables() -> None:
    with pytest.raises(ValueError, match="in fr"):
        PromptTemplate(id="x", version="1", description="d", variables=["entities"], system="",
                       user="Personal data: {entities}", translations={"fr": "Données personnelles"})


def _phrase_at_every_phrase(tokens: list[str], start: int, lexicon, lang: str):  # type: ignore[no-untyped-def]
    """The lookup as first written: every phrase of each length tried in lexicon order
    (the reference the indexed lookup must equal)."""
    for length in range(min(crosslingual.LONGEST_PHRASE, len(tokens) - start), 0, -1):
        if (english := lexicon.written.get(tuple(tokens[start:start + length]))) is not None:
            return length, english
        token_forms = [crosslingual.forms(t, lang) for t in tokens[start:start + length]]
        for key in lexicon.by_length.get(length, []):
            if all(a & b for a, b in zip(token_forms, key, strict=True)):
                return length, lexicon.phrases[key]
    return None


def test_indexed_phrase_lookup_renders_as_trying_every_phrase(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every evaluation question and every lexicon term (with and without an ending) is
    rendered in English exactly as the lookup that tried every phrase rendered it."""
    texts = [json.loads(line)["question"] for name in ("answerable", "unanswerable")
             for line in (PROJECT_ROOT / "evaluation" / "datasets" / f"{name}.jsonl")
             .read_text(encoding="utf-8").splitlines() if line.strip()]
    lexicon = json.loads(VOCABULARY.read_text(encoding="utf-8"))["languages"]
    cases = [(t, detect(t)) for t in texts] + [
        (f"{term}{ending} {term}", lang) for lang, body in lexicon.items()
        for term in body["terms"] for ending in ("", "s", "en")]
    fast = [to_english(text, lang) for text, lang in cases]
    monkeypatch.setattr(crosslingual, "_phrase_at", _phrase_at_every_phrase)
    assert fast == [to_english(text, lang) for text, lang in cases]
    assert any(lang != "en" for _, lang in cases[:len(texts)])

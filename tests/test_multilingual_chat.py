"""Questions in French, German and Spanish against the English corpus and the English
embedding model: found through their English rendition, answered with the English sources
quoted under a notice in the question's language, refused in the question's language."""

import json
from pathlib import Path

import pytest

from app.core.container import Container
from app.services.crosslingual import query
from tests.conftest import indexed_settings
from tests.fakes import ScriptedLLM
from tests.test_chat import ask, client_for

pytestmark = pytest.mark.slow  # the real embedding model and Chroma index

# Written for this test from the records' subject matter, not taken from the evaluation set;
# as written, each falls under the relevance floor of the English embedding model.
QUESTIONS = {
    "fr": "Quelles recommandations pour limiter les hallucinations des modèles de langue ?",
    "de": "Welche Statistikämter nutzen Sprachmodelle, um Berufe zu kodieren?",
    "es": "¿Qué riesgos de confidencialidad tienen los servicios en la nube?",
}
IN_ENGLISH = {"fr": "What is recommended to limit the hallucinations of language models?",
              "de": "Which statistical offices use language models to code occupations?",
              "es": "What confidentiality risks do cloud services have?"}
NOTICES = {"fr": "Les sources sont citées en anglais.", "de": "Die Quellen werden auf Englisch zitiert.",
           "es": "Las fuentes se citan en inglés."}


@pytest.mark.parametrize("lang", sorted(QUESTIONS))
def test_english_rendition_brings_the_question_over_the_relevance_floor(
    indexed_dir: Path, lang: str,
) -> None:
    translated = Container.build(indexed_settings(indexed_dir)).retriever
    as_written = Container.build(indexed_settings(
        indexed_dir, retrieval={"translate_queries": False})).retriever
    floor = translated.settings.min_relevance
    found = translated.search(QUESTIONS[lang])
    assert found.lang == lang and found.english == query(QUESTIONS[lang]).english
    assert as_written.search(QUESTIONS[lang]).best_similarity < floor <= found.best_similarity
    english = translated.search(IN_ENGLISH[lang])
    assert english.hits[0].doc_id in {h.doc_id for h in found.hits[:3]}, \
        "the English question's best record is among the first three"


@pytest.mark.parametrize("lang", sorted(QUESTIONS))
def test_answer_quotes_english_sources_under_a_notice_in_the_questions_language(
    indexed_dir: Path, lang: str,
) -> None:
    with client_for(indexed_dir) as client:
        answer = ask(client, QUESTIONS[lang])
        stream = client.post("/api/v1/chat/stream", json={"question": QUESTIONS[lang]}).text
    assert not answer["refused"] and answer["citations"]
    assert answer["answer"].startswith(NOTICES[lang] + " ")
    tokens = [json.loads(event.split("data: ", 1)[1])["text"]
              for event in stream.split("\n\n") if event.startswith("event: token")]
    assert tokens[0] == NOTICES[lang] + " "


def test_english_question_gets_no_notice(indexed_dir: Path) -> None:
    with client_for(indexed_dir) as client:
        answer = ask(client, "Which statistical offices use language models to code occupations?")
    assert not answer["refused"]
    assert not any(n in answer["answer"] for n in NOTICES.values())
    assert "sources are quoted in English" not in answer["answer"]


@pytest.mark.parametrize(("question", "opening"), [
    ("Quelle est la meilleure recette de tarte aux pommes ?", "Le référentiel ne contient pas"),
    ("Wie backe ich einen Apfelstrudel?", "Das Repository enthält keine"),
    ("¿Cuál es la mejor receta de paella?", "El repositorio no contiene"),
])
def test_refusal_is_written_in_the_questions_language(indexed_dir: Path, question: str,
                                                       opening: str) -> None:
    with client_for(indexed_dir) as client:
        answer = ask(client, question)
    assert answer["refused"] and answer["answer"].startswith(opening)


def test_capable_model_answering_in_english_gets_the_notice_last(indexed_dir: Path) -> None:
    model = ScriptedLLM("The ONS, INSEE and Istat use language models to code occupations and "
                        "industries [1].")
    model.backend = "openai"  # a capable model: asked to answer in the question's language
    with client_for(indexed_dir, model=model) as client:
        answer = ask(client, QUESTIONS["fr"])
    # Whether the model's sentence or the extractive fallback is kept, it is English.
    assert not answer["refused"] and answer["answer"].endswith(NOTICES["fr"])
    assert "language of the question" in model.sent_text()

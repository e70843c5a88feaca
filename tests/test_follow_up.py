"""A question is condensed with the conversation only when it refers back to it
(pronouns, ellipsis, "and for France?"), in English, French, German and Spanish; an
unrelated new question stands alone (issue #12: the Mars question was merged with the
NACE question before it and answered from NACE passages)."""

import pytest

from app.services.chat import refers_back

REFERS_BACK = [
    "Which models did they use?",
    "And for France?",
    "What about Istat?",
    "How accurate was it?",
    "Which office built this?",
    "Et pour l'Italie ?",
    "Quels modèles ont-ils utilisés ?",
    "Und in Deutschland?",
    "Welche Modelle haben sie verwendet?",
    "¿Y en España?",
    "¿Qué modelos usaron ellos?",
    "Accuracy?",
    "Which models?",
]
STANDS_ALONE = [
    "What was the GDP of Mars in 2023?",
    "Which statistical offices use LLMs to code occupations?",
    "What is StatsChat?",
    "How does Statistics Canada code industries with machine learning?",
    "Quels instituts utilisent des LLM pour coder les professions ?",
    "Welche Ämter nutzen Sprachmodelle für die Kodierung von Berufen?",
    "¿Qué oficinas usan modelos de lenguaje para codificar ocupaciones?",
    "Who leads the ONS Survey Assist project?",
    "What was Germany's GDP growth rate in 2023?",
    "How many records mention ISCO?",
]


@pytest.mark.parametrize("question", REFERS_BACK)
def test_a_question_referring_back_is_a_follow_up(question: str) -> None:
    assert refers_back(question)


@pytest.mark.parametrize("question", STANDS_ALONE)
def test_an_unrelated_question_stands_alone(question: str) -> None:
    assert not refers_back(question)

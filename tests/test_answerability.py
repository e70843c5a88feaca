"""Questions asking for a figure, a date or a person are answered only when one source
holds one next to most of the question's words (checked before any model runs)."""

import pytest

from app.services.answerability import answer_type_in_sources

STATCAN = ("Statistics Canada built an LLM classification service for survey responses; "
           "it reached 91% accuracy on the test set in 2024.")
INSEE = "INSEE relabelled its classifier's training data; the LLM reached 78% accuracy."
CAMPUS = "The ONS Data Science Campus built StatsChat, a search over ONS releases."


@pytest.mark.parametrize("question", [
    "What accuracy did Statistics Canada's classification service reach?",
    "How accurate is the Statistics Canada classification service?",
    "When did Statistics Canada build its classification service?",
])
def test_figure_or_date_in_a_source_about_the_subject_is_answerable(question: str) -> None:
    assert answer_type_in_sources(question, [INSEE, STATCAN])


@pytest.mark.parametrize("question", [
    "What accuracy did Statistics Norway's classification service reach?",  # figure is INSEE's
    "How many users does the Data Science Campus StatsChat have?",  # no number at all
    "When was ONS StatsChat switched off?",  # no year
    "What was Statistics Norway's GDP growth rate in 2024?",  # a possessive in the question
])
def test_figure_or_date_absent_from_the_sources_is_not_answerable(question: str) -> None:
    assert not answer_type_in_sources(question, [INSEE, CAMPUS])


def test_person_question_needs_a_name_in_the_sources() -> None:
    question = "Who leads the ONS Data Science Campus?"
    assert not answer_type_in_sources(question, [CAMPUS])
    assert answer_type_in_sources(question, [CAMPUS + " It is led by Maria Schmidt."])


def test_other_questions_are_not_checked() -> None:
    assert answer_type_in_sources("Who built StatsChat?", [CAMPUS])  # may be an organisation
    assert answer_type_in_sources("Which offices code occupations with LLMs?", [])

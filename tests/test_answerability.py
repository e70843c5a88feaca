"""Before any model runs, a question that asks for one attribute of something (the model it
uses, a count, a cost, an accuracy, a date, a person...) is `answered` only when a source
about that thing states such a value; `partial` when sources about the thing do not state
it; `refused` when no source is about the thing."""

import pytest

from app.services.answerability import assess

STATCAN = ("Statistics Canada built an LLM classification service for survey responses; "
           "it reached 91% accuracy on the test set in 2024.")
INSEE = ("INSEE relabelled 2.7 million training records from NACE 2.0 to NACE 2.1. Three "
         "configurations of Qwen3-235B and a Gemma model vote; the LLM reached 78% accuracy.")
CAMPUS = "The ONS Data Science Campus built StatsChat, a search over ONS releases."
SURVEY_ASSIST = ("The ONS tool Survey Assist asks respondents of the Transformed Labour Force "
                 "Survey a follow-up question and assigns SIC and SOC codes. The specific model is not "
                 "stated in the source notes.")
OSCA = ("ABS analysts drafted OSCA task descriptions with ChatGPT; the approach saved about "
        "1,600 hours of work.")


def status(question: str, *texts: str) -> str:
    return assess(question, list(texts)).status


@pytest.mark.parametrize("question", [
    "What accuracy did Statistics Canada's classification service reach?",
    "How accurate is the Statistics Canada classification service?",
    "When did Statistics Canada build its classification service?",
    "Which models did INSEE use to relabel NACE training records?",
    "How many training records did INSEE relabel?",
    "How many hours of work did the ABS save with ChatGPT on OSCA task descriptions?",
])
def test_a_source_about_the_subject_stating_the_attribute_answers(question: str) -> None:
    assert status(question, CAMPUS, INSEE, STATCAN, OSCA) == "answered"


@pytest.mark.parametrize(("question", "attribute"), [
    ("Which language model does Survey Assist use?", "model"),
    ("Quel modèle de langage utilise Survey Assist ?", "model"),
    ("How much did ONS spend on Survey Assist?", "cost"),
    ("What share of Survey Assist's SOC codes agree with clerical coding?", "accuracy"),
    ("How many respondents has Survey Assist asked a follow-up question?", "count"),
    ("Which contractor built Survey Assist?", "vendor"),
    ("What prompt temperature does Survey Assist use?", "parameter"),
    ("How many GPUs does Survey Assist run on?", "hardware"),
    ("How many ABS staff reviewed the ChatGPT drafts of OSCA task descriptions?", "count"),
    ("Which version of GPT did the ABS use for OSCA task descriptions?", "model"),
])
def test_sources_about_the_subject_without_the_attribute_give_a_partial_answer(
        question: str, attribute: str) -> None:
    result = assess(question, [SURVEY_ASSIST, OSCA, INSEE])
    assert (result.status, result.attribute and result.attribute.name) == ("partial", attribute)


def test_a_value_stated_as_missing_or_repeating_the_question_does_not_count() -> None:
    assert status("Which model powers Survey Assist?", SURVEY_ASSIST) == "partial"
    assert status("Which Gemma version did INSEE use?", INSEE) == "partial"  # no version given


@pytest.mark.parametrize("question", [
    "What accuracy did Statistics Norway's classification service reach?",  # figure is INSEE's
    "When was the Eurostat chatbot switched off?",
    "What was Statistics Norway's GDP growth rate in 2024?",
    "Who leads the Bank of England's data office?",
])
def test_no_source_about_the_subject_is_a_refusal(question: str) -> None:
    assert status(question, INSEE, CAMPUS) == "refused"


def test_person_question_needs_a_name_in_the_sources() -> None:
    question = "Who leads the ONS Data Science Campus?"
    assert status(question, CAMPUS) == "partial"
    assert status(question, CAMPUS + " It is led by Maria Schmidt.") == "answered"


def test_a_name_or_year_no_source_holds_is_a_refusal() -> None:
    assert status("How does Statistics Sweden code occupations?", CAMPUS, INSEE) == "refused"
    assert status("What did INSEE relabel in 2019?", INSEE) == "refused"
    assert status("Qu'a fait l'ONU avec des LLM ?", "The UN tested an LLM.") == "answered"


def test_questions_asking_for_no_single_attribute_are_not_checked() -> None:
    assert status("Who built StatsChat?", CAMPUS) == "answered"  # may be an organisation
    assert status("Which offices code occupations with LLMs?", INSEE) == "answered"
    assert assess("How does INSEE relabel NACE codes?", []).attribute is None


def test_a_value_of_another_project_in_a_neighbouring_sentence_does_not_count() -> None:
    passage = ("In ONS Survey Assist an LLM writes a follow-up question when a job description is "
               "too vague. It then assigns SIC and SOC codes. The US Census Bureau's planned "
               "Census API GPT likewise asks clarifying questions.")
    assert status("Which language model writes Survey Assist's follow-up questions?",
                  passage) == "partial"
    assert status("Which model does Survey Assist use?",
                  passage + " Survey Assist calls GPT-4 through the OpenAI API.") == "answered"


def test_licences_classifications_and_project_codes_are_not_model_names() -> None:
    passage = ("The ONS Survey Assist record is published under CC-BY-4.0 by the AIML4OS WP12 "
               "team (ML2022); it codes to ISCO-08 and its best Top-1 score is reported.")
    assert status("Which model does Survey Assist use?", passage) == "partial"


@pytest.mark.parametrize(("english", "as_asked", "attribute"), [
    # the lexicon's rendition loses the word order the question's own language gives
    ("who knbs statschat prototype Kenya programmed",
     "Wer hat den KNBS-StatsChat-Prototyp in Kenia programmiert?", "person"),
    ("which name model use Survey Assist", "Quel est le nom du modèle utilisé par Survey Assist ?",
     "model"),
    ("What is the name of the language model behind Survey Assist?", None, "model"),
])
def test_what_is_asked_is_read_from_the_question_as_asked_and_its_rendition(
        english: str, as_asked: str | None, attribute: str) -> None:
    result = assess(english, [SURVEY_ASSIST, CAMPUS], as_asked=as_asked)
    assert result.attribute is not None and result.attribute.name == attribute
    assert result.status in ("partial", "refused")

"""Which source sentences an answer quotes (`app.services.generation.ranked_sentences`): the
likeliest to answer first, not merely the most similar. A title or a definition restates
the question; the answering sentence also holds the question's rarer words and a value of
what the question asks for."""

import numpy as np

from app.services.generation import ranked_sentences
from app.services.retrieval import Hit

TITLE = ("LLM-assisted translation of SAS code to Python at the Census Bureau is a use case of "
         "the United States Census Bureau, at the experiment stage.")
ANSWER = "The contractor, Reveal Global Consulting, describes its translation method in a paper."
OTHER = "Translated programs are checked against the outputs of the original SAS programs."


def hit(number: int, text: str) -> Hit:
    return Hit(f"doc-{number}:0", text, {"doc_id": f"doc-{number}"}, 0.0, 0.5,
               np.zeros(3), number, None)


def equally_similar(sentences: list[str]) -> np.ndarray:
    """An embedding under which every sentence is as similar to the question as the others:
    the ranking then rests on the other signals alone."""
    return np.ones((len(sentences), 3)) / np.sqrt(3)


def ranked(question: str, *texts: str) -> list[str]:
    hits = [hit(n, text) for n, text in enumerate(texts, 1)]
    return [s for _, s in ranked_sentences(hits, question, np.ones(3) / np.sqrt(3),
                                           equally_similar)]


def test_the_sentence_stating_the_asked_value_comes_before_a_restatement() -> None:
    order = ranked("Which contractor translated the Census Bureau's SAS code to Python?",
                   TITLE, OTHER, ANSWER)
    assert order[0] == ANSWER


def test_a_year_answers_when_before_sentences_without_one() -> None:
    dated = "The Census Bureau started the SAS translation work in March 2024 with one division."
    order = ranked("When did the Census Bureau start translating SAS code?", TITLE, OTHER, dated)
    assert order[0] == dated


def test_rare_question_words_outweigh_common_ones() -> None:
    """Every sentence says "SAS"; only one says "checked": that word decides."""
    order = ranked("How are the SAS programs checked?", TITLE, ANSWER, OTHER)
    assert order[0] == OTHER


def test_similarity_still_ranks_when_the_other_signals_are_equal() -> None:
    first, second = ("Alpha beta gamma delta epsilon zeta eta theta iota kappa.",
                     "Lambda mu nu xi omicron pi rho sigma tau upsilon phi.")
    vectors = {first: np.array([1.0, 0.0, 0.0]), second: np.array([0.0, 1.0, 0.0])}
    hits = [hit(1, second), hit(2, first)]
    order = ranked_sentences(hits, "Unrelated words only?", np.array([1.0, 0.0, 0.0]),
                             lambda sentences: np.stack([vectors[s] for s in sentences]))
    assert [s for _, s in order] == [first, second]

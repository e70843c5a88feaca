"""Is the answer to a question in the retrieved sources at all? Checked in code, before any
model runs, for the questions whose answers models invent most: figures, dates and people.

Such a question is answered only when one source holds a number (a year, for a date; a
person's name, for a person) and most of the question's words. A nearby passage without the
figure is exactly the situation in which a model writes a plausible number, and in which the
extractive backend would return related sentences that do not answer.
"""

import re
from collections.abc import Callable

from app.components.keyword import tokenize
from app.services.guard import numbers_in
from app.services.pii import names_a_person

FIGURE_QUESTION = re.compile(
    r"\b(how (many|much|accurate|large|big|often)|"
    r"what (was|is|were|are|did|does)? ?(the |its |their )?(\S+ ){0,4}(rate|share|number|percentage|"
    r"proportion|accuracy|precision|recall|f1|score|hit@\d|cost|budget|amount|size|total|growth|"
    r"level)\b|combien|quel(le)? (est|était) (le|la) (taux|part|nombre|budget|précision)|"
    r"wie (viele?|hoch|genau)|cu[aá]nt[oa]s?)",
    re.IGNORECASE)
DATE_QUESTION = re.compile(
    r"\b(when|what year|in which year|since when|quand|en quelle année|wann|seit wann|"
    r"in welchem jahr|cu[aá]ndo|en qu[eé] a[nñ]o)\b",
    re.IGNORECASE)
PERSON_QUESTION = re.compile(
    r"\b(who (is|was|are|were) the|who (leads|led|heads|headed|chairs|chaired|directs|directed|"
    r"wrote|authored|programmed|coded|founded)|which (\w+ ){0,2}(statistician|person|researcher|"
    r"author|employee|official|director|expert)s?|qui (dirige|est le|est la|a écrit|a programmé)|"
    r"wer (ist|war|leitet|leitete|hat .{0,60}(geschrieben|programmiert))|"
    r"qui[eé]n (dirige|es el|es la|escribi[oó]))\b",
    re.IGNORECASE)
YEAR = re.compile(r"\b(19|20)\d{2}\b")
# Words of figure and date questions that say what is asked, not what it is about.
GENERIC_WORDS = frozenset(tokenize(
    "many much was were did does has have rate number total amount accurate accuracy score "
    "share when year will who which lead led wrote its his her"))
COVERAGE = 0.75


def answer_type_in_sources(question: str, texts: list[str]) -> bool:
    """False when the question asks for a figure, a date or a person and no source has one
    next to most of the question's words; True otherwise."""
    if FIGURE_QUESTION.search(question):
        return _in_one_source(question, texts, lambda t: bool(numbers_in(t)))
    if DATE_QUESTION.search(question):
        return _in_one_source(question, texts, lambda t: bool(YEAR.search(t)))
    if PERSON_QUESTION.search(question):
        return _in_one_source(question, texts, names_a_person)
    return True


def _in_one_source(question: str, texts: list[str], holds_answer: Callable[[str], bool]) -> bool:
    words = set(tokenize(question)) - GENERIC_WORDS
    if not words:
        return True
    return any(holds_answer(text) and len(words & set(tokenize(text))) / len(words) >= COVERAGE
               for text in texts)

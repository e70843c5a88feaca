"""Does a source state what the question asks? Decided in code, before any model runs.

A question often asks for one attribute of something: the model a project uses, a count,
a cost, an accuracy, a date, a person, a vendor. The rest of its words name the thing asked
about (its subject). Related passages without the asked attribute are exactly where a
model writes a plausible model name or figure, and where an extractive answer would quote
sentences that do not answer. So:

- **answered**: the question asks for no particular attribute, or one source covers most
  of the subject and states a value of the attribute (a model name, a number next to the
  counted thing, an amount of money...);
- **partial**: a source covers the subject but none states the attribute: the answer says
  plainly that the sources do not give it, then what they do say, cited;
- **refused**: no source covers the subject.

Detection is by patterns in English, French, German and Spanish, kept general to the
vocabulary of the domain (the maintainers' held-out questions are not tuned to).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from app.components.keyword import tokenize
from app.services.guard import ACRONYM, numbers_in, split_sentences
from app.services.pii import names_a_person

Status = Literal["answered", "partial", "refused"]

YEAR = re.compile(r"\b(19|20)\d{2}\b")
MONTH = re.compile(r"\b(january|february|march|april|may|june|july|august|september|october|"
                   r"november|december)\b", re.IGNORECASE)
PERCENT_OR_SCORE = re.compile(r"\d\s?%|\b0[.,]\d+\b|\b\d+ (out )?of \d+\b|\bper ?cent\b")
MONEY = re.compile(r"[$€£]\s?\d|\b\d[\d,.]*\s?(million|billion|thousand|k|m)?\s?"
                   r"(usd|eur|gbp|chf|dollars?|euros?|pounds?|francs?)\b|\b(usd|eur|gbp|chf)\s?\d",
                   re.IGNORECASE)
DURATION = re.compile(r"\b\d[\d,.]*\s?(seconds?|minutes?|hours?|days?|weeks?|months?|years?)\b",
                      re.IGNORECASE)
# Model names and families: a name in this list, or a name with a version number
# ("Qwen3-235B", "GPT-4o", "Gemini 1.5").
MODEL_NAME = re.compile(
    r"\b(chatgpt|gpt(?:[- ]?\d[\w.]*|-\w+)?|gemini|gemma|embeddinggemma|llama[\w.-]*|mistral|"
    r"mixtral|qwen[\w.-]*|claude|bert|roberta|camembert|deberta|minilm|xlm-r\w*|fasttext|word2vec|t5|"
    r"phi-?\d[\w.]*|falcon|deepseek[\w.-]*|smollm\w*|bertopic|copilot|support vector machine|"
    r"logistic regression|random forest|xgboost|neural networks?)\b"
    r"|\b[A-Z][A-Za-z]+-?\d[\w.-]*\b",
    re.IGNORECASE)
# Names with a digit that are not models: licences (Apache-2.0, CC-BY-4.0), citation keys
# and other names ending in a year (ML2022), work packages and short codes (WP12),
# classifications (ISCO-08, NACE 2.1), ranks (Top-1) and the ESS projects (AIML4OS).
NOT_A_MODEL = re.compile(
    r"^(?:[A-Z]{1,2}-?\d+|[\w-]*(?:19|20)\d\d|(?:cc-)?by-[\d.]+|apache-[\d.]+|"
    r"(?:isco|isic|nace|naics|coicop|soc|sic|sdg|top)-?[\d.]+|aiml4os|qf4sa)$", re.IGNORECASE)
VERSIONED = re.compile(r"\d")
NUMBER_WORD = re.compile(r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
                         r"thirty|forty|fifty|hundreds?|thousands?|millions?|dozens?)\b",
                         re.IGNORECASE)
# Measures of quality: a sentence giving an accuracy names one; a question naming one
# (Hit@1, F1) is answered only by that measure.
QUALITY_WORD = re.compile(r"accura\w*|correct\w*|agree\w*|precision|recall|f1|hit@\d+|error|"
                          r"right", re.IGNORECASE)
NAMED_MEASURE = re.compile(r"hit@\d+|\bf1\b|precision|recall|\bauc\b|bleu|rouge", re.IGNORECASE)
LICENCE = re.compile(r"\b(mit|apache|gpl|agpl|lgpl|eupl|bsd|mpl|cc[- ]by[\w.-]*|"
                     r"creative commons|public domain|open licen[cs]e)\b", re.IGNORECASE)
PROGRAMMING_LANGUAGE = re.compile(r"\b(python|r|sas|stata|spss|cobol|fortran|java|c\+\+|julia|"
                                  r"scala|javascript|sql|visual basic)\b", re.IGNORECASE)
HARDWARE = re.compile(r"\b(gpus?|cpus?|a100|h100|l4|t4|v100|cores?|ram|vram|\d+ ?gb)\b",
                      re.IGNORECASE)
HOSTING = re.compile(r"\b(on[- ]prem\w*|own (it )?(servers|infrastructure|data cent\w+)|"
                     r"self-hosted|azure|aws|google cloud|vertex|ssp ?cloud|public cloud|"
                     r"private cloud|hosted)\b", re.IGNORECASE)
ORGANISATION = re.compile(r"\b(contractor|vendor|supplier|company|firm|built with|built by|"
                          r"developed by|provided by|inc|ltd|llc|corporation|gmbh)\b",
                          re.IGNORECASE)
# Rows of a Markdown table (flattened into one line by chunking) are sentences of their own.
TABLE_ROW_END = re.compile(r"\|\s+\|")
# "Gemma (version not stated in the source)": a name whose detail is said to be missing.
MISSING_VALUE = re.compile(r"[\w.-]+\s*\([^)]*\bnot (named|stated|given)\b[^)]*\)", re.IGNORECASE)
# A passage that says the attribute is missing does not state it.
NOT_STATED = re.compile(r"\bnot (named|stated|given|reported|known|disclosed)\b|"
                        r"\bdoes not (name|say|state|give)\b|\bnames neither\b", re.IGNORECASE)


@dataclass(frozen=True)
class Attribute:
    """Something a question can ask for: how to recognise the question, and how to
    recognise a passage that states a value of it (the question's words are given, so a
    value that merely repeats the question does not count)."""

    name: str
    label: str  # completes "The sources do not say ..."
    asks: re.Pattern[str]
    states: Callable[[str, str], bool]
    # words of such questions that say what is asked, not what it is about
    generic: str = ""


def _model(passage: str, question: str) -> bool:
    """A model name the question does not already give; a version when one is asked for
    (of the model the question names, if it names one)."""
    asked = question.lower()
    names = [m.group(0).lower() for m in MODEL_NAME.finditer(passage)
             if not NOT_A_MODEL.match(m.group(0))]
    if re.search(r"\bversions?\b|\bversión\b", asked):
        families = [m.group(0).lower() for m in MODEL_NAME.finditer(question)]
        return any(VERSIONED.search(n) and (not families or any(f in n for f in families))
                   for n in names)
    return any(n not in asked for n in names)


def _count(passage: str, question: str) -> bool:
    """A number other than a year, in a passage that names the counted thing (the words
    after "how many", less acronyms: in "how many ABS staff" the staff are counted)."""
    if not ({n for n in numbers_in(passage) if not YEAR.fullmatch(n)}
            or NUMBER_WORD.search(passage)):
        return False
    after = re.search(r"(how many|number of|combien d[e']|wie viele|cu[aá]nt[oa]s)\s+(\S+)"
                      r"(\s+\S+)?", question, re.IGNORECASE)
    if after is None:
        return True
    counted = set(tokenize(" ".join(w for w in (after.group(2) + (after.group(3) or "")).split()
                                    if not w.isupper()))) - FUNCTION_WORDS
    return counted <= set(tokenize(passage))


def _money(passage: str, _: str) -> bool:
    return bool(MONEY.search(passage))


def _score(passage: str, question: str) -> bool:
    """A percentage or score next to a word of quality, and the measure the question names."""
    named = {m.group(0).lower() for m in NAMED_MEASURE.finditer(question)}
    found = {m.group(0).lower() for m in QUALITY_WORD.finditer(passage)}
    return bool(PERCENT_OR_SCORE.search(passage) and found and (not named or named & found))


def _pattern(pattern: re.Pattern[str]) -> Callable[[str, str], bool]:
    return lambda passage, question: any(m.group(0).lower() not in question.lower()
                                         for m in pattern.finditer(passage))


PARAMETER = re.compile(r"temperature|rate limit|top[- ]p|threshold|context window|chunk size|"
                       r"batch size|parameters?", re.IGNORECASE)


def _parameter(passage: str, question: str) -> bool:
    """A number in a passage that names the parameter asked about ("temperature 0.2")."""
    asked = {m.group(0).lower() for m in PARAMETER.finditer(question)}
    named = {m.group(0).lower() for m in PARAMETER.finditer(passage)}
    return bool(asked & named and numbers_in(passage))


def _date(passage: str, _: str) -> bool:
    return bool(YEAR.search(passage) or MONTH.search(passage))


def _figure(passage: str, _: str) -> bool:
    return bool(numbers_in(passage))


def _person(passage: str, _: str) -> bool:
    return names_a_person(passage)


def _ask(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Most specific first: "how much did X spend" asks for a cost, not any figure.
ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("cost", "what it cost", _ask(
        r"\b(how much (did|does|do|will|would|has|have)\b.{0,60}\b(cost|spend|spent|pay|paid|"
        r"charge|invest)|budget(?! (survey|de famille))|what (does|did) .{0,60}\b(cost|charge)|"
        r"price|\bfees?\b|funding|combien (a|ont) co[uû]t|co[uû]t(é|e)?\b|kosten|kostete|"
        r"cu[aá]nto cost[oó]|presupuesto)"),
        _money, "much cost spend spent pay paid charge budget price fund invest annual"),
    Attribute("accuracy", "how accurate it is", _ask(
        r"\b(how accurate|what (\w+ ){0,2}(accuracy|precision|recall|f1|score|hit@\d)|"
        r"what share .{0,80}\b(agree|correct|right)|how often .{0,60}\b(right|correct)|"
        r"précision|genauigkeit|precisión|exactitud)"),
        _score, "accurate accuracy precision recall f1 score share agree correct right often "
                "reach reached achieve"),
    Attribute("time", "how long it took", _ask(
        r"\b(how long|how much time|combien de temps|wie lange|cu[aá]nto tiempo)\b"),
        lambda passage, _: bool(DURATION.search(passage)), "long time take took"),
    Attribute("parameter", "the value of this setting", _ask(
        r"\b(temperature|rate limit|top[- ]p|threshold|context window|chunk size|batch size|"
        r"how many parameters|parameter count)\b"),
        _parameter, "set apply prompt"),
    Attribute("hardware", "what hardware it runs on", _ask(
        r"\b(gpus?|cpus?|hardware|how many (servers|machines))\b"),
        _pattern(HARDWARE), "hardware run ran"),
    Attribute("licence", "which licence applies", _ask(
        r"\b(licen[cs]e[sd]?|licencia|lizenz)\b"),
        _pattern(LICENCE), "licence license licensed cover open source"),
    Attribute("language", "which programming languages are involved", _ask(
        r"\b(programming languages?|which languages? .{0,40}\bcode|"
        r"from which (\w+ )?languages?)\b"),
        _pattern(PROGRAMMING_LANGUAGE), "programming language languages convert code"),
    Attribute("hosting", "where it is hosted", _ask(
        r"(?<!self-)\bhosted (on|in|by|at)\b|\bwhere .{0,40}\bhosted|\bon[- ]premises? or\b|"
        r"\bown servers or\b"),
        _pattern(HOSTING), "hosted hosting own servers public cloud premises"),
    Attribute("vendor", "which company or contractor is involved", _ask(
        r"\b(which|what) (vendor|contractor|company|supplier|firm|provider)"),
        lambda passage, _: bool(ORGANISATION.search(passage)),
        "vendor contractor company supplier firm provider built supplies developed"),
    Attribute("model", "which model is used", _ask(
        r"\b(which|what) (kind of |type of |version of )?((large|small|language|generative|ai|"
        r"embedding|encoder|open|open-source|self-hosted|neural|foundation|chat|gpt|openai|"
        r"gemini|gemma|llama|qwen\w*|mistral|claude|bert|chatgpt)[- ]){0,3}"
        r"(models?|llms?|version)\b|\bwhich (gpt|gemini|llama|openai)\b|"
        r"\bname (of )?(the )?((large|language|ai|generative|embedding)[- ]){0,2}(models?|llms?)\b|"
        r"\b(powers|underlies|runs? on|is behind)\b|\bquel(le)?s? mod[eè]les?\b|"
        r"\bwelche[sn]? (\w+)?modell|\bqu[eé] modelos?\b"),
        _model, "model models llm llms language large version power underlie behind run use "
                "modele modell sprachmodell modelo lenguaje"),
    Attribute("count", "how many there are", _ask(
        r"\b(how many|number of|combien|wie viele|cu[aá]nt[oa]s)\b"),
        _count, "many number"),
    Attribute("figure", "the figure asked for", _ask(
        r"\b(how (much|large|big|often)|what (was|is|were|are|did|does)? ?(the |its |their )?"
        r"(\S+ ){0,4}(rate|share|percentage|proportion|amount|size|total|growth|level)\b|"
        r"quel(le)? (est|était) (le|la) (taux|part)|wie hoch)"),
        _figure, "much rate share total amount level"),
    Attribute("date", "when", _ask(
        r"^\W*(when|quand|wann|cu[aá]ndo)\b|\b(and|,) when\b|"
        r"\bwhen (did|was|were|will|is|has|have|does|do)\b|\b(what year|in which year|since when|"
        r"en quelle année|seit wann|in welchem jahr|en qu[eé] a[nñ]o)\b"),
        _date, "when year will since"),
    Attribute("person", "who", _ask(
        r"\b(who (is|was|are|were) the|who (leads|led|heads|headed|chairs|chaired|directs|directed|"
        r"wrote|authored|programmed|coded|founded)|which (\w+ ){0,2}(statistician|person|"
        r"researcher|author|employee|official|director|expert)s?|qui (dirige|est le|est la|"
        r"a écrit|a programmé)|wer (ist|war|leitet|leitete|hat .{0,60}(geschrieben|programmiert))|"
        r"qui[eé]n (dirige|es el|es la|escribi[oó]))\b"),
        _person, "who lead led wrote head chair"),
)

# Question words and function words of the four languages: not part of the subject.
FUNCTION_WORDS = frozenset(tokenize(
    "what which whose whom who how did does do is are was were has have had will would "
    "can could should its his her they them their use used uses using so far first "
    "quel quelle quels quelles le la les l un une des de du d pour par dans sur avec est "
    "il elle t a ont qui que se sa son ses "
    "welche welcher welches welchen der die das den dem des ein eine einer im in am und "
    "hat hatte wird wie was mit für von zu "
    "qué cuál cuáles el los las un una del al en por para con es fue tiene son que se su sus"))
# A source is about the subject when it holds this share of the subject's words; one that
# states the answer must hold more of them.
RELATED = 0.5
STATES = 0.75


# Capitalised words that are not names: question words and the like, in four languages.
NOT_NAMES = frozenset("""
which what who whom whose how when where why is are was were do does did can could would
should will has have and or the a an in on of for to with by from its their quel quelle
quels quelles qui que quoi comment quand où pourquoi est le la les un une des du de
welche welcher welches wer was wie wann wo warum ist sind der die das ein eine und oder
mit für qué cuál cuáles quién cómo cuándo dónde por el la los las un una y o con para
gaios gpu cpu""".split())  # and the repository's own name, and hardware words


@dataclass(frozen=True)
class Assessment:
    status: Status
    attribute: Attribute | None  # what the question asks for, when it asks for one thing


def asked_attribute(question: str) -> Attribute | None:
    return next((a for a in ATTRIBUTES if a.asks.search(question)), None)


# Attributes whose values are names: a sentence naming a person or a firm may state them.
NAMES_ARE_VALUES = frozenset({"person", "vendor"})
# Acronyms of techniques and formats, not of organisations or projects.
TECHNICAL = frozenset("ai api apis llm llms gpu gpus cpu json csv pdf html xml sql rag nlp ml "
                      "ocr url http ui".split())
# Acronyms of other languages and the English ones the sources use.
ACRONYMS_IN_ENGLISH = {"onu": "un", "fmi": "imf", "ods": "sdg", "ia": "ai", "ki": "ai",
                       "ocde": "oecd", "ue": "eu", "oit": "ilo", "bce": "ecb", "ee": "us",
                       "uu": "us", "eeuu": "us", "nu": "un"}


def names_asked_about(question: str) -> list[str]:
    """Acronyms (ONS, FIFA; a plural "LLMs" as "LLM") and runs of two or more capitalised
    words (Statistics Sweden, World Cup) after the first word: the names a question is
    about. Single capitalised words are left out: German capitalises every noun."""
    acronyms = [a for a in (a.removesuffix("s") for a in ACRONYM.findall(question))
                if a.lower() not in NOT_NAMES]
    runs: list[str] = []
    run: list[str] = []
    for word in [*question.split()[1:], "."]:
        clean = re.sub(r"['’]s?$", "", word.strip("?¿!¡.,;:()\"'"))
        title = clean[:1].isupper() and not clean.isupper() and clean.lower() not in NOT_NAMES
        if title:
            run.append(clean)
        if not title or clean != word.strip("?¿!¡.,;:()\"'"):  # a name ends at "'s"
            if len(run) >= 2:
                runs.append(" ".join(run))
            run = []
    return [*acronyms, *runs]


def missing_names(question: str, texts: list[str]) -> list[str]:
    """Names the question is about that no source holds (an acronym anywhere; the words of
    a run of capitalised words in one source), and years it names that no source gives: the
    question is about something the repository does not hold."""
    lowered = [t.lower() for t in texts]

    def held(name: str) -> bool:
        words = [ACRONYMS_IN_ENGLISH.get(w, w) for w in name.lower().split()]
        # a short word must start a word ("us" is not in "use"); "gpt" is in "chatgpt"
        return any(all(re.search(rf"\b{re.escape(w)}" if len(w) < 3 else re.escape(w), t)
                       for w in words) for t in lowered)

    asked = [*names_asked_about(question), *(m.group(0) for m in YEAR.finditer(question))]
    return sorted(n for n in asked if not held(n))


def assess(question: str, texts: list[str], *, as_asked: str | None = None) -> Assessment:
    """Answered, partial or refused (see the module's docstring). `question` is compared
    with the sources (the English rendition of a question in another language); what it
    asks for is also read from the question `as_asked`, whose word order a rendition
    loses ("Wer hat X programmiert?" -> "who X programmed")."""
    if missing_names(question, texts):
        return Assessment("refused", None)
    attribute = asked_attribute(question) or (as_asked and asked_attribute(as_asked)) or None
    if attribute is None:
        return Assessment("answered", None)
    subject = set(tokenize(question)) - FUNCTION_WORDS - set(tokenize(attribute.generic))
    match = attribute.asks.search(question)
    if match and len(match.group(0).split()) <= 3:  # only the attribute's own words
        subject -= set(tokenize(match.group(0)))
    coverage = [_coverage(subject, text) for text in texts]
    if any(c >= STATES and _states(attribute, text, question, subject)
           for c, text in zip(coverage, texts, strict=True)):
        return Assessment("answered", attribute)
    return Assessment("partial" if any(c >= RELATED for c in coverage) else "refused", attribute)


def _about_something_else(sentence: str, question: str) -> bool:
    """A sentence naming things (acronyms, runs of capitalised words) none of which the
    question names is about another project, whatever its neighbours are about: "The US
    Census Bureau's planned Census API GPT likewise ..." after sentences on Survey Assist
    gives no model of Survey Assist. Model names and technical acronyms are values, not
    things a sentence is about ("It calls GPT-4 through the OpenAI API")."""
    values = {m.group(0).lower() for m in MODEL_NAME.finditer(sentence)} | TECHNICAL
    named = {w for name in names_asked_about(f". {sentence}") if name.lower() not in values
             for w in tokenize(name)}
    return bool(named) and not named & set(tokenize(question))


def _coverage(subject: set[str], text: str) -> float:
    return len(subject & set(tokenize(text))) / len(subject) if subject else 1.0


def _states(attribute: Attribute, text: str, question: str, subject: set[str]) -> bool:
    """Whether a sentence of the text states a value of the attribute (and does not say it
    is missing), among sentences about the subject: the value must be for the thing asked
    about, not for another project the same passage mentions. A table row stands alone."""
    sentences = split_sentences(TABLE_ROW_END.sub("|\n|", text)) or [text]
    for i, sentence in enumerate(sentences):
        stated = MISSING_VALUE.sub(" ", sentence)  # "Gemma (version not stated)": none
        if attribute.states(stated, question) and not NOT_STATED.search(stated) \
                and (attribute.name in NAMES_ARE_VALUES
                     or not _about_something_else(sentence, question)):
            around = sentence if sentence.startswith("|") else " ".join(sentences[max(0, i - 2):i + 3])
            if _coverage(subject, around) >= RELATED:
                return True
    return False

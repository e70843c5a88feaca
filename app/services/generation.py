"""What a language model is asked to do with the retrieved sources (`GAIOS_LLM__MODE`).

- `free`: the model writes the answer; the guard removes what the sources do not support.
- `select`: the model only chooses which numbered source sentences answer, its reply held by
  a JSON grammar to a list of those numbers; the answer quotes them with their citations, so
  nothing in it is written by the model.
- `classify`: the model only says yes or no to "do these sentences answer this?" about the
  sentences the extractive answer would quote; yes gives that answer, no a refusal.

Small local models (100-300M parameters) cannot be trusted to write; choosing among given
sentences and a yes/no judgement are jobs their output grammar can hold them to.
"""

import math
from collections.abc import Callable

import numpy as np

from app.components.keyword import tokenize
from app.components.llm import LLM, Usage
from app.prompts import PromptTemplate
from app.services.answerability import FUNCTION_WORDS, asked_attribute
from app.services.guard import safe_source_text, split_sentences
from app.services.retrieval import Hit

MOST_CHOSEN = 3
# Added to a sentence's cosine similarity to the question (measured in docs/evaluation.md,
# "Choosing the sentences"): a sentence similar to the question is often its restatement
# (a title, a definition); the one that answers also holds the question's rarer words and
# a value of what it asks (a year for "when", a model name for "which model").
LEXICAL_WEIGHT = 0.5
ATTRIBUTE_WEIGHT = 0.3


def ranked_sentences(hits: list[Hit], question: str, query_vector: np.ndarray,
                     embed: Callable[[list[str]], np.ndarray]) -> list[tuple[int, str]]:
    """Every quotable sentence of the hits as (source number, sentence), the likeliest to
    answer the (English) question first."""
    candidates = [(n, " ".join(s.split())) for n, h in enumerate(hits, 1)
                  for s in split_sentences(safe_source_text(h.text))
                  if 40 <= len(s) <= 400 and len(s.split()) >= 7]
    if not candidates:
        candidates = [(n, h.text[:400]) for n, h in enumerate(hits, 1)]
    sentences = [s for _, s in candidates]
    score = (embed(sentences) @ query_vector + LEXICAL_WEIGHT * _shared_words(question, sentences)
             + ATTRIBUTE_WEIGHT * _states_asked(question, sentences))
    order = np.argsort(-score, kind="stable")
    return [candidates[int(i)] for i in order]


def _shared_words(question: str, sentences: list[str]) -> np.ndarray:
    """The share of the question's content words each sentence holds, each word weighted by
    its rarity among the sentences (inverse document frequency)."""
    words = [set(tokenize(s)) for s in sentences]
    asked = set(tokenize(question)) - FUNCTION_WORDS
    weight = {w: math.log(1 + len(words) / (1 + sum(w in held for held in words))) for w in asked}
    total = sum(weight.values()) or 1.0
    return np.array([sum(weight[w] for w in asked & held) / total for held in words])


def _states_asked(question: str, sentences: list[str]) -> np.ndarray:
    """1 for a sentence stating a value of the attribute the question asks for, else 0."""
    attribute = asked_attribute(question)
    return np.array([float(attribute is not None and attribute.states(s, question))
                     for s in sentences])


def selection_schema(count: int) -> dict:
    return {"type": "object", "required": ["ids"], "properties": {"ids": {
        "type": "array", "maxItems": MOST_CHOSEN,
        "items": {"type": "integer", "enum": list(range(1, count + 1))}}}}


ANSWERABLE_SCHEMA = {"type": "object", "required": ["answer"],
                     "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}}}


def select_sentences(llm: LLM, prompt: PromptTemplate, question: str,
                     shown: list[tuple[int, str]], usage: Usage) -> list[tuple[int, str]]:
    """The shown sentences the model chose, in its order, without repeats; [] when it chose
    none."""
    system, user = prompt.render(question=question, sentences="\n".join(
        f"{i}. {sentence}" for i, (_, sentence) in enumerate(shown, 1)))
    reply = llm.structured([{"role": "system", "content": system},
                            {"role": "user", "content": user}], selection_schema(len(shown)), usage)
    ids = [i for i in dict.fromkeys(reply.get("ids", [])) if isinstance(i, int)
           and 1 <= i <= len(shown)]
    return [shown[i - 1] for i in ids[:MOST_CHOSEN]]


def answerable(llm: LLM, prompt: PromptTemplate, question: str,
               sentences: list[tuple[int, str]], usage: Usage) -> bool:
    """Whether the model says these sentences answer the question."""
    system, user = prompt.render(question=question,
                                 sentences="\n".join(f"- {sentence}" for _, sentence in sentences))
    reply = llm.structured([{"role": "system", "content": system},
                            {"role": "user", "content": user}], ANSWERABLE_SCHEMA, usage)
    return reply.get("answer") == "yes"

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

from collections.abc import Callable

import numpy as np

from app.components.llm import LLM, Usage
from app.prompts import PromptTemplate
from app.services.guard import safe_source_text, split_sentences
from app.services.retrieval import Hit

# Sentences shown to the model in `select` mode: few enough for a small context, many
# enough to hold the answer when the similarity ranking puts it below the top three.
SELECT_CANDIDATES = 10
MOST_CHOSEN = 3


def ranked_sentences(hits: list[Hit], query_vector: np.ndarray,
                     embed: Callable[[list[str]], np.ndarray]) -> list[tuple[int, str]]:
    """Every quotable sentence of the hits as (source number, sentence), most similar to the
    question first."""
    candidates = [(n, " ".join(s.split())) for n, h in enumerate(hits, 1)
                  for s in split_sentences(safe_source_text(h.text))
                  if 40 <= len(s) <= 400 and len(s.split()) >= 7]
    if not candidates:
        candidates = [(n, h.text[:400]) for n, h in enumerate(hits, 1)]
    order = np.argsort(-(embed([s for _, s in candidates]) @ query_vector), kind="stable")
    return [candidates[int(i)] for i in order]


def selection_schema(count: int) -> dict:
    return {"type": "object", "required": ["ids"], "properties": {"ids": {
        "type": "array", "maxItems": MOST_CHOSEN,
        "items": {"type": "integer", "enum": list(range(1, count + 1))}}}}


ANSWERABLE_SCHEMA = {"type": "object", "required": ["answer"],
                     "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}}}


def select_sentences(llm: LLM, prompt: PromptTemplate, question: str,
                     candidates: list[tuple[int, str]], usage: Usage) -> list[tuple[int, str]]:
    """The candidates the model chose, in its order, without repeats; [] when it chose none."""
    shown = candidates[:SELECT_CANDIDATES]
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

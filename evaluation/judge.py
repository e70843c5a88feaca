"""LLM-as-judge: RAGAS faithfulness and answer relevancy of an answer, scored by a model
behind an OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server).

The ragas package is not used: ragas 0.4.3 needs instructor, and every instructor release
conflicts with the pinned openai==3.51.0 (instructor wants jiter<0.15, openai jiter>=0.16);
pip installs ragas only by downgrading openai to 1.x and rich to 13.x. The prompts, output
schemas, sampling settings and scores here are those of ragas 0.4.3
(`ragas/metrics/collections/faithfulness` and `answer_relevancy`, laid out by its
`BasePrompt.to_string`); the arithmetic is in `evaluation.metrics`.

A reply that does not parse, or a judgement that cannot be scored (no statement, a verdict
missing), makes the item unscorable for that metric: counted, with its reason kept, never
scored 0 or 1. An endpoint that is down, times out or answers with an HTTP error stops the
run with an `AppError` naming the endpoint, so a partial run is never written.
"""

import json
import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, Field, ValidationError

from app.components.embedding import Embedder
from app.errors import ServiceUnavailable, UpstreamError, UpstreamTimeout
from app.services.guard import CITATION
from evaluation import metrics as m

Reply = TypeVar("Reply", bound=BaseModel)
FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


class Unscorable(Exception):
    """The judge's reply gives no score for this item (the message says why)."""


class JudgeSettings(BaseModel):
    url: str = Field(description="OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1.")
    model: str | None = Field(default=None, description="None: the first model the endpoint lists.")
    api_key: str | None = None
    timeout_seconds: float = Field(default=120.0, gt=0, description="Per-request timeout.")
    max_tokens: int = Field(default=1024, ge=1, description="Longest reply (ragas' default).")


# -- ragas 0.4.3 prompts (class names and field descriptions are part of the prompt text) --

class StatementGeneratorInput(BaseModel):
    question: str = Field(..., description="The question being answered")
    answer: str = Field(..., description="The answer text to break down into statements")


class StatementGeneratorOutput(BaseModel):
    statements: list[str] = Field(..., description="The generated statements from the answer")


class StatementFaithfulnessAnswer(BaseModel):
    statement: str = Field(..., description="the original statement, word-by-word")
    reason: str = Field(..., description="the reason of the verdict")
    verdict: int = Field(..., description="the verdict(0/1) of the faithfulness")


class NLIStatementInput(BaseModel):
    context: str = Field(..., description="The context to evaluate statements against")
    statements: list[str] = Field(..., description="The statements to judge for faithfulness")


class NLIStatementOutput(BaseModel):
    statements: list[StatementFaithfulnessAnswer] = Field(
        ..., description="Evaluated statements with verdicts")


class AnswerRelevanceInput(BaseModel):
    response: str = Field(..., description="The response/answer to generate questions from")


class AnswerRelevanceOutput(BaseModel):
    question: str = Field(..., description="Question that can be answered from the response")
    noncommittal: int = Field(
        ..., description="1 if the response is evasive/vague, 0 if it is substantive")


@dataclass(frozen=True)
class Prompt(Generic[Reply]):
    instruction: str
    output: type[Reply]
    examples: list[tuple[BaseModel, BaseModel]]

    def render(self, data: BaseModel) -> str:
        """The prompt text exactly as ragas' `BasePrompt.to_string` builds it."""
        examples = "--------EXAMPLES-----------\n" + "\n\n".join(
            f"Example {i}\nInput: {given.model_dump_json(indent=4)}\n"
            f"Output: {wanted.model_dump_json(indent=4)}"
            for i, (given, wanted) in enumerate(self.examples, 1))
        return (f"{self.instruction}\nPlease return the output in a JSON format that complies "
                "with the following schema as specified in JSON Schema:\n"
                f"{json.dumps(self.output.model_json_schema())}Do not use single quotes in your "
                "response but double quotes,properly escaped with a backslash.\n\n"
                f"{examples}\n-----------------------------\n\n"
                "Now perform the same with the following input\n"
                f"input: {data.model_dump_json(indent=4, exclude_none=True)}\nOutput: ")


STATEMENTS = Prompt(
    "Given a question and an answer, analyze the complexity of each sentence in the answer. "
    "Break down each sentence into one or more fully understandable statements. Ensure that "
    "no pronouns are used in any statement.",
    StatementGeneratorOutput,
    [(StatementGeneratorInput(
        question="Who was Albert Einstein and what is he best known for?",
        answer="He was a German-born theoretical physicist, widely acknowledged to be one of the "
               "greatest and most influential physicists of all time. He was best known for "
               "developing the theory of relativity, he also made important contributions to the "
               "development of the theory of quantum mechanics."),
      StatementGeneratorOutput(statements=[
          "Albert Einstein was a German-born theoretical physicist.",
          "Albert Einstein is recognized as one of the greatest and most influential physicists "
          "of all time.",
          "Albert Einstein was best known for developing the theory of relativity.",
          "Albert Einstein made important contributions to the development of the theory of "
          "quantum mechanics."]))])

VERDICTS = Prompt(
    "Your task is to judge the faithfulness of a series of statements based on a given context. "
    "For each statement you must return verdict as 1 if the statement can be directly inferred "
    "based on the context or 0 if the statement can not be directly inferred based on the "
    "context.",
    NLIStatementOutput,
    [(NLIStatementInput(
        context="John is a student at XYZ University. He is pursuing a degree in Computer "
                "Science. He is enrolled in several courses this semester, including Data "
                "Structures, Algorithms, and Database Management. John is a diligent student and "
                "spends a significant amount of time studying and completing assignments. He "
                "often stays late in the library to work on his projects.",
        statements=["John is majoring in Biology.",
                    "John is taking a course on Artificial Intelligence.",
                    "John is a dedicated student.", "John has a part-time job."]),
      NLIStatementOutput(statements=[
          StatementFaithfulnessAnswer(
              statement="John is majoring in Biology.",
              reason="John's major is explicitly stated as Computer Science, not Biology.",
              verdict=0),
          StatementFaithfulnessAnswer(
              statement="John is taking a course on Artificial Intelligence.",
              reason="The context mentions courses in Data Structures, Algorithms, and Database "
                     "Management, but does not mention Artificial Intelligence.",
              verdict=0),
          StatementFaithfulnessAnswer(
              statement="John is a dedicated student.",
              reason="The context states that John is a diligent student who spends a "
                     "significant amount of time studying and completing assignments.",
              verdict=1),
          StatementFaithfulnessAnswer(
              statement="John has a part-time job.",
              reason="There is no information in the context about John having a part-time job.",
              verdict=0)]))])

QUESTION = Prompt(
    "Generate a question for the given answer and identify if the answer is noncommittal.\n"
    "Give noncommittal as 1 if the answer is noncommittal (evasive, vague, or ambiguous) and 0 "
    "if the answer is substantive.\n"
    'Examples of noncommittal answers: "I don\'t know", "I\'m not sure", "It depends".',
    AnswerRelevanceOutput,
    [(AnswerRelevanceInput(response="Albert Einstein was born in Germany."),
      AnswerRelevanceOutput(question="Where was Albert Einstein born?", noncommittal=0)),
     (AnswerRelevanceInput(response="The capital of France is Paris, a city known for its "
                                    "architecture and culture."),
      AnswerRelevanceOutput(question="What is the capital of France?", noncommittal=0)),
     (AnswerRelevanceInput(response="I don't know about the groundbreaking feature of the "
                                    "smartphone invented in 2023 as I am unaware of information "
                                    "beyond 2022."),
      AnswerRelevanceOutput(question="What was the groundbreaking feature of the smartphone "
                                     "invented in 2023?", noncommittal=1))])


def parse_reply(text: str, output: type[Reply], *, cut: bool = False) -> Reply:
    """The judge's reply as `output`; a reply in a ```json fence is accepted."""
    try:
        return output.model_validate_json(FENCE.sub("", text.strip()))
    except ValidationError as exc:
        why = "cut at max_tokens" if cut else exc.errors()[0]["msg"]
        raise Unscorable(f"unparseable reply ({why}): {text[:120]!r}") from exc


def check_verdicts(statements: list[str], judged: list[StatementFaithfulnessAnswer]) -> list[int]:
    """One 0/1 verdict per statement, or Unscorable: a dropped statement would change the
    denominator of the ratio."""
    verdicts = [j.verdict for j in judged]
    if len(verdicts) != len(statements):
        raise Unscorable(
            f"the judge gave {len(verdicts)} verdicts for {len(statements)} statements")
    if not set(verdicts) <= {0, 1}:
        raise Unscorable(f"verdicts other than 0/1: {verdicts}")
    return verdicts


class JudgeClient:
    """Chat completions against the judge endpoint; checks on creation that it answers."""

    def __init__(self, settings: JudgeSettings) -> None:
        self.settings, self.url = settings, settings.url.rstrip("/")
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self.http = httpx.Client(base_url=self.url, headers=headers,
                                 timeout=settings.timeout_seconds)
        models = self._models()
        if not (settings.model or models):
            raise ServiceUnavailable(f"the judge at {self.url} lists no model: pass --judge-model")
        self.model = settings.model or models[0]

    def _models(self) -> list[str]:
        try:
            response = self.http.get("/models")
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"cannot reach the judge at {self.url}: {exc}") from exc
        if response.status_code != 200:
            raise ServiceUnavailable(f"the judge at {self.url} answered {response.status_code} "
                                     f"to GET /models: {response.text[:200]}")
        try:
            return [str(model["id"]) for model in response.json()["data"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise ServiceUnavailable(f"{self.url}/models is not an OpenAI-compatible model "
                                     f"list: {response.text[:200]!r}") from exc

    def ask(self, prompt: str, output: type[Reply]) -> Reply:
        """One judgement, sampled as ragas samples (temperature 0.01, top_p 0.1)."""
        body = {"model": self.model, "messages": [{"role": "user", "content": prompt}],
                "temperature": 0.01, "top_p": 0.1, "max_tokens": self.settings.max_tokens,
                # json_object is understood by OpenAI, Ollama, vLLM and llama.cpp; llama.cpp
                # also constrains decoding to the schema, which keeps a small judge parseable.
                "response_format": {"type": "json_object", "schema": output.model_json_schema()}}
        content, finish_reason = self._complete(body)
        return parse_reply(content, output, cut=finish_reason == "length")

    def _complete(self, body: dict[str, Any]) -> tuple[str, str | None]:
        """The text of the first choice and why it finished."""
        try:
            response = self.http.post("/chat/completions", json=body)
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(f"the judge at {self.url} did not answer within "
                                  f"{self.settings.timeout_seconds:g} s") from exc
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"cannot reach the judge at {self.url}: {exc}") from exc
        if response.status_code >= 400:
            raise UpstreamError(f"the judge at {self.url} answered {response.status_code}: "
                                f"{response.text[:300]}")
        try:
            choice = response.json()["choices"][0]
            return str(choice["message"].get("content") or ""), choice.get("finish_reason")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise UpstreamError(f"the judge at {self.url} sent no chat completion: "
                                f"{response.text[:200]!r}") from exc


class JudgeScores(BaseModel):
    """One answer's judgement; a metric left None is unscorable and `errors` says why."""
    faithfulness: float | None = None
    answer_relevancy: float | None = None
    statements: list[str] = []
    verdicts: list[int] = []
    questions: list[str] = []
    errors: dict[str, str] = {}


class Judge:
    def __init__(self, client: JudgeClient, embedder: Embedder, *, questions: int = 3) -> None:
        """`questions`: how many questions the judge generates per answer (ragas' strictness)."""
        self.client, self.embedder, self.questions = client, embedder, questions

    def about(self) -> dict[str, Any]:
        return {"url": self.client.url, "model": self.client.model, "questions": self.questions}

    def score(self, question: str, answer: str, contexts: list[str]) -> JudgeScores:
        # Citation markers point into a numbering the judge never sees.
        answer = " ".join(CITATION.sub(" ", answer).split())
        scores = JudgeScores()
        try:
            scores.faithfulness = round(self._faithfulness(scores, question, answer, contexts), 4)
        except Unscorable as exc:
            scores.errors["faithfulness"] = str(exc)
        try:
            scores.answer_relevancy = round(self._relevancy(scores, question, answer), 4)
        except Unscorable as exc:
            scores.errors["answer_relevancy"] = str(exc)
        return scores

    def _faithfulness(self, scores: JudgeScores, question: str, answer: str,
                      contexts: list[str]) -> float:
        if not contexts:
            raise Unscorable("no retrieved context to judge the answer against")
        scores.statements = self.client.ask(STATEMENTS.render(StatementGeneratorInput(
            question=question, answer=answer)), StatementGeneratorOutput).statements
        if not scores.statements:
            raise Unscorable("the judge found no statement in the answer")
        judged = self.client.ask(VERDICTS.render(NLIStatementInput(
            context="\n".join(contexts), statements=scores.statements)), NLIStatementOutput)
        scores.verdicts = check_verdicts(scores.statements, judged.statements)
        return m.faithfulness(scores.verdicts)

    def _relevancy(self, scores: JudgeScores, question: str, answer: str) -> float:
        prompt = QUESTION.render(AnswerRelevanceInput(response=answer))
        generated = [self.client.ask(prompt, AnswerRelevanceOutput) for _ in range(self.questions)]
        asked = [g for g in generated if g.question.strip()]
        scores.questions = [g.question for g in asked]
        if not asked:
            raise Unscorable("the judge generated no question from the answer")
        vectors = self.embedder.embed([question, *scores.questions])
        return m.answer_relevancy(vectors[0], vectors[1:], [g.noncommittal for g in asked])

"""Request and response models of the chat endpoints."""

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from app.schemas.api import FILTERS_DESCRIPTION, Filters, PassageRef


class ChatTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1, max_length=8000)


class ChatRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000,
                          examples=["Which statistical offices use LLMs to code occupations?"])
    conversation_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{4,64}$")
    history: list[ChatTurn] = Field(default=[], max_length=20,
                                    description="Earlier turns; omitted: taken from the conversation.")
    filters: Filters = Field(default={}, description=FILTERS_DESCRIPTION)
    k: int | None = Field(default=None, ge=1, le=20, description="Chunks sent to the model.")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return value.strip()


class Citation(PassageRef):
    number: int
    snippet: str


class NamedClassifications(BaseModel):
    family: str  # e.g. "economic activity"
    names: list[str]  # the classifications of that family the record names ("NACE")


class MatchReasons(BaseModel):
    """Why a record matched, as data: the interface words it in the reader's language."""
    sections: list[str]  # headings of the record's matching passages, as written
    classifications: list[NamedClassifications]
    filters: dict[str, list[str]]


class UseCaseMatch(BaseModel):
    id: str
    title: str
    organisation: str | None
    stage: str | None
    score: float
    reason: str  # the same reasons in one English line
    why: MatchReasons


class SentenceSupport(BaseModel):
    text: str
    supported: bool
    lexical: float
    embedding: float
    source: int | None
    reason: str


class GuardReport(BaseModel):
    removed_sentences: int = 0
    fabricated_citations: list[int] = []
    fallback: Literal["extractive"] | None = None


class ModelFallback(BaseModel):
    """Set when the language model failed and the answer was extracted from the sources."""

    answer: Literal["extractive"] = "extractive"
    reason: Literal["model_unavailable", "model_timeout", "model_error"]
    message: str = Field(description="What happened, naming no server address or path.")
    detail: str | None = Field(default=None, description="The model's error as logged (admins "
                               "only; it may name internal addresses).")


class PromptRef(BaseModel):
    id: str
    version: str


class ChatResponse(BaseModel):
    answer_id: str
    conversation_id: str
    answer: str
    citations: list[Citation]
    usecases: list[UseCaseMatch]
    grounded: bool
    refused: bool
    answer_status: Literal["answered", "partial", "refused"] = Field(description=(
        "`answered`: the sources state what was asked; `partial`: they hold the thing asked "
        "about but not the asked detail (a model name, a figure, a date...), and the answer "
        "says so before quoting what they do say; `refused`: nothing relevant."))
    refusal_reason: Literal["not_found", "personal_data", "model_declined"] | None = None
    standalone_question: str
    redactions: list[str] = Field(default=[], description="Types of personal data removed "
                                  "from the question before it reached any model.")
    fallback: ModelFallback | None = Field(default=None, description="Set when the model "
                                           "failed: the answer quotes the sources instead.")
    backend: str
    model: str
    prompt: PromptRef
    sentences: list[SentenceSupport]
    guard: GuardReport
    timings: dict[str, float]
    usage: dict[str, int] = {}


class FeedbackRequest(BaseModel):
    answer_id: str = Field(min_length=4, max_length=64)
    rating: Literal[-1, 1]
    comment: str | None = Field(default=None, max_length=2000)

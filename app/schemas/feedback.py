"""Response models of the feedback list (the rating itself is `FeedbackRequest`)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.schemas.chat import PromptRef


class RatedSource(BaseModel):
    number: int
    doc_id: str
    title: str | None = None
    section: str | None = None
    url: str | None = None


class FeedbackItem(BaseModel):
    id: int
    created_at: datetime
    rating: Literal[-1, 1]
    comment: str | None = Field(description="As stored: personal data already redacted.")
    answer_id: str
    conversation_id: str | None
    question: str | None = Field(description="The question as answered (redacted); None for "
                                 "answers stored before GAIOS kept it.")
    answer: str | None
    sources: list[RatedSource] = Field(description="The sources the answer cited.")
    grounded: bool | None
    refused: bool | None
    backend: str | None
    model: str | None
    prompt: PromptRef | None


class FeedbackList(BaseModel):
    data: list[FeedbackItem]
    count: int = Field(description="Ratings matching the filters (all pages).")
    limit: int
    offset: int

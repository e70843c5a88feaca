"""Response models of a caller's past conversations."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.schemas.chat import Citation


class ConversationSummary(BaseModel):
    id: str
    title: str = Field(description="The first question, as stored (personal data removed); "
                       "empty for answers stored before GAIOS kept questions.")
    turns: int = Field(description="Answers in the conversation.")
    created_at: datetime
    updated_at: datetime = Field(description="When its latest answer was given.")


class ConversationList(BaseModel):
    data: list[ConversationSummary]
    count: int = Field(description="The caller's conversations (all pages).")
    limit: int
    offset: int


class SavedAnswer(BaseModel):
    answer_id: str
    question: str | None
    answer: str | None
    citations: list[Citation]
    grounded: bool
    refused: bool
    backend: str
    model: str
    created_at: datetime


class ConversationPublic(BaseModel):
    id: str
    created_at: datetime
    turns: list[SavedAnswer] = Field(description="Its answers, oldest first.")

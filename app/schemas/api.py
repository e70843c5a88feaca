"""Request and response models of the REST API (`/api/v1`)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.schemas.records import Document, UseCase


class ErrorBody(BaseModel):
    type: str
    message: str
    details: list[dict[str, Any]] = []


class ErrorResponse(BaseModel):
    error: ErrorBody


class UseCaseDetail(BaseModel):
    record: UseCase
    status: Literal["submitted", "published", "rejected", "superseded"]
    revision: int
    latest_revision: int
    published_revision: int | None
    origin: str
    review_comment: str | None = None
    updated_at: datetime


class UseCaseList(BaseModel):
    data: list[UseCaseDetail]
    count: int = Field(description="Records matching the filters (all pages).")
    limit: int
    offset: int
    facets: dict[str, dict[str, int]] = Field(
        description="For each filter, the number of matching records per value."
    )


class RevisionPublic(BaseModel):
    number: int
    status: str
    author: str
    comment: str | None
    review_comment: str | None
    reviewer: str | None
    created_at: datetime
    reviewed_at: datetime | None
    record: UseCase


class ReviewRequest(BaseModel):
    action: Literal["publish", "reject"]
    comment: str | None = Field(default=None, max_length=4000,
                                description="Required when rejecting.")


class DocumentPublic(BaseModel):
    meta: Document
    origin: Literal["curated", "upload"]
    chunks: int | None = None


class DocumentList(BaseModel):
    data: list[DocumentPublic]
    count: int

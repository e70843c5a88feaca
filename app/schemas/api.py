"""Request and response models of the REST API (`/api/v1`)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.schemas.records import UseCase


class ErrorBody(BaseModel):
    type: str
    message: str
    details: list[dict[str, Any]] = []


class ErrorResponse(BaseModel):
    error: ErrorBody


class Provenance(BaseModel):
    source: str = Field(description="The harvest source's name in this repository.")
    source_url: str
    remote_id: str
    remote_url: str
    remote_revision: int | None
    licence: str | None
    harvested_at: datetime


class UseCaseDetail(BaseModel):
    record: UseCase
    status: Literal["submitted", "published", "rejected", "superseded"]
    revision: int
    latest_revision: int
    published_revision: int | None
    origin: str
    review_comment: str | None = None
    updated_at: datetime
    provenance: Provenance | None = Field(
        default=None, description="Where a harvested record comes from (read-only here).")
    also_reported_by: list[Provenance] = Field(
        default=[], description="Other repositories reporting the same use case.")


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
    published_at: datetime | None = Field(
        default=None, description="When this revision was first published; never published: "
        "a draft, shown only to its submitter, reviewers and admins.")
    record: UseCase


class ChangePublic(BaseModel):
    cursor: str = Field(description="Resume after this change with `?since=<cursor>`.")
    id: str
    kind: Literal["published", "revised", "withdrawn"]
    revision: int | None = Field(description="The revision now published; none when withdrawn.")
    changed_at: datetime
    record: UseCase | None = Field(description="The published revision; none when withdrawn.")


class ChangeList(BaseModel):
    data: list[ChangePublic]
    next_cursor: str = Field(description="Pass as `since` to get the changes after this page.")
    has_more: bool = Field(description="True when more changes wait after `next_cursor`.")


class ReviewRequest(BaseModel):
    action: Literal["publish", "reject"]
    comment: str | None = Field(default=None, max_length=4000,
                                description="Required when rejecting.")




MAX_FILTER_VALUES = 50
# Metadata filters: a few names, each with a bounded list of short values.
Filters = Annotated[
    dict[Annotated[str, StringConstraints(max_length=40)],
         Annotated[list[Annotated[str, StringConstraints(max_length=200)]],
                   Field(max_length=MAX_FILTER_VALUES)]],
    Field(max_length=20),
]

FILTERS_DESCRIPTION = (
    "Metadata filters, e.g. {\"gsbpm\": [\"5.2\"], \"doc_type\": [\"usecase\"]}; keys: gsbpm, gamso, "
    "doc_type, stage, scope, organisation, country, openness, hosting."
)


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=2000, examples=["LLM coding of occupations"])
    k: int = Field(default=8, ge=1, le=50)
    filters: Filters = Field(default={}, description=FILTERS_DESCRIPTION)


class PassageRef(BaseModel):
    """Where a passage comes from: its document, and the section or page inside it."""

    doc_id: str
    title: str
    section: str | None
    page: int | None
    url: str | None
    doc_type: str


class ChunkPublic(PassageRef):
    id: str
    text: str
    score: float = Field(description="Reciprocal-rank-fusion score (the ranking).")
    similarity: float = Field(description="Cosine similarity to the query (the relevance floor).")
    dense_rank: int | None
    keyword_rank: int | None
    metadata: dict[str, Any]


class SearchResponse(BaseModel):
    data: list[ChunkPublic]
    count: int
    timings: dict[str, float]


class UploadPublic(BaseModel):
    id: str
    filename: str
    title: str
    doc_type: str
    chunks: int
    confidential: bool
    created_at: datetime


class UploadList(BaseModel):
    data: list[UploadPublic]
    count: int

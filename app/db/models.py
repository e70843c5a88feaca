"""SQLAlchemy 2 tables. Migrations live in `app/db/migrations` (Alembic).

A use case keeps every revision it ever had; the row in `usecases` only points at the
latest revision and at the one that is published (if any). Facets of the published
revision are kept in `usecase_facets` so that filters and counts run in SQL.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class UseCaseRow(Base):
    __tablename__ = "usecases"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    origin: Mapped[str] = mapped_column(String(20))  # curated | submission | import
    owner: Mapped[str | None] = mapped_column(String(80))  # API key id of the submitter
    latest_revision: Mapped[int] = mapped_column(Integer)
    published_revision: Mapped[int | None] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(default=False)
    title: Mapped[str] = mapped_column(String(200))
    search_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    revisions: Mapped[list["RevisionRow"]] = relationship(
        back_populates="usecase", order_by="RevisionRow.number", cascade="all, delete-orphan"
    )


class RevisionRow(Base):
    __tablename__ = "usecase_revisions"
    __table_args__ = (UniqueConstraint("usecase_id", "number"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    usecase_id: Mapped[str] = mapped_column(ForeignKey("usecases.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # submitted | published | rejected | superseded
    data: Mapped[dict[str, object]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(120))
    comment: Mapped[str | None] = mapped_column(Text)
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set once, when the revision is first published, and never cleared: a revision ever
    # published stays public history; one that never was is a draft (see roles.md).
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    usecase: Mapped[UseCaseRow] = relationship(back_populates="revisions")


class ChangeRow(Base):
    """The public change log: one row each time a record is published, revised or
    withdrawn. `seq` comes from `ChangeCounterRow` under a row lock, so a reader that has
    seen `seq = n` can never later meet a committed change with a smaller `seq`."""

    __tablename__ = "usecase_changes"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    usecase_id: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # published | revised | withdrawn
    revision: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChangeCounterRow(Base):
    """One row holding the last `seq` handed out (see `ChangeRow`)."""

    __tablename__ = "usecase_change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class HarvestSourceRow(Base):
    """Another organisation's repository that this one harvests (added by an admin)."""

    __tablename__ = "harvest_sources"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(10))  # gaios | dcat
    cursor: Mapped[str | None] = mapped_column(String(64))  # gaios: last change seen
    etag: Mapped[str | None] = mapped_column(String(200))  # dcat: last catalogue seen
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_report: Mapped[dict[str, object] | None] = mapped_column(JSON)


class HarvestedRecordRow(Base):
    """Where a harvested use case comes from; the record itself is an ordinary use case
    whose `origin` is `harvest` (read-only here)."""

    __tablename__ = "harvested_records"

    usecase_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    source_name: Mapped[str] = mapped_column(String(40), index=True)
    remote_id: Mapped[str] = mapped_column(String(300))
    remote_url: Mapped[str] = mapped_column(String(1000))
    remote_revision: Mapped[int | None] = mapped_column(Integer)
    licence: Mapped[str | None] = mapped_column(String(200))
    harvested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    duplicate_of: Mapped[str | None] = mapped_column(String(80), index=True)


class HarvestHeldRow(Base):
    """A record a source offered that failed validation or the personal-data screen: kept
    out of the repository, with the reason, until the source sends a good version."""

    __tablename__ = "harvest_held"
    __table_args__ = (UniqueConstraint("source_name", "remote_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_name: Mapped[str] = mapped_column(String(40), index=True)
    remote_id: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    held_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FacetRow(Base):
    __tablename__ = "usecase_facets"
    __table_args__ = (Index("ix_facet_value", "facet", "value"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    usecase_id: Mapped[str] = mapped_column(
        ForeignKey("usecases.id", ondelete="CASCADE"), index=True
    )
    facet: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(200))


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConversationRow(Base):
    """A conversation and who may continue it: `key:<key id>` or `anon:<hash of the
    caller's anonymous session secret>` (an HttpOnly cookie)."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConversationTurnRow(Base):
    __tablename__ = "conversation_turns"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))  # user | assistant
    content: Mapped[str] = mapped_column(Text)  # questions are stored after redaction
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FeedbackRow(Base):
    __tablename__ = "feedback"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    answer_id: Mapped[str] = mapped_column(String(64), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)  # stored after the personal-data screen
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 index=True)


class AnswerRow(Base):
    """What the assistant answered, with what it used: evaluators read these."""

    __tablename__ = "answers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64))
    backend: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(200))
    prompt_id: Mapped[str] = mapped_column(String(80))
    prompt_version: Mapped[str] = mapped_column(String(20))
    chunk_ids: Mapped[list[str]] = mapped_column(JSON)
    grounded: Mapped[bool] = mapped_column()
    refused: Mapped[bool] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # What the user saw (None for answers from before migration 0009). The question is
    # stored after redaction, like the conversation's turns.
    question: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class UploadRow(Base):
    """A document uploaded through the API; its file is kept in `<data_dir>/uploads`."""

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    meta: Mapped[dict[str, object]] = mapped_column(JSON)
    owner: Mapped[str | None] = mapped_column(String(80))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IndexEntryRow(Base):
    """The ingestion manifest: one row per indexed document. A document whose status is
    `pending` is being (re)written and is hidden from retrieval until it is `complete`."""

    __tablename__ = "index_manifest"

    doc_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    source: Mapped[str] = mapped_column(String(1000), index=True)
    title: Mapped[str] = mapped_column(String(300))
    doc_type: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))
    # What the source said of the version indexed, without being read (a file's size and
    # modification time, a record's revision): set with `complete`; None on older rows.
    source_stamp: Mapped[str | None] = mapped_column(String(200), nullable=True)
    parser: Mapped[str] = mapped_column(String(40))
    chunking: Mapped[str] = mapped_column(String(80))
    embedding_model: Mapped[str] = mapped_column(String(300))
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    # pending | complete; indexed: every search asks for the pending ones
    status: Mapped[str] = mapped_column(String(20), index=True)
    confidential: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

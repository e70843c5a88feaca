"""Feedback on chat answers: users rate an answer (+1/-1, with an optional comment);
evaluators read the ratings with the question, the answer and its sources.

The comment is free text from the public: it goes through the personal-data screen
(`app.services.pii`) before it is stored, so what evaluators read is already redacted.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from app.db.models import AnswerRow, FeedbackRow
from app.db.session import Database
from app.errors import NotFound
from app.services import pii

CSV_COLUMNS = ("id", "created_at", "rating", "comment", "answer_id", "conversation_id",
               "question", "answer", "sources", "grounded", "refused", "backend", "model",
               "prompt_id", "prompt_version")
# A cell a spreadsheet would run as a formula ("=HYPERLINK(...)" in a comment) is written
# with a leading apostrophe, as OWASP recommends for CSV files opened in spreadsheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class FeedbackFilters:
    """Which feedback to read; None means any."""

    rating: int | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    conversation_id: str | None = None
    has_comment: bool | None = None


@dataclass(frozen=True)
class FeedbackPage:
    items: list[dict[str, Any]]
    total: int


class FeedbackService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, answer_id: str, rating: int, comment: str | None) -> None:
        """Store a rating of a known answer (404 otherwise); the comment is screened."""
        comment = comment.strip() if comment else None
        with self.db.session() as session:
            if session.get(AnswerRow, answer_id) is None:
                raise NotFound(f"no answer with id {answer_id!r}",
                               errors=[{"field": "answer_id", "reason": "unknown"}])
            session.add(FeedbackRow(answer_id=answer_id, rating=rating,
                                    comment=pii.redact(comment) if comment else None))

    def page(self, filters: FeedbackFilters, *, limit: int, offset: int) -> FeedbackPage:
        """Newest first."""
        query = _filtered(select(FeedbackRow, AnswerRow), filters)
        with self.db.session() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.execute(query.order_by(FeedbackRow.created_at.desc(),
                                                  FeedbackRow.pk.desc())
                                   .limit(limit).offset(offset)).all()
            return FeedbackPage([item(f, a) for f, a in rows], total)

    def all(self, filters: FeedbackFilters, *, batch: int = 500) -> Iterator[dict[str, Any]]:
        """Every matching item, newest first, read a batch at a time (for exports)."""
        offset = 0
        while True:
            items = self.page(filters, limit=batch, offset=offset).items
            yield from items
            if len(items) < batch:
                return
            offset += batch


def _filtered(query: Select[Any], filters: FeedbackFilters) -> Select[Any]:
    # An answer is never deleted while its feedback exists, but the join stays outer so
    # that feedback is never hidden by a missing answer.
    query = query.outerjoin(AnswerRow, AnswerRow.id == FeedbackRow.answer_id)
    if filters.rating is not None:
        query = query.where(FeedbackRow.rating == filters.rating)
    if filters.since is not None:
        query = query.where(FeedbackRow.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(FeedbackRow.created_at < filters.until)
    if filters.conversation_id is not None:
        query = query.where(AnswerRow.conversation_id == filters.conversation_id)
    if filters.has_comment is not None:
        present = FeedbackRow.comment.is_not(None) & (FeedbackRow.comment != "")
        query = query.where(present if filters.has_comment else ~present)
    return query


def item(feedback: FeedbackRow, answer: AnswerRow | None) -> dict[str, Any]:
    """One rating with what was rated (None where an answer predates migration 0009)."""
    return {
        "id": feedback.pk, "created_at": feedback.created_at, "rating": feedback.rating,
        "comment": feedback.comment, "answer_id": feedback.answer_id,
        "conversation_id": answer.conversation_id if answer else None,
        "question": answer.question if answer else None,
        "answer": answer.answer if answer else None,
        "sources": [{k: c.get(k) for k in ("number", "doc_id", "title", "section", "url")}
                    for c in (answer.citations or [])] if answer else [],
        "grounded": answer.grounded if answer else None,
        "refused": answer.refused if answer else None,
        "backend": answer.backend if answer else None,
        "model": answer.model if answer else None,
        "prompt": {"id": answer.prompt_id, "version": answer.prompt_version} if answer else None,
    }


def source_label(source: dict[str, Any]) -> str:
    label = f"[{source['number']}] {source.get('title') or source.get('doc_id')}"
    return label + (f" <{source['url']}>" if source.get("url") else "")


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | int | float | datetime):  # not text: a rating of -1 stays -1
        return value.isoformat() if isinstance(value, datetime) else str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(items: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> str:
    """One row per rating; the sources joined with '; '."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for i in items:
        prompt = i["prompt"] or {}
        row = {**i, "sources": "; ".join(source_label(s) for s in i["sources"]),
               "prompt_id": prompt.get("id"), "prompt_version": prompt.get("version")}
        writer.writerow([csv_cell(row[c]) for c in CSV_COLUMNS])
    return out.getvalue()

"""A caller's past conversations, for the chat page's list: each with its first question
as title, and each answer as it was shown (question, answer, citations).

A conversation belongs to its owner (`key:<key id>` or `anon:<hash of the session
secret>`, see `app.api.deps.get_conversation_owner`): another caller's id is answered
404, as an unknown one, whatever the caller's role.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app.db.models import AnswerRow, ConversationRow
from app.db.session import Database
from app.errors import NotFound


@dataclass(frozen=True)
class ConversationPage:
    items: list[dict[str, Any]]
    total: int


class ConversationService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def page(self, owner: str, *, limit: int, offset: int) -> ConversationPage:
        """The owner's conversations with at least one answer, latest activity first."""
        stats = (select(AnswerRow.conversation_id,
                        func.count(AnswerRow.id).label("turns"),
                        func.max(AnswerRow.created_at).label("updated_at"),
                        func.min(AnswerRow.created_at).label("first_at"))
                 .group_by(AnswerRow.conversation_id).subquery())
        query = (select(ConversationRow, stats.c.turns, stats.c.updated_at, stats.c.first_at)
                 .join(stats, stats.c.conversation_id == ConversationRow.id)
                 .where(ConversationRow.owner == owner))
        with self.db.session() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.execute(query.order_by(stats.c.updated_at.desc(),
                                                  ConversationRow.id)
                                   .limit(limit).offset(offset)).all()
            items = [{"id": row.id, "title": self._title(session, row.id, first_at),
                      "turns": turns, "created_at": row.created_at, "updated_at": updated_at}
                     for row, turns, updated_at, first_at in rows]
        return ConversationPage(items, total)

    def get(self, conversation_id: str, owner: str) -> dict[str, Any]:
        """One of the owner's conversations with its answers, oldest first (404 otherwise)."""
        with self.db.session() as session:
            row = session.get(ConversationRow, conversation_id)
            if row is None or row.owner != owner:
                raise NotFound("no conversation with this id for this caller",
                               errors=[{"field": "conversation_id", "reason": "unknown"}])
            answers = session.scalars(select(AnswerRow)
                                      .where(AnswerRow.conversation_id == conversation_id)
                                      .order_by(AnswerRow.created_at, AnswerRow.id)).all()
            return {"id": row.id, "created_at": row.created_at,
                    "turns": [saved_answer(a) for a in answers]}

    @staticmethod
    def _title(session: Any, conversation_id: str, first_at: Any) -> str:
        question = session.scalar(select(AnswerRow.question).where(
            AnswerRow.conversation_id == conversation_id, AnswerRow.created_at == first_at)
            .limit(1))
        return str(question or "")


def saved_answer(row: AnswerRow) -> dict[str, Any]:
    """An answer as the chat page shows it again (None where it predates migration 0009)."""
    return {"answer_id": row.id, "question": row.question, "answer": row.answer,
            "citations": row.citations or [], "grounded": row.grounded, "refused": row.refused,
            "backend": row.backend, "model": row.model, "created_at": row.created_at}

"""The change feed of the published repository, for harvesters (`GET /api/v1/changes`).

Every publication, new published revision and withdrawal of a published record appends
one row to `usecase_changes` in the same transaction as the change itself. The sequence
number is taken from a one-row counter that the writing transaction updates, so writers
queue on that row's lock (PostgreSQL) or on the database lock (SQLite): changes commit in
`seq` order, and a harvester that resumes after `seq = n` misses nothing.

Cursors are opaque to clients (`c1.<seq>` in URL-safe base64) so the encoding can change.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.db.models import ChangeCounterRow, ChangeRow, RevisionRow
from app.db.session import Database
from app.errors import InvalidRecord

CURSOR_PREFIX = "c1."


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The sequence number inside a cursor; a 422 naming `since` for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(CURSOR_PREFIX):
            raise ValueError(text)
        seq = int(text.removeprefix(CURSOR_PREFIX))
        if seq < 0:
            raise ValueError(text)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidRecord("`since` is not a cursor returned by this feed",
                            errors=[{"field": "since", "reason": "unknown cursor"}]) from exc
    return seq


def record_change(session: Session, usecase_id: str, kind: str, revision: int | None) -> None:
    """Append one change, numbered under the counter's lock (same transaction)."""
    seq: int = session.execute(update(ChangeCounterRow).where(ChangeCounterRow.id == 1)
                         .values(value=ChangeCounterRow.value + 1)
                         .returning(ChangeCounterRow.value)).scalar_one()
    session.execute(insert(ChangeRow).values(seq=seq, usecase_id=usecase_id, kind=kind,
                                             revision=revision))


@dataclass
class ChangePage:
    changes: list[dict[str, Any]]
    next_cursor: str
    has_more: bool


class ChangeFeed:
    def __init__(self, db: Database) -> None:
        self.db = db

    def since(self, cursor: str | None, *, limit: int) -> ChangePage:
        """Changes after `cursor` (all of them without one), oldest first, with the
        published record itself for `published` and `revised` changes."""
        after = decode_cursor(cursor) if cursor else 0
        with self.db.session() as session:
            rows = list(session.scalars(select(ChangeRow).where(ChangeRow.seq > after)
                                        .order_by(ChangeRow.seq).limit(limit + 1)))
            has_more = len(rows) > limit
            rows = rows[:limit]
            records = self._records(session, rows)
            changes = [self._change(row, records) for row in rows]
        last = rows[-1].seq if rows else after
        return ChangePage(changes=changes, next_cursor=encode_cursor(last), has_more=has_more)

    @staticmethod
    def _records(session: Session, rows: list[ChangeRow]) -> dict[tuple[str, int], Any]:
        wanted = {(r.usecase_id, r.revision) for r in rows if r.revision is not None}
        if not wanted:
            return {}
        found = session.execute(select(RevisionRow.usecase_id, RevisionRow.number, RevisionRow.data)
                                .where(RevisionRow.usecase_id.in_({u for u, _ in wanted})))
        return {(u, n): d for u, n, d in found if (u, n) in wanted}

    @staticmethod
    def _change(row: ChangeRow, records: dict[tuple[str, int], Any]) -> dict[str, Any]:
        changed_at: datetime = row.changed_at
        return {
            "cursor": encode_cursor(row.seq),
            "id": row.usecase_id,
            "kind": row.kind,
            "revision": row.revision,
            "changed_at": changed_at,
            "record": records.get((row.usecase_id, row.revision)) if row.revision else None,
        }

"""Documents uploaded through the API: screened for personal data, stored, indexed."""

import hashlib
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.db.models import IndexEntryRow, UploadRow
from app.db.session import Database
from app.errors import Conflict, InvalidRecord, NotFound, PersonalDataFound
from app.services import pii

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


MAX_FILENAME = 200  # characters; longer names are refused, not cut (a cut name could collide)


def check_filename(filename: str) -> None:
    if len(filename) > MAX_FILENAME:
        raise InvalidRecord(f"the file name is {len(filename)} characters long; the limit is {MAX_FILENAME}",
                            errors=[{"field": "file", "reason": f"name longer than {MAX_FILENAME} characters"}])


def screen_document(fields: list[tuple[str, str]]) -> None:
    """422 listing every personal-data finding (field or section, and type), as for
    submissions. Callers pass every text that is stored or shown: body sections, their
    headings, the file name, the title and other metadata, not the body alone."""
    findings = [f for field, text in fields if text
                for f in pii.scan_text(text, field=field) if not pii.is_public_contact(f)]
    if findings:
        raise PersonalDataFound(
            "the document contains personal data; remove it before uploading",
            errors=[{**f.public(), "reason": f"{f.entity} found"} for f in findings[:50]])


class UploadStore:
    def __init__(self, db: Database, folder: Path) -> None:
        self.db, self.folder = db, folder

    def path_for(self, filename: str, content: bytes) -> Path:
        """Where the upload is kept: a content-addressed folder and a safe file name."""
        name = SAFE_NAME.sub("_", Path(filename).name).strip("._") or "upload"
        if "." not in name:
            raise InvalidRecord(f"{filename}: the file name needs an extension such as .pdf",
                                errors=[{"field": "file", "reason": "no extension"}])
        return self.folder / hashlib.sha256(content).hexdigest()[:16] / name

    def save_file(self, path: Path, content: bytes) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return path

    def discard(self, path: Path) -> None:
        """Take back a file saved for an upload that was then refused."""
        path.unlink(missing_ok=True)
        if path.parent != self.folder and not any(path.parent.iterdir()):
            path.parent.rmdir()

    def record(self, *, doc_id: str, filename: str, path: Path, meta: dict[str, Any],
               owner: str | None) -> None:
        with self.db.session() as session:
            existing = session.get(UploadRow, doc_id)
            if existing is not None and existing.stored_path != str(path):
                raise Conflict(f"a document with id {doc_id!r} already exists",
                               errors=[{"field": "id", "reason": "already exists"}])
            session.merge(UploadRow(id=doc_id, filename=filename, stored_path=str(path), meta=meta,
                                    owner=owner, sha256=hashlib.sha256(path.read_bytes()).hexdigest()))

    def list(self, *, include_confidential: bool) -> list[dict[str, Any]]:
        with self.db.session() as session:
            rows = session.execute(select(UploadRow, IndexEntryRow).join(
                IndexEntryRow, IndexEntryRow.doc_id == UploadRow.id, isouter=True)
                .order_by(UploadRow.created_at.desc())).all()
            return [self._public(u, e) for u, e in rows
                    if include_confidential or not u.meta.get("confidential")]

    def get_path(self, doc_id: str) -> Path:
        with self.db.session() as session:
            row = session.get(UploadRow, doc_id)
            if row is None:
                raise NotFound(f"no uploaded document with id {doc_id!r}")
            return Path(row.stored_path)

    def delete(self, doc_id: str) -> None:
        with self.db.session() as session:
            row = session.get(UploadRow, doc_id)
            if row is None:
                raise NotFound(f"no uploaded document with id {doc_id!r}")
            path = Path(row.stored_path)
            session.delete(row)
        path.unlink(missing_ok=True)

    @staticmethod
    def _public(upload: UploadRow, entry: IndexEntryRow | None) -> dict[str, Any]:
        return {"id": upload.id, "filename": upload.filename,
                "title": entry.title if entry else upload.meta.get("title", upload.filename),
                "doc_type": entry.doc_type if entry else "", "chunks": entry.chunks if entry else 0,
                "confidential": bool(upload.meta.get("confidential")),
                "created_at": upload.created_at}

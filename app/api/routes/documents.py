"""Documents: upload (screened, stored, indexed), list, delete."""

import tempfile
from pathlib import Path
from typing import Annotated, Any

import frontmatter
from fastapi import APIRouter, File, Form, Response, UploadFile

from app.api.deps import ContainerDep, PrincipalDep, ReaderDep
from app.observability import observe_ingest
from app.errors import Conflict, InvalidRecord
from app.schemas.api import UploadList, UploadPublic
from app.schemas.records import slugify
from app.services import pii
from app.services.roles import Action, authorize, permits
from app.services.uploads import UploadStore, check_filename, screen_document
from ingest.cli import make_ingestor
from ingest.loaders import LoadedDocument, load_file

router = APIRouter(prefix="/documents", tags=["documents"])
DOC_TYPES = ("white_paper", "report", "guideline", "recommendation", "presentation", "other")


def uploads(container: Any) -> UploadStore:
    return UploadStore(container.db, container.settings.data_dir / "uploads")


def load_upload(filename: str, content: bytes, max_bytes: int) -> LoadedDocument:
    """Parse the upload from a temporary copy, so a bad file never reaches the store."""
    suffix = Path(filename).suffix
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(content)
        try:
            return load_file(path, max_bytes=max_bytes)
        except InvalidRecord as exc:
            reason = exc.errors[0]["reason"] if exc.errors else exc.message
            raise InvalidRecord(f"{filename}: {reason}",
                                errors=[{"field": "file", "reason": reason, "file": filename}]) from exc


def stored_texts(doc: LoadedDocument, filename: str, content: bytes) -> list[tuple[str, str]]:
    """(field, text) for everything of an upload that is stored or shown: the file name,
    title (form field, front matter or H1), metadata, the whole front matter (the file is
    kept as sent, fields that are not indexed included), headings and body text."""
    meta = [(f"metadata.{k}", str(v)) for k, v in doc.facets.items() if isinstance(v, str)]
    return [("file", filename), ("title", doc.title), ("url", pii.screened_part(doc.url or "")),
            ("front_matter", front_matter_text(filename, content)),
            *meta, *[("heading", s.heading) for s in doc.sections],
            *[(s.heading, s.text) for s in doc.sections]]


def front_matter_text(filename: str, content: bytes) -> str:
    """The YAML front matter of a Markdown upload, as written (empty for other files)."""
    if Path(filename).suffix.lower() not in (".md", ".markdown"):
        return ""
    text = content.decode("utf-8", errors="replace")
    handler = frontmatter.YAMLHandler()
    return handler.split(text)[0] if handler.detect(text) else ""


@router.post("", response_model=UploadPublic, status_code=201)
def upload_document(
    container: ContainerDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File(description="PDF, DOCX, HTML, Markdown, text, CSV or JSON")],
    title: Annotated[str | None, Form(max_length=300)] = None,
    doc_type: Annotated[str, Form(pattern="^(" + "|".join(DOC_TYPES) + ")$")] = "other",
    doc_id: Annotated[str | None, Form(pattern="^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)] = None,
    confidential: Annotated[bool, Form()] = False,
) -> dict[str, Any]:
    """Upload a document: parsed, screened for personal data, stored and indexed. A plain
    `def`: FastAPI runs it in a worker thread, off the event loop."""
    authorize(principal, Action.upload_document)
    filename = file.filename or "upload"
    check_filename(filename)
    content = file.file.read()
    doc = load_upload(filename, content, container.settings.max_upload_bytes)
    doc.doc_id = doc_id or f"upload-{slugify(Path(filename).stem, 60)}"
    doc.title, doc.doc_type, doc.confidential = title or doc.title, doc_type, confidential
    screen_document(stored_texts(doc, filename, content))
    store = uploads(container)
    path = store.path_for(filename, content)
    existed_before = path.exists()  # the same file uploaded again under the same name
    store.save_file(path, content)
    try:
        doc.source = str(path)
        existing = container.retriever.indexed_source(doc.doc_id)
        if existing is not None and existing != doc.source:
            raise Conflict(f"document id {doc.doc_id!r} is already used by another document",
                           errors=[{"field": "doc_id", "reason": "already used"}])
        store.record(doc_id=doc.doc_id, filename=filename, path=path, owner=principal.key_id,
                     meta={"title": doc.title, "doc_type": doc_type, "confidential": confidential})
    except Exception:
        if not existed_before:  # a refused upload leaves nothing behind
            store.discard(path)
        raise
    observe_ingest(make_ingestor(container).run([(str(path), lambda: doc)]).summary())
    return next(d for d in store.list(include_confidential=True) if d["id"] == doc.doc_id)


@router.get("", response_model=UploadList)
def list_documents(container: ContainerDep, principal: ReaderDep) -> dict[str, Any]:
    """Uploaded documents (confidential ones for reviewers only)."""
    confidential = permits(principal, Action.see_confidential)
    data = uploads(container).list(include_confidential=confidential)
    return {"data": data, "count": len(data)}


@router.delete("/{doc_id}", status_code=204)
def delete_document(doc_id: str, container: ContainerDep, principal: PrincipalDep) -> Response:
    """Remove an uploaded document and its chunks from both indexes (reviewers)."""
    authorize(principal, Action.delete_document)
    store = uploads(container)
    store.get_path(doc_id)
    make_ingestor(container).remove(doc_id)
    store.delete(doc_id)
    return Response(status_code=204)

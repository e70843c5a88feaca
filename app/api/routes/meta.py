"""Reference data: the record schema and the controlled vocabularies."""

from typing import Any

import hashlib

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import select

from app import vocabularies as v
from app.api.deps import ContainerDep
from app.db.models import IndexEntryRow
from app.errors import NotFound
from app.schemas.records import SCHEMA_VERSION, Document, UseCase

router = APIRouter(tags=["reference"])


RECORD_TYPES: dict[str, type[BaseModel]] = {"usecase": UseCase, "document": Document}
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def record_schema(record_type: str, base_url: str) -> dict[str, Any]:
    """A standalone JSON Schema document: its dialect, and an `$id` where it is served."""
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": f"{base_url}/api/v1/schema/{record_type}",
            **RECORD_TYPES[record_type].model_json_schema()}


@router.get("/schema")
def get_schema(request: Request) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the use-case and document records, each a
    standalone schema with `$schema` and `$id` (also served alone at `/schema/{type}`)."""
    base_url = str(request.base_url).rstrip("/")
    return {"version": SCHEMA_VERSION,
            **{name: record_schema(name, base_url) for name in RECORD_TYPES}}


@router.get("/schema/{record_type}")
def get_record_schema(record_type: str, request: Request) -> dict[str, Any]:
    """The JSON Schema of one record type (`usecase` or `document`), at its `$id`."""
    if record_type not in RECORD_TYPES:
        raise NotFound(f"no record type {record_type!r}: use one of {', '.join(RECORD_TYPES)}")
    return record_schema(record_type, str(request.base_url).rstrip("/"))


@router.get("/vocabularies", response_model=dict[str, list[v.Term]])
def get_vocabularies() -> dict[str, list[v.Term]]:
    """Every controlled vocabulary: GSBPM 5.1, GAMSO and the project's enumerations."""
    return v.all_vocabularies()


@router.get("/about")
def about(container: ContainerDep) -> dict[str, Any]:
    """What this deployment runs: backend, models, prompt versions, retrieval settings and
    a hash of the indexed corpus (stored with every evaluation run)."""
    settings = container.settings
    with container.db.session() as session:
        entries = session.execute(select(IndexEntryRow.doc_id, IndexEntryRow.content_hash,
                                         IndexEntryRow.chunks).order_by(IndexEntryRow.doc_id)).all()
    corpus = hashlib.sha256("".join(f"{d}:{h};" for d, h, _ in entries).encode()).hexdigest()
    return {
        "version": "0.1.0",
        "backend": container.chat.backend,
        "model": container.chat.model,
        "embedding_model": settings.embedding.model,
        "retrieval": settings.retrieval.model_dump(),
        "prompts": {p.id: p.version for p in container.prompts.values()},
        "corpus": {"documents": len(entries), "chunks": sum(c for _, _, c in entries),
                   "hash": corpus[:16]},
        "pii_action": settings.pii_action,
    }

"""Reference data: the record schema and the controlled vocabularies."""

from typing import Any

import hashlib

from fastapi import APIRouter
from sqlalchemy import select

from app import vocabularies as v
from app.api.deps import ContainerDep
from app.db.models import IndexEntryRow
from app.schemas.records import SCHEMA_VERSION, Document, UseCase

router = APIRouter(tags=["reference"])


@router.get("/schema")
def get_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the use-case and document records."""
    return {
        "version": SCHEMA_VERSION,
        "usecase": UseCase.model_json_schema(),
        "document": Document.model_json_schema(),
    }


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

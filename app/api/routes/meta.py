"""Reference data: the record schema and the controlled vocabularies."""

from typing import Any

from fastapi import APIRouter

from app import vocabularies as v
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

"""Exports of the published repository: JSON, CSV and JSON-LD (schema.org + DCAT)."""

import csv
import io
import json
from typing import Any

from app.schemas.records import UseCase

CSV_COLUMNS = (
    "id", "title", "summary", "organisations", "countries", "lifecycle_stage", "scope", "gsbpm",
    "gamso", "task_types", "genai_patterns", "model_openness", "hosting", "data_sensitivity",
    "human_oversight", "year_started", "year_reported", "sources", "licence",
)


def dumps(data: object, **options: Any) -> str:
    """Standard JSON: a NaN or infinity raises instead of being written as a bare `NaN`
    that no strict parser reads (the record schema refuses them on the way in)."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, **options)


def to_json(records: list[UseCase]) -> str:
    return dumps([r.model_dump(mode="json") for r in records], indent=1)


def to_csv(records: list[UseCase]) -> str:
    """One row per use case; list fields joined with '; '."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for r in records:
        writer.writerow({
            "id": r.id, "title": r.title, "summary": r.summary,
            "organisations": "; ".join(o.name for o in r.organisations),
            "countries": "; ".join(sorted({o.country for o in r.organisations})),
            "lifecycle_stage": r.lifecycle_stage, "scope": r.scope,
            "gsbpm": "; ".join(r.gsbpm), "gamso": "; ".join(r.gamso),
            "task_types": "; ".join(r.task_types), "genai_patterns": "; ".join(r.genai_patterns),
            "model_openness": r.model_openness, "hosting": r.hosting,
            "data_sensitivity": r.data_sensitivity, "human_oversight": r.human_oversight,
            "year_started": r.year_started or "", "year_reported": r.year_reported or "",
            "sources": "; ".join(str(s.url) for s in r.sources),
            "licence": r.record_meta.licence,
        })
    return out.getvalue()


def to_jsonld(records: list[UseCase], *, base_url: str) -> dict[str, Any]:
    """A dcat:Catalog whose datasets are the use cases (schema.org for the rest)."""
    return {
        "@context": {"@vocab": "https://schema.org/", "dcat": "http://www.w3.org/ns/dcat#",
                     "dct": "http://purl.org/dc/terms/"},
        "@type": "dcat:Catalog",
        "name": "GAIOS use cases of generative AI in official statistics",
        "dcat:dataset": [_jsonld_record(r, base_url) for r in records],
    }


def _jsonld_record(r: UseCase, base_url: str) -> dict[str, Any]:
    return {
        "@id": f"{base_url}/api/v1/usecases/{r.id}",
        "@type": ["dcat:Resource", "CreativeWork"],
        "identifier": r.id,
        "name": r.title,
        "abstract": r.summary,
        "creator": [{"@type": "GovernmentOrganization", "name": o.name,
                     "address": {"@type": "PostalAddress", "addressCountry": o.country}}
                    for o in r.organisations],
        "keywords": [*(f"GSBPM {c}" for c in r.gsbpm), *(f"GAMSO {c}" for c in r.gamso),
                     *r.task_types, *r.genai_patterns],
        "creativeWorkStatus": r.lifecycle_stage,
        "dct:license": r.record_meta.licence,
        "dateModified": r.record_meta.updated.isoformat(),
        "citation": [str(s.url) for s in r.sources],
    }

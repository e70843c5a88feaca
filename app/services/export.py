"""Exports of the published repository: JSON, CSV and JSON-LD (DCAT-AP)."""

import csv
import io
import json
from typing import Any

from app import vocabularies as vocab
from app.schemas.records import Organisation, UseCase

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


# The EU Publications Office licence vocabulary that DCAT-AP recommends; other SPDX ids
# get their SPDX page, an IRI as well.
EU_LICENCES = {"CC-BY-4.0": "CC_BY_4_0", "CC0-1.0": "CC0", "CC-BY-SA-4.0": "CC_BY_SA_4_0",
               "CC-BY-NC-4.0": "CC_BY_NC_4_0", "OGL-UK-3.0": "OGL_3_0", "ODbL-1.0": "ODBL_1_0"}
EU_COUNTRIES = "http://publications.europa.eu/resource/authority/country"  # ISO alpha-3
JSONLD_CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/", "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dct:modified": {"@type": "xsd:date"},
    "dct:license": {"@type": "@id"}, "dcat:theme": {"@type": "@id"},
    "dcat:themeTaxonomy": {"@type": "@id"}, "dcat:landingPage": {"@type": "@id"},
    "dcat:accessURL": {"@type": "@id"}, "dct:source": {"@type": "@id"},
    "skos:inScheme": {"@type": "@id"},
}


def licence_iri(licence: str) -> str:
    if licence in EU_LICENCES:
        return f"http://publications.europa.eu/resource/authority/licence/{EU_LICENCES[licence]}"
    return f"https://spdx.org/licenses/{licence}"


def gsbpm_iri(base_url: str, code: str | None = None) -> str:
    """GSBPM has no official IRIs: the concepts are fragments of our vocabulary endpoint."""
    return f"{base_url}/api/v1/vocabularies#gsbpm" + (f"-{code}" if code else "")


def to_jsonld(records: list[UseCase], *, base_url: str, publisher: str) -> dict[str, Any]:
    """A DCAT-AP catalogue: each use case a dcat:Dataset (themed by its GSBPM codes) with
    one distribution, the record as JSON; licences as IRIs; GSBPM as a SKOS scheme."""
    codes = sorted({c for r in records for c in r.gsbpm}, key=lambda c: [int(p) for p in c.split(".")])
    return {
        "@context": JSONLD_CONTEXT,
        "@graph": [
            {"@id": f"{base_url}/api/v1/export", "@type": "dcat:Catalog",
             "dct:title": {"@value": "GAIOS use cases of generative AI in official statistics",
                           "@language": "en"},
             "dct:description": {"@value": "Use cases of generative AI in national and "
                                 "international statistical organisations.", "@language": "en"},
             "dct:publisher": {"@type": "foaf:Agent", "foaf:name": publisher},
             "dcat:themeTaxonomy": gsbpm_iri(base_url),
             "dcat:dataset": [_jsonld_record(r, base_url) for r in records]},
            {"@id": gsbpm_iri(base_url), "@type": "skos:ConceptScheme",
             "dct:title": "Generic Statistical Business Process Model (GSBPM) 5.1"},
            *({"@id": gsbpm_iri(base_url, c), "@type": "skos:Concept", "skos:notation": c,
               "skos:prefLabel": {"@value": vocab.gsbpm()[c].name, "@language": "en"},
               "skos:inScheme": gsbpm_iri(base_url)} for c in codes),
        ],
    }


def agent(organisation: Organisation) -> dict[str, Any]:
    return {"@type": "foaf:Agent", "foaf:name": organisation.name}


def _jsonld_record(r: UseCase, base_url: str) -> dict[str, Any]:
    page = f"{base_url}/api/v1/usecases/{r.id}"
    return {
        "@id": page,
        "@type": "dcat:Dataset",
        "dct:identifier": r.id,
        "dct:title": {"@value": r.title, "@language": "en"},
        "dct:description": {"@value": r.summary, "@language": "en"},
        # DCAT-AP allows one publisher: the lead organisation; all of them are creators.
        "dct:publisher": agent(r.organisations[0]),
        "dct:creator": [agent(o) for o in r.organisations],
        "dct:spatial": [{"@id": f"{EU_COUNTRIES}/{c}"}
                        for c in sorted({o.country for o in r.organisations} - {"INT"})],
        "dcat:theme": [gsbpm_iri(base_url, c) for c in r.gsbpm],
        "dcat:keyword": [*(f"GAMSO {c}" for c in r.gamso), *r.task_types, *r.genai_patterns],
        "dct:modified": r.record_meta.updated.isoformat(),
        "dcat:landingPage": page,
        "dct:source": [str(s.url) for s in r.sources],
        "dcat:distribution": [{
            "@type": "dcat:Distribution", "dcat:accessURL": page,
            "dct:format": "application/json",
            "dct:license": {"@id": licence_iri(r.record_meta.licence),
                            "@type": "dct:LicenseDocument"},
        }],
    }

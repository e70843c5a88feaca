"""Use-case candidates from a DCAT catalogue in JSON-LD (another GAIOS's `/export?format=
jsonld`, or any DCAT-AP catalogue), through rdflib, so any JSON-LD shape of the same
triples reads the same.

Mapping (DCAT-AP and schema.org terms, whichever the catalogue uses): identifier, title,
description/abstract, publisher/creator (name, country), keywords and themes ("GSBPM 5.2",
GSBPM theme IRIs, record vocabulary values), status, landing page/citations as sources,
licence, issued/modified. A dataset lacking what a GAIOS record requires (for example its
GenAI pattern) becomes a candidate that fails validation: the harvester holds it back with
the reason rather than inventing the field.

Remote `@context` references are refused: rdflib would fetch them, and a harvester never
fetches a URL found inside harvested content.
"""

import json
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF
from rdflib.term import Node

from app import vocabularies as v

SDO = (Namespace("https://schema.org/"), Namespace("http://schema.org/"))
CODE = {scheme: re.compile(rf"{scheme}[ _:/-]*(\d{{1,2}}(?:\.\d{{1,2}})*)\b", re.I)
        for scheme in ("GSBPM", "GAMSO")}
YEAR = re.compile(r"^\d{4}")
# Record fields with one value from a vocabulary, recognised among the keywords.
SINGLE_VALUED: dict[str, type[StrEnum]] = {
    "scope": v.Scope, "model_openness": v.ModelOpenness, "hosting": v.Hosting,
    "data_sensitivity": v.DataSensitivity, "human_oversight": v.HumanOversight,
}


class CatalogueError(ValueError):
    """The document is not a JSON-LD DCAT catalogue that can be read offline."""


@dataclass
class Offered:
    """One record a source offers: its data in the record schema, as far as it maps."""

    remote_id: str
    remote_url: str
    data: dict[str, Any] | None  # None: withdrawn at the source
    revision: int | None = None
    licence: str | None = None


def refuse_remote_contexts(node: Any) -> None:
    """Raise when any `@context` (or `@import`) names a URL instead of carrying terms."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("@context", "@import") and _names_url(value):
                raise CatalogueError("the catalogue's @context refers to a remote document; "
                                     "GAIOS does not fetch URLs found inside harvested content "
                                     "(embed the context, or send expanded JSON-LD)")
            refuse_remote_contexts(value)
    elif isinstance(node, list):
        for item in node:
            refuse_remote_contexts(item)


def _names_url(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list)
                                      and any(isinstance(x, str) for x in value))


def read_catalogue(document: Any, *, catalogue_url: str) -> list[Offered]:
    """Every dataset or resource of the catalogue, mapped to the record schema."""
    refuse_remote_contexts(document)
    graph = Graph()
    try:
        graph.parse(data=json.dumps(document), format="json-ld", base=catalogue_url)
    except Exception as exc:  # rdflib raises many types for malformed JSON-LD
        raise CatalogueError(f"not readable as JSON-LD: {type(exc).__name__}: {exc}") from exc
    subjects = [s for kind in (DCAT.Dataset, DCAT.Resource)
                for s in graph.subjects(RDF.type, kind)]
    subjects += [o for o in graph.objects(None, DCAT.dataset) if o not in subjects]
    if not subjects:
        raise CatalogueError("no dcat:Dataset or dcat:Resource found in the catalogue")
    return [_offered(graph, s) for s in dict.fromkeys(subjects)]


def _offered(graph: Graph, subject: Node) -> Offered:
    remote_id = _text(graph, subject, DCTERMS.identifier, *(ns.identifier for ns in SDO)) \
        or str(subject).rstrip("/").rsplit("/", 1)[-1]
    licence = _text(graph, subject, DCTERMS.license, *(ns.license for ns in SDO))
    keywords = [str(o) for p in (DCAT.keyword, *(ns.keywords for ns in SDO))
                for o in graph.objects(subject, p)]
    themes = [str(o) for o in graph.objects(subject, DCAT.theme)]
    modified = _text(graph, subject, DCTERMS.modified, *(ns.dateModified for ns in SDO))
    issued = _text(graph, subject, DCTERMS.issued, *(ns.datePublished for ns in SDO))
    data: dict[str, Any] = {
        "id": remote_id,
        "title": _text(graph, subject, DCTERMS.title, *(ns.name for ns in SDO)),
        "summary": _text(graph, subject, DCTERMS.description,
                         *(p for ns in SDO for p in (ns.abstract, ns.description))),
        "organisations": _organisations(graph, subject),
        "gsbpm": _codes(keywords + themes, "GSBPM", v.gsbpm()),
        "gamso": _codes(keywords + themes, "GAMSO", v.gamso()),
        "task_types": _values(keywords, v.TaskType),
        "genai_patterns": _values(keywords, v.GenAIPattern),
        "lifecycle_stage": _text(graph, subject, *(ns.creativeWorkStatus for ns in SDO))
        or _one(keywords, v.LifecycleStage),
        **{name: _one(keywords, vocabulary) for name, vocabulary in SINGLE_VALUED.items()},
        "sources": [{"url": u} for u in _urls(graph, subject)],
        "year_reported": (modified or issued or "")[:4] or None,
        "record_meta": {"created": _day(issued or modified), "updated": _day(modified or issued),
                        "curator": "harvested", **({"licence": licence} if licence else {})},
    }
    data["scope"] = data["scope"] or _scope(keywords, data)
    return Offered(remote_id=remote_id, remote_url=str(subject), licence=licence,
                   data={k: val for k, val in data.items() if val not in (None, "", [])})


def _text(graph: Graph, subject: Node, *predicates: URIRef) -> str | None:
    for predicate in predicates:
        for value in graph.objects(subject, predicate):
            if isinstance(value, Literal | URIRef):
                return str(value).strip()
    return None


def _organisations(graph: Graph, subject: Node) -> list[dict[str, Any]]:
    found = []
    for predicate in (DCTERMS.publisher, DCTERMS.creator, *(ns.creator for ns in SDO)):
        for agent in graph.objects(subject, predicate):
            name = _text(graph, agent, FOAF.name, *(ns.name for ns in SDO)) or (
                str(agent) if isinstance(agent, Literal) else None)
            country = _country(graph, agent)
            if name:
                found.append({"name": name, "type": _text(graph, agent, DCTERMS.type) or "nso",
                              **({"country": country} if country else {})})
    return list({o["name"]: o for o in found}.values())


def _country(graph: Graph, agent: Node) -> str | None:
    for ns in SDO:
        for address in graph.objects(agent, ns.address):
            country = _text(graph, address, ns.addressCountry)
            if country:
                return country
    spatial = _text(graph, agent, DCTERMS.spatial)
    return spatial.rstrip("/").rsplit("/", 1)[-1] if spatial else None


def _one(labels: list[str], vocabulary: type[StrEnum]) -> str | None:
    """The keyword naming a value of this vocabulary; `unknown` when the vocabulary has it
    (a catalogue that does not say is recorded as not saying)."""
    found = _values(labels, vocabulary)
    if found:
        return found[0]
    return "unknown" if "unknown" in {m.value for m in vocabulary} else None


def _scope(labels: list[str], data: dict[str, Any]) -> str | None:
    if data["gsbpm"] and data["gamso"]:
        return "both"
    return "production" if data["gsbpm"] else ("corporate" if data["gamso"] else None)


def _codes(labels: list[str], scheme: str, known: dict[str, Any]) -> list[str]:
    """Codes of a model (`GSBPM 5.2`, a theme IRI ending in gsbpm/5.2) it knows."""
    codes = [m.group(1) for label in labels for m in CODE[scheme].finditer(label)]
    return [c for c in dict.fromkeys(codes) if c in known]


def _values(labels: list[str], vocabulary: type[StrEnum]) -> list[str]:
    allowed = {m.value for m in vocabulary}
    return [x for x in dict.fromkeys(labels) if x in allowed]


def _urls(graph: Graph, subject: Node) -> list[str]:
    predicates = (DCAT.landingPage, FOAF.page, DCTERMS.source, *(ns.citation for ns in SDO),
                  *(ns.url for ns in SDO))
    return list(dict.fromkeys(str(o) for p in predicates for o in graph.objects(subject, p)
                              if str(o).startswith(("http://", "https://"))))


def _day(text: str | None) -> str:
    if text and YEAR.match(text):
        return text[:10] if len(text) >= 10 else f"{text[:4]}-01-01"
    return date.today().isoformat()

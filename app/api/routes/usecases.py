"""Use-case records: submit, browse with facets, revise, review, delete, export."""

import json
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse

from app import vocabularies as v
from app.api.deps import ContainerDep, PrincipalDep, ReaderDep
from app.errors import InvalidRecord
from app.schemas.api import ReviewRequest, RevisionPublic, UseCaseDetail, UseCaseList
from app.services.usecases import Filters, validate_record
from ingest.cli import index_usecase

router = APIRouter(prefix="/usecases", tags=["use cases"])

RECORD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/UseCase"}},
            "application/yaml": {"schema": {"$ref": "#/components/schemas/UseCase"}},
        },
    }
}

# query parameter -> (facet, vocabulary check)
FILTER_VOCABULARIES: dict[str, set[str] | None] = {
    "gamso": set(v.gamso()),
    "stage": {m.value for m in v.LifecycleStage},
    "scope": {m.value for m in v.Scope},
    "openness": {m.value for m in v.ModelOpenness},
    "hosting": {m.value for m in v.Hosting},
    "task_type": {m.value for m in v.TaskType},
    "pattern": {m.value for m in v.GenAIPattern},
    "organisation": None,
    "country": None,
    "origin": {"curated", "submission", "import", "harvest"},
    "org_type": {m.value for m in v.OrganisationType},
    "year": None,
}


async def read_record_body(request: Request) -> object:
    """The request body as JSON or YAML (by Content-Type), or a 422 naming the problem."""
    raw = await request.body()
    if not raw.strip():
        raise InvalidRecord("the request body is empty; send a use case as JSON or YAML")
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip()
    try:
        if kind in ("application/yaml", "application/x-yaml", "text/yaml"):
            data = yaml.safe_load(raw)
        else:
            data = json.loads(raw)
    except (json.JSONDecodeError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidRecord(f"malformed {'YAML' if 'yaml' in kind else 'JSON'} body: {exc}",
                            errors=[{"field": "(body)", "reason": str(exc)}]) from exc
    if not isinstance(data, dict):
        raise InvalidRecord("the body must be one use-case object",
                            errors=[{"field": "(body)", "reason": "not an object"}])
    return data


def build_filters(given: dict[str, list[str]], gsbpm: list[str], q: str | None) -> Filters:
    """Facet filters from the query string, each value checked against its vocabulary."""
    values: dict[str, list[str]] = {}
    errors: list[dict[str, str]] = []
    for code in gsbpm:
        term = v.gsbpm().get(code)
        if term is None:
            errors.append({"field": "gsbpm", "reason": f"unknown GSBPM code {code!r}"})
        else:
            values.setdefault("gsbpm" if term.parent else "gsbpm_phase", []).append(code)
    for name, allowed in FILTER_VOCABULARIES.items():
        chosen = given.get(name, [])
        bad = [x for x in chosen if allowed is not None and x not in allowed]
        errors += [{"field": name, "reason": f"unknown value {x!r}"} for x in bad]
        if chosen:
            values[name] = chosen
    if errors:
        raise InvalidRecord("unknown filter value", errors=errors)
    return Filters(values=values, q=q)


FILTER_PARAMS = ("gsbpm", *FILTER_VOCABULARIES)


def filters_from_query(params: list[tuple[str, str]]) -> Filters:
    """The browser's filters from a query string (the landscape page takes the same)."""
    given = {name: [v for k, v in params if k == name and v] for name in FILTER_VOCABULARIES}
    q = next((v for k, v in params if k == "q" and v.strip()), None)
    return build_filters(given, [v for k, v in params if k == "gsbpm" and v], q)


@router.get("", response_model=UseCaseList)
def list_usecases(
    container: ContainerDep,
    principal: ReaderDep,
    gsbpm: Annotated[list[str], Query(description="GSBPM phase (5) or sub-process (5.2)")] = [],
    gamso: Annotated[list[str], Query(description="GAMSO activity, e.g. 3.4")] = [],
    stage: Annotated[list[str], Query()] = [],
    scope: Annotated[list[str], Query()] = [],
    organisation: Annotated[list[str], Query(description="Acronym or name")] = [],
    country: Annotated[list[str], Query(description="ISO 3166-1 alpha-3")] = [],
    openness: Annotated[list[str], Query()] = [],
    hosting: Annotated[list[str], Query()] = [],
    task_type: Annotated[list[str], Query()] = [],
    pattern: Annotated[list[str], Query()] = [],
    origin: Annotated[list[str], Query()] = [],
    org_type: Annotated[list[str], Query(description="Organisation type, e.g. nso")] = [],
    year: Annotated[list[str], Query(description="Year reported (or started), e.g. 2025")] = [],
    q: Annotated[str | None, Query(max_length=200, description="Words in title, summary, organisation")] = None,
    status: Annotated[str, Query(pattern="^(published|submitted|rejected)$")] = "published",
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Browse use cases with filters (values of one filter are OR-ed, filters AND-ed) and
    facet counts. Unpublished submissions (`status=submitted`) are listed for their
    submitter and for reviewers only."""
    given = {"gamso": gamso, "stage": stage, "scope": scope, "organisation": organisation,
             "country": country, "openness": openness, "hosting": hosting,
             "task_type": task_type, "pattern": pattern, "origin": origin,
             "org_type": org_type, "year": year}
    filters = build_filters(given, gsbpm, q)
    page = container.usecases.search(filters, by=principal, status=status, limit=limit, offset=offset)
    return {"data": page.items, "count": page.count, "limit": limit, "offset": offset,
            "facets": page.facets}


@router.post("", response_model=UseCaseDetail, status_code=201, openapi_extra=RECORD_BODY)
async def submit_usecase(request: Request, container: ContainerDep, principal: PrincipalDep
                         ) -> dict[str, Any]:
    """Submit a use case (JSON or YAML). It waits for review before anyone else sees it."""
    data = await read_record_body(request)
    return container.usecases.submit(data, by=principal)


@router.post("/validate", openapi_extra=RECORD_BODY)
async def validate_usecase(request: Request) -> dict[str, bool]:
    """Check a record (schema, vocabularies, personal data) without storing it: the
    contribution form and evaluators use this."""
    validate_record(await read_record_body(request))
    return {"valid": True}


@router.get("/{usecase_id}", response_model=UseCaseDetail)
def get_usecase(usecase_id: str, container: ContainerDep, principal: ReaderDep,
                revision: Annotated[int | None, Query(ge=1)] = None) -> dict[str, Any]:
    """One use case: the published revision, or a given one."""
    return container.usecases.get(usecase_id, by=principal, revision=revision)


@router.put("/{usecase_id}", response_model=UseCaseDetail, openapi_extra=RECORD_BODY)
async def update_usecase(usecase_id: str, request: Request, container: ContainerDep,
                         principal: PrincipalDep,
                         comment: Annotated[str | None, Query(max_length=2000)] = None
                         ) -> dict[str, Any]:
    """Propose a new revision; the published one stays visible until it is reviewed."""
    data = await read_record_body(request)
    return container.usecases.update(usecase_id, data, by=principal, comment=comment)


@router.get("/{usecase_id}/revisions", response_model=list[RevisionPublic])
def list_revisions(usecase_id: str, container: ContainerDep, principal: ReaderDep
                   ) -> list[dict[str, Any]]:
    """The history of a use case, oldest first."""
    return container.usecases.revisions(usecase_id, by=principal)


@router.post("/{usecase_id}/review", response_model=UseCaseDetail)
def review_usecase(usecase_id: str, body: ReviewRequest, container: ContainerDep,
                   principal: PrincipalDep) -> dict[str, Any]:
    """Publish or reject the latest revision (reviewers). A published record is indexed
    at once, so search and chat know it."""
    detail = container.usecases.review(usecase_id, publish=body.action == "publish",
                                       comment=body.comment, by=principal)
    if body.action == "publish":
        index_usecase(container, usecase_id)
    return detail


@router.delete("/{usecase_id}", status_code=204)
def delete_usecase(usecase_id: str, container: ContainerDep, principal: PrincipalDep) -> Response:
    """Withdraw a use case (reviewers, or the submitter of an unpublished one)."""
    container.usecases.delete(usecase_id, by=principal)
    index_usecase(container, usecase_id)
    return Response(status_code=204)


@router.get("/{usecase_id}/yaml", response_class=PlainTextResponse)
def export_usecase_yaml(usecase_id: str, container: ContainerDep, principal: ReaderDep) -> str:
    """The record as a YAML file in the `usecases/records/` format, for a pull request."""
    detail = container.usecases.get(usecase_id, by=principal)
    return yaml.safe_dump(detail["record"], sort_keys=False, allow_unicode=True, width=100)

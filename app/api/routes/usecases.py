"""Use-case records: submit, browse with facets, revise, review, delete, export."""

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Query, Request, Response
from pydantic import StringConstraints
from fastapi.responses import PlainTextResponse

from app import vocabularies as v
from app.api.deps import ContainerDep, PrincipalDep, ReaderDep, WorkersDep
from app.errors import InvalidRecord, PayloadTooLarge
from app.parsing import Limits, ParseError, TooLarge, load_json, load_yaml
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


YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
MAX_PAGE_OFFSET = 1_000_000
MAX_REVISION = 1_000_000
MAX_FILTER_VALUES = 50
FilterValues = list[Annotated[str, StringConstraints(max_length=200)]]


def filter_query(description: str | None = None) -> Any:
    """A browse filter: at most MAX_FILTER_VALUES values of at most 200 characters."""
    return Query(max_length=MAX_FILTER_VALUES, description=description)


async def read_record_body(request: Request, workers: WorkersDep) -> dict[str, Any]:
    """The request body as JSON or YAML (by Content-Type), parsed in a worker thread
    within the validation time limit, or a 413/422 naming the problem."""
    raw = await request.body()
    if not raw.strip():
        raise InvalidRecord("the request body is empty; send a use case as JSON or YAML")
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip()
    max_bytes = request.app.state.container.settings.max_body_bytes
    return await workers.validate(parse_record_body, raw, yaml_body=kind in YAML_TYPES,
                                  max_bytes=max_bytes)


def parse_record_body(raw: bytes, *, yaml_body: bool, max_bytes: int) -> dict[str, Any]:
    """One use-case object from a JSON or YAML body, within the parsing limits."""
    what, limits = ("YAML" if yaml_body else "JSON"), Limits(max_bytes=max_bytes)
    try:
        data = load_yaml(raw, limits) if yaml_body else load_json(raw, limits)
    except TooLarge as exc:
        raise PayloadTooLarge(f"the {what} body is too large: {exc.reason}",
                              errors=[{"field": "(body)", "reason": exc.reason}]) from exc
    except ParseError as exc:
        raise InvalidRecord(f"malformed {what} body: {exc.reason}",
                            errors=[{"field": "(body)", "reason": exc.reason}]) from exc
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
    gsbpm: Annotated[FilterValues,
                     filter_query(description="GSBPM phase (5) or sub-process (5.2)")] = [],
    gamso: Annotated[FilterValues, filter_query(description="GAMSO activity, e.g. 3.4")] = [],
    stage: Annotated[FilterValues, filter_query()] = [],
    scope: Annotated[FilterValues, filter_query()] = [],
    organisation: Annotated[FilterValues, filter_query(description="Acronym or name")] = [],
    country: Annotated[FilterValues, filter_query(description="ISO 3166-1 alpha-3")] = [],
    openness: Annotated[FilterValues, filter_query()] = [],
    hosting: Annotated[FilterValues, filter_query()] = [],
    task_type: Annotated[FilterValues, filter_query()] = [],
    pattern: Annotated[FilterValues, filter_query()] = [],
    origin: Annotated[FilterValues, filter_query()] = [],
    org_type: Annotated[FilterValues, filter_query(description="Organisation type, e.g. nso")] = [],
    year: Annotated[FilterValues,
                    filter_query(description="Year reported (or started), e.g. 2025")] = [],
    q: Annotated[str | None, Query(max_length=200, description="Words in title, summary, organisation")] = None,
    status: Annotated[str, Query(pattern="^(published|submitted|rejected)$")] = "published",
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_PAGE_OFFSET)] = 0,
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
async def submit_usecase(request: Request, container: ContainerDep, principal: PrincipalDep,
                         workers: WorkersDep) -> dict[str, Any]:
    """Submit a use case (JSON or YAML). It waits for review before anyone else sees it."""
    data = await read_record_body(request, workers)
    # No time limit once parsed: a write is not abandoned half-way (the schema's
    # length limits bound how long its validation takes).
    return await workers.writes.run(container.usecases.submit, data, by=principal, seconds=None)


@router.post("/validate", openapi_extra=RECORD_BODY)
async def validate_usecase(request: Request, workers: WorkersDep) -> dict[str, bool]:
    """Check a record (schema, vocabularies, personal data) without storing it: the
    contribution form and evaluators use this. Over the validation time limit: 504."""
    await workers.validate(validate_record, await read_record_body(request, workers))
    return {"valid": True}


@router.get("/{usecase_id}", response_model=UseCaseDetail)
def get_usecase(usecase_id: str, container: ContainerDep, principal: ReaderDep,
                revision: Annotated[int | None, Query(ge=1, le=MAX_REVISION)] = None
                ) -> dict[str, Any]:
    """One use case: the published revision, or a given one."""
    return container.usecases.get(usecase_id, by=principal, revision=revision)


@router.put("/{usecase_id}", response_model=UseCaseDetail, openapi_extra=RECORD_BODY)
async def update_usecase(usecase_id: str, request: Request, container: ContainerDep,
                         principal: PrincipalDep, workers: WorkersDep,
                         comment: Annotated[str | None, Query(max_length=2000)] = None
                         ) -> dict[str, Any]:
    """Propose a new revision; the published one stays visible until it is reviewed."""
    data = await read_record_body(request, workers)
    return await workers.writes.run(container.usecases.update, usecase_id, data, by=principal,
                                     comment=comment, seconds=None)


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

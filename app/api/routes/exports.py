"""The published repository as JSON, CSV or JSON-LD."""

import hashlib
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.deps import ContainerDep, ReaderDep
from app.services import export

router = APIRouter(prefix="/export", tags=["use cases"])

MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8",
         "jsonld": "application/ld+json"}


def choose_format(fmt: str | None, accept: str) -> str:
    if fmt:
        return fmt
    for name, media in (("jsonld", "application/ld+json"), ("csv", "text/csv")):
        if media in accept:
            return name
    return "json"


@router.get("", responses={200: {"content": {m: {} for m in MEDIA.values()}}})
def export_usecases(
    request: Request,
    container: ContainerDep,
    _: ReaderDep,
    format: Annotated[str | None, Query(pattern="^(json|csv|jsonld)$",
                                        description="Overrides the Accept header")] = None,
) -> Response:
    """Every published use case, in the format chosen by `format` or the Accept header.
    Sends an `ETag`; a request whose `If-None-Match` still matches gets 304, no body."""
    fmt = choose_format(format, request.headers.get("accept", ""))
    records = container.usecases.published()
    if fmt == "csv":
        body = export.to_csv(records)
    elif fmt == "jsonld":
        body = export.dumps(export.to_jsonld(records, base_url=str(request.base_url).rstrip("/"),
                                             publisher=container.settings.catalog_publisher))
    else:
        body = export.to_json(records)
    # The tag hashes the body itself, so it is right whatever changed the export.
    etag = f'"{hashlib.sha256(body.encode()).hexdigest()[:32]}"'
    tags = if_none_match(request.headers.get("if-none-match", ""))
    if etag in tags or "*" in tags:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type=MEDIA[fmt], headers={
        "ETag": etag, "Content-Disposition": f'attachment; filename="gaios-usecases.{fmt}"'})


def if_none_match(header: str) -> set[str]:
    """The entity tags of an If-None-Match header, weak ones compared as strong (RFC 9110
    weak comparison) and `*` meaning any."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}

"""The published repository as JSON, CSV or JSON-LD."""

import json
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
    """Every published use case, in the format chosen by `format` or the Accept header."""
    fmt = choose_format(format, request.headers.get("accept", ""))
    records = container.usecases.published()
    if fmt == "csv":
        body = export.to_csv(records)
    elif fmt == "jsonld":
        body = json.dumps(export.to_jsonld(records, base_url=str(request.base_url).rstrip("/"),
                                           publisher=container.settings.catalog_publisher),
                          ensure_ascii=False)
    else:
        body = export.to_json(records)
    return Response(body, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="gaios-usecases.{fmt}"'})

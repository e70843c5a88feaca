"""The change feed of the published repository, for harvesters of other GAIOS instances."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import ContainerDep, ReaderDep
from app.schemas.api import ChangeList

router = APIRouter(prefix="/changes", tags=["use cases"])


@router.get("", response_model=ChangeList)
def list_changes(
    container: ContainerDep,
    _: ReaderDep,
    since: Annotated[str | None, Query(max_length=64, description=(
        "A cursor from an earlier page (`next_cursor` or a change's `cursor`); "
        "omitted: from the beginning."))] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ChangeList:
    """Records published, revised or withdrawn since `since`, oldest first. A harvester
    keeps `next_cursor` and asks again with it; nothing committed after its last page
    can carry an earlier cursor."""
    page = container.changes.since(since, limit=limit)
    return ChangeList.model_validate(
        {"data": page.changes, "next_cursor": page.next_cursor, "has_more": page.has_more})

"""Harvesting other organisations' repositories (admins): sources, runs, reports."""

from typing import Any

from fastapi import APIRouter, Response

from app.api.deps import ContainerDep, PrincipalDep
from app.schemas.harvest import (
    HarvestReportPublic,
    HarvestRunRequest,
    HarvestSourceCreate,
    HarvestSourcePublic,
)
from ingest.cli import harvest_and_index, index_usecases

router = APIRouter(prefix="/harvest", tags=["harvesting"])


@router.get("/sources", response_model=list[HarvestSourcePublic])
def list_sources(container: ContainerDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Every source, with its last report and the records it holds back."""
    return container.harvest.sources(by=principal)


@router.post("/sources", response_model=HarvestSourcePublic, status_code=201)
def add_source(body: HarvestSourceCreate, container: ContainerDep, principal: PrincipalDep
               ) -> dict[str, Any]:
    """Add a source (nothing is fetched until a run)."""
    return container.harvest.add_source(body.name, body.url, kind=body.kind, by=principal)


@router.get("/sources/{name}", response_model=HarvestSourcePublic)
def get_source(name: str, container: ContainerDep, principal: PrincipalDep) -> dict[str, Any]:
    return container.harvest.source(name, by=principal)


@router.delete("/sources/{name}", status_code=204)
def remove_source(name: str, container: ContainerDep, principal: PrincipalDep) -> Response:
    """Forget a source; the records it brought are withdrawn (their history is kept)."""
    index_usecases(container, container.harvest.remove_source(name, by=principal))
    return Response(status_code=204)


@router.post("/run", response_model=list[HarvestReportPublic])
def run_harvest(body: HarvestRunRequest, container: ContainerDep, principal: PrincipalDep
                ) -> list[dict[str, Any]]:
    """Harvest one source or all of them now; what changed is indexed for search and chat."""
    return [r.as_dict() for r in harvest_and_index(container, body.source, by=principal)]

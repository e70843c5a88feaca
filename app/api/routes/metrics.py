"""Prometheus metrics of this process (and the shared index state) for scraping."""

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.observability import Metrics

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Request, chat, guard, ingestion and rate-limit metrics in the Prometheus format."""
    collected: Metrics = request.app.state.metrics
    container = getattr(request.app.state, "container", None)
    if container is not None:
        collected.refresh_state(container.db)
    return Response(generate_latest(collected.registry), media_type=CONTENT_TYPE_LATEST)

"""Liveness and readiness for load balancers and orchestrators."""

import logging
from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.api.deps import ContainerDep, WarmUpDep
from app.core.container import Container

router = APIRouter(tags=["operations"])
log = logging.getLogger("gaios")


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up. Answered on the event loop itself (no worker thread), so it
    answers even while every worker is busy."""
    return {"status": "ok"}


def check_database(container: Container) -> None:
    with container.db.session() as session:
        session.execute(text("SELECT 1"))


CHECKS: dict[str, Callable[[Container], object]] = {
    "database": check_database,
    "vector_store": lambda c: c.store.heartbeat(),
    "embedding_model": lambda c: c.embedder.dimension,
    "model": lambda c: c.chat.check_backend(),
}


@router.get("/readyz")
def readyz(container: ContainerDep, warmup: WarmUpDep) -> JSONResponse:
    """503 `starting`, naming what is still loading, while the models and indexes load
    after start-up; then the database, vector store, embedding model and model backend
    each checked, 503 if any is down. Names and states only: the reason a part is down
    may name internal addresses or paths, so it goes to the log, not to the caller."""
    if waiting := warmup.waiting_for:
        return JSONResponse({"status": "starting", "waiting_for": waiting}, status_code=503)
    checks = {name: {"ok": passes(name, check, container)} for name, check in CHECKS.items()}
    ready = all(c["ok"] for c in checks.values())
    return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                        status_code=200 if ready else 503)


def passes(name: str, check: Callable[[Container], object], container: Container) -> bool:
    try:
        check(container)
    except Exception as exc:  # readiness reports every failure, whatever its type
        log.warning("readiness: %s is down: %s: %s", name, type(exc).__name__, exc)
        return False
    return True

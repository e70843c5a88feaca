"""Liveness and readiness for load balancers and orchestrators."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.api.deps import ContainerDep
from app.errors import AppError

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up. Answered on the event loop itself (no worker thread), so it
    answers even while every worker is busy."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(container: ContainerDep) -> JSONResponse:
    """Database, vector store and model backend each checked; 503 if any is down."""
    checks: dict[str, Any] = {}

    def run(name: str, check: Any) -> None:
        try:
            check()
            checks[name] = {"ok": True}
        except AppError as exc:
            checks[name] = {"ok": False, "reason": exc.message}
        except Exception as exc:  # readiness reports every failure, whatever its type
            checks[name] = {"ok": False, "reason": f"{type(exc).__name__}: {exc}"}

    def database() -> None:
        with container.db.session() as session:
            session.execute(text("SELECT 1"))

    run("database", database)
    run("vector_store", container.store.heartbeat)
    run("model", container.chat.check_backend)
    ready = all(c["ok"] for c in checks.values())
    return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                        status_code=200 if ready else 503)

"""Every router of the REST API, assembled under `/api/v1` by `app.main`."""

from fastapi import APIRouter

from app.api.routes import exports, meta, usecases

api_router = APIRouter()
api_router.include_router(usecases.router)
api_router.include_router(exports.router)
api_router.include_router(meta.router)

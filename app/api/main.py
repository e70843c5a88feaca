"""Every router of the REST API, assembled under `/api/v1` by `app.main`."""

from fastapi import APIRouter

from app.api.routes import (
    changes,
    chat,
    conversations,
    documents,
    exports,
    feedback,
    harvest,
    health,
    keys,
    meta,
    search,
    usecases,
)

api_router = APIRouter()
api_router.include_router(usecases.router)
api_router.include_router(exports.router)
api_router.include_router(changes.router)
api_router.include_router(meta.router)
api_router.include_router(search.router)
api_router.include_router(documents.router)
api_router.include_router(chat.router)
api_router.include_router(conversations.router)
api_router.include_router(feedback.router)
api_router.include_router(keys.router)
api_router.include_router(harvest.router)

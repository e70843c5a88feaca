"""Grounded chat: one answer, a stream of typed events, prompt versions (feedback on
answers: `app.api.routes.feedback`)."""

import functools
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.sse import EventSourceResponse, ServerSentEvent

from app.api.deps import ContainerDep, ConversationOwnerDep, ReaderDep, WorkersDep
from app.errors import AppError
from app.observability import observe_chat
from app.prompts import PromptTemplate
from app.schemas.chat import ChatRequest, ChatResponse
from app.workers import within

router = APIRouter(tags=["chat"])


@router.post("/chat", response_model=ChatResponse)
async def chat(body: ChatRequest, container: ContainerDep, principal: ReaderDep,
               owner: ConversationOwnerDep, workers: WorkersDep) -> dict[str, Any]:
    """Answer a question from the repository, with citations and matching use cases (504
    over the chat time limit). A `conversation_id` must be one this caller was given (404
    otherwise)."""
    return observe_chat(await workers.answer(
        functools.partial(container.chat.answer, owner=owner), body, principal))


@router.post("/chat/stream", response_class=EventSourceResponse)
def chat_stream(body: ChatRequest, container: ContainerDep, principal: ReaderDep,
                owner: ConversationOwnerDep) -> Iterator[ServerSentEvent]:
    """The same answer as Server-Sent Events: `retrieval`, `token` (one checked sentence
    at a time), `citations`, `usecases`, `done` (the full response), or `error`. If the
    model fails, `fallback` comes before the tokens of the answer extracted instead."""
    events = within(container.chat.events(body, principal, owner=owner),
                    container.settings.chat_timeout_seconds, what="answering the question")
    try:
        for kind, payload in events:
            data = observe_chat(payload) if kind == "done" else payload
            yield ServerSentEvent(event=kind, data=data)
    except AppError as exc:
        yield ServerSentEvent(event="error", data={"type": exc.error_type, "message": exc.message,
                                                   "status": exc.status_code})


@router.get("/prompts", response_model=list[PromptTemplate])
def list_prompts(container: ContainerDep) -> list[PromptTemplate]:
    """The prompt templates in use, with their versions."""
    return list(container.prompts.values())

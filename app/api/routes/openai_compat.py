"""An OpenAI-compatible `/v1/chat/completions`, so existing chat clients can use GAIOS
as a model. The last user message is the question, earlier turns are the history; the
citations and matching use cases travel in the extra `gaios` field (and as a short
"Sources" list at the end of the content, for clients that show only the text)."""

import json
import time
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.sse import EventSourceResponse
from pydantic import BaseModel, Field, ValidationError

from app.api.deps import ContainerDep, ReaderDep, WorkersDep
from app.errors import AppError, InvalidRecord
from app.observability import observe_chat
from app.schemas.chat import ChatRequest, ChatTurn
from app.services import sanitize
from app.workers import within

router = APIRouter(tags=["openai-compatible"])


class OpenAIMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: (Annotated[str, Field(max_length=16_000)]
              | Annotated[list[dict[str, Any]], Field(max_length=20)] | None) = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class OpenAIChatRequest(BaseModel):
    model: str = Field(default="gaios", max_length=100)
    messages: list[OpenAIMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1, le=32_768)
    user: str | None = Field(default=None, max_length=200)


def to_chat_request(body: OpenAIChatRequest) -> ChatRequest:
    turns = [m for m in body.messages if m.role in ("user", "assistant") and m.text().strip()]
    if not turns or turns[-1].role != "user":
        raise InvalidRecord("the last message must be a user message",
                            errors=[{"field": "messages", "reason": "no final user message"}])
    history = [ChatTurn(role=m.role, content=m.text()[:8000]) for m in turns[:-1]][-20:]  # type: ignore[arg-type]
    try:
        return ChatRequest(question=turns[-1].text(), history=history)
    except ValidationError as exc:  # the question's own limits (e.g. its length)
        position = next(i for i, m in enumerate(body.messages) if m is turns[-1])
        raise InvalidRecord("the last user message is not a valid question", errors=[
            {"field": f"messages.{position}.content", "reason": err["msg"]}
            for err in exc.errors()]) from exc


def sources_footer(response: dict[str, Any]) -> str:
    """The cited sources as plain text: clients render it as Markdown, so a title keeps no
    markup and a URL is printed only when it is a plain http(s) address (never an image or
    a `javascript:` link)."""
    if not response["citations"]:
        return ""
    lines = [f"[{c['number']}] {sanitize.inline(c['title'])}"
             + (f" - {c['url']}" if sanitize.is_plain_web_url(c["url"]) else "")
             for c in response["citations"]]
    return "\n\nSources:\n" + "\n".join(lines)


def extra(response: dict[str, Any]) -> dict[str, Any]:
    keys = ("answer_id", "citations", "usecases", "grounded", "refused", "refusal_reason",
            "backend", "model", "prompt", "timings")
    return {k: response[k] for k in keys}


@router.post("/v1/chat/completions", response_model=None)
async def chat_completions(body: OpenAIChatRequest, container: ContainerDep, principal: ReaderDep,
                           workers: WorkersDep) -> dict[str, Any] | EventSourceResponse:
    """OpenAI chat-completions format, streaming or not (504 over the chat time limit)."""
    request = to_chat_request(body)
    if body.stream:
        return EventSourceResponse(_stream(request, container, principal))
    response = observe_chat(await workers.answer(container.chat.answer, request, principal))
    return {
        "id": f"chatcmpl-{response['answer_id']}", "object": "chat.completion",
        "created": int(time.time()), "model": f"gaios-{response['backend']}",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": response["answer"] + sources_footer(response)}}],
        "usage": {**response["usage"], "total_tokens": sum(response["usage"].values())},
        "gaios": extra(response),
    }


def _stream(request: ChatRequest, container: Any, principal: Any) -> Iterator[bytes]:
    created, chunk_id = int(time.time()), f"chatcmpl-{int(time.time() * 1000)}"

    def chunk(delta: dict[str, Any], finish: str | None = None, **more: Any) -> bytes:
        body = {"id": chunk_id, "object": "chat.completion.chunk", "created": created,
                "model": f"gaios-{container.chat.backend}",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **more}
        return f"data: {json.dumps(body)}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""})
    try:
        for kind, payload in within(container.chat.events(request, principal),
                                    container.settings.chat_timeout_seconds,
                                    what="answering the question"):
            if kind == "token":
                yield chunk({"content": payload["text"]})
            elif kind == "done":
                observe_chat(payload)
                if payload["refused"]:
                    yield chunk({"content": payload["answer"]})
                yield chunk({"content": sources_footer(payload)}, "stop", gaios=extra(payload))
    except AppError as exc:
        yield f"data: {json.dumps({'error': {'message': exc.message, 'type': exc.error_type}})}\n\n".encode()
    yield b"data: [DONE]\n\n"


"""An OpenAI-compatible `/v1/chat/completions`, so existing chat clients can use GAIOS
as a model. The last user message is the question, earlier turns are the history; the
citations and matching use cases travel in the extra `gaios` field (and as a short
"Sources" list at the end of the content, for clients that show only the text).

Stock clients (the `openai` package, Open WebUI) always send a bearer token. A GAIOS key
is used as such; any other token (a placeholder like "x") is treated as no key at all:
anonymous when `GAIOS_ANONYMOUS_READ` is on, 401 when it is off. Never a role.
"""

import json
import time
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.sse import EventSourceResponse
from pydantic import BaseModel, Field, ValidationError

from app.api.deps import ContainerDep, WorkersDep, api_key_of
from app.errors import AppError, InvalidRecord, NotFound, Unauthorized
from app.observability import observe_chat
from app.schemas.chat import ChatRequest, ChatTurn
from app.services import sanitize
from app.services.auth import ANONYMOUS, Principal
from app.services.roles import Action, authorize
from app.workers import within

router = APIRouter(tags=["openai-compatible"])
MODEL_ID = "gaios"  # the answering pipeline, whatever backend generates the text
STARTED = int(time.time())  # the model's `created`: when this process started


def get_client_reader(request: Request, container: ContainerDep) -> Principal:
    """The caller of a stock client. An unknown bearer token counts as no key (anonymous,
    allowed only with anonymous read on), so a placeholder key works where anonymous
    reading is open and never gains more than an anonymous caller."""
    key = api_key_of(request)
    principal = ANONYMOUS
    if key:
        try:
            principal = container.keys.authenticate(key)
        except Unauthorized:
            if not container.settings.anonymous_read:
                raise
    authorize(principal, Action.read, anonymous_read=container.settings.anonymous_read)
    return principal


ClientReaderDep = Annotated[Principal, Depends(get_client_reader)]


class OpenAIMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: (Annotated[str, Field(max_length=16_000)]
              | Annotated[list[dict[str, Any]], Field(max_length=20)] | None) = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    include_usage: bool = False


class OpenAIChatRequest(BaseModel):
    model: str = Field(default=MODEL_ID, max_length=100)
    messages: list[OpenAIMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    stream_options: StreamOptions | None = None
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
    keys = ("answer_id", "citations", "usecases", "grounded", "refused", "answer_status",
            "refusal_reason", "fallback", "backend", "model", "prompt", "timings")
    return {k: response[k] for k in keys}


def usage(response: dict[str, Any]) -> dict[str, int]:
    """Tokens the language model read and wrote (0 with the extractive backend: no model)."""
    counts = {"prompt_tokens": 0, "completion_tokens": 0, **response["usage"]}
    return {**counts, "total_tokens": counts["prompt_tokens"] + counts["completion_tokens"]}


def model_card(container: Any) -> dict[str, Any]:
    return {"id": MODEL_ID, "object": "model", "created": STARTED,
            "owned_by": "gaios",
            "gaios": {"backend": container.chat.backend, "model": container.chat.model}}


@router.get("/v1/models")
def list_models(container: ContainerDep, _: ClientReaderDep) -> dict[str, Any]:
    """The one model a client can pick: GAIOS's answering pipeline (retrieval, the
    configured backend and the guard); `gaios.backend`/`gaios.model` say what generates."""
    return {"object": "list", "data": [model_card(container)]}


@router.get("/v1/models/{model_id}")
def get_model(model_id: str, container: ContainerDep, _: ClientReaderDep) -> dict[str, Any]:
    """One model by id (only `gaios` exists)."""
    if model_id != MODEL_ID:
        raise NotFound(f"no model {model_id!r}: the only model is {MODEL_ID!r}")
    return model_card(container)


@router.post("/v1/chat/completions", response_model=None)
async def chat_completions(body: OpenAIChatRequest, container: ContainerDep,
                           principal: ClientReaderDep, workers: WorkersDep
                           ) -> dict[str, Any] | EventSourceResponse:
    """OpenAI chat-completions format, streaming or not (504 over the chat time limit)."""
    request = to_chat_request(body)
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return EventSourceResponse(_stream(request, container, principal, include_usage))
    response = observe_chat(await workers.answer(container.chat.answer, request, principal))
    return {
        "id": f"chatcmpl-{response['answer_id']}", "object": "chat.completion",
        "created": int(time.time()), "model": f"gaios-{response['backend']}",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": response["answer"] + sources_footer(response)}}],
        "usage": usage(response),
        "gaios": extra(response),
    }


def _stream(request: ChatRequest, container: Any, principal: Any,
            include_usage: bool) -> Iterator[bytes]:
    created, chunk_id = int(time.time()), f"chatcmpl-{int(time.time() * 1000)}"

    def chunk(delta: dict[str, Any] | None, finish: str | None = None, **more: Any) -> bytes:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        body = {"id": chunk_id, "object": "chat.completion.chunk", "created": created,
                "model": f"gaios-{container.chat.backend}", "choices": choices, **more}
        return f"data: {json.dumps(body)}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""})
    streamed = False
    try:
        for kind, payload in within(container.chat.events(request, principal),
                                    container.settings.chat_timeout_seconds,
                                    what="answering the question"):
            if kind == "token":
                streamed = True
                yield chunk({"content": payload["text"]})
            elif kind == "fallback" and streamed:
                # Text a client has shown cannot be taken back: say where the model's
                # text ends and the quoted sources begin.
                yield chunk({"content": f"\n\n({payload['message']})\n\n"})
            elif kind == "done":
                observe_chat(payload)
                if payload["refused"]:
                    yield chunk({"content": payload["answer"]})
                yield chunk({"content": sources_footer(payload)}, "stop", gaios=extra(payload))
                if include_usage:  # as OpenAI: one more chunk, no choices, the counts
                    yield chunk(None, usage=usage(payload))
    except AppError as exc:
        yield f"data: {json.dumps({'error': {'message': exc.message, 'type': exc.error_type}})}\n\n".encode()
    yield b"data: [DONE]\n\n"


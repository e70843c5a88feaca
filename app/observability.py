"""Metrics, request ids and structured logs.

- `Metrics` holds the Prometheus collectors of one app in its own `CollectorRegistry`
  (served at `/metrics`): HTTP requests and latency per route template and status, chat
  retrieval/generation/total timings, answers, refusals, guard interventions, personal
  data found in questions, tokens, ingestion, rate-limited requests, and the state of
  the index and repository read from the database at each scrape.
- `RequestObserver` (ASGI middleware) gives each request an id (`X-Request-ID` if the
  caller sent a sane one, else a new one; returned in the response), counts and times
  it, and writes one access-log line: method, route template, status, duration. Never
  the query string, the body or the client address (personal data).
- `JsonFormatter` writes one JSON object per line; `log_config()` is what `gaios serve`
  hands to uvicorn. Raw questions are logged only when `log_questions` is on, and
  e-mail addresses are masked in every line in any case.
- `observe_chat()` and `observe_ingest()` are the hooks the chat routes and the ingest
  command call; they record into the metrics of the app serving the current request.
"""

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any, TextIO

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import func, select
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db.models import IndexEntryRow, UseCaseRow
from app.db.session import Database

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
EMAIL = re.compile(r"[\w.+-]+(@|%40)[\w-]+(\.[\w-]+)+")  # also URL-encoded
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})  # probes: DEBUG, not INFO
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
access_log = logging.getLogger("gaios.access")
log = logging.getLogger("gaios.observability")


class Metrics:
    """The Prometheus collectors of one application, in a registry of its own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter("gaios_http_requests", "HTTP requests.",
                                ["method", "route", "status"], registry=r)
        self.latency = Histogram("gaios_http_request_duration_seconds", "HTTP request latency.",
                                 ["method", "route", "status"], buckets=LATENCY_BUCKETS, registry=r)
        self.retrieval = Histogram("gaios_chat_retrieval_seconds", "Retrieval time per answer.",
                                   buckets=LATENCY_BUCKETS, registry=r)
        self.generation = Histogram("gaios_chat_generation_seconds", "Generation time per "
                                    "answer (model or extractive).", buckets=LATENCY_BUCKETS,
                                    registry=r)
        self.chat_total = Histogram("gaios_chat_duration_seconds", "Whole chat pipeline per "
                                    "answer.", buckets=LATENCY_BUCKETS, registry=r)
        self.answers = Counter("gaios_chat_answers", "Chat answers by backend and outcome "
                               "(grounded, ungrounded, refused).", ["backend", "outcome"],
                               registry=r)
        self.refusals = Counter("gaios_chat_refusals", "Refused questions by reason.",
                                ["reason"], registry=r)
        self.guard = Counter("gaios_guard_interventions", "Guard interventions: sentences "
                             "removed, fabricated citations, extractive fallbacks.", ["kind"],
                             registry=r)
        self.model_failures = Counter("gaios_chat_model_failures", "Answers extracted from "
                                      "the sources because the model failed, by reason.",
                                      ["reason"], registry=r)
        self.personal_data = Counter("gaios_chat_personal_data", "Personal data found (and "
                                     "redacted or refused) in questions, by type.", ["entity"],
                                     registry=r)
        self.tokens = Counter("gaios_chat_tokens", "Model tokens.", ["kind"], registry=r)
        self.ingested = Counter("gaios_ingest_documents", "Documents handled by ingestion runs, "
                                "by outcome.", ["outcome"], registry=r)
        self.ingest_runs = Counter("gaios_ingest_runs", "Ingestion runs.", registry=r)
        self.ingest_seconds = Histogram("gaios_ingest_run_seconds", "Ingestion run time.",
                                        buckets=LATENCY_BUCKETS, registry=r)
        self.rate_limited = Counter("gaios_rate_limited", "Requests refused with 429.",
                                    ["limit"], registry=r)
        self.index_documents = Gauge("gaios_index_documents", "Documents in the index manifest.",
                                     ["status"], registry=r)
        self.index_chunks = Gauge("gaios_index_chunks", "Chunks of complete documents.", registry=r)
        self.usecases = Gauge("gaios_usecases_published", "Published use cases.", registry=r)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)

    def observe_chat(self, response: dict[str, Any]) -> None:
        """Record one chat response (the `done` payload of the pipeline)."""
        timings = response.get("timings", {})
        for histogram, key in ((self.retrieval, "retrieval_ms"), (self.generation, "generation_ms"),
                               (self.chat_total, "total_ms")):
            if key in timings:
                histogram.observe(float(timings[key]) / 1000)
        outcome = "refused" if response.get("refused") else (
            "grounded" if response.get("grounded") else "ungrounded")
        self.answers.labels(str(response.get("backend", "")), outcome).inc()
        if response.get("refused"):
            self.refusals.labels(str(response.get("refusal_reason") or "unknown")).inc()
        self._observe_guard(response.get("guard") or {})
        if response.get("fallback"):
            self.model_failures.labels(str(response["fallback"]["reason"])).inc()
        for entity in response.get("redactions") or []:
            self.personal_data.labels(str(entity)).inc()
        for kind, key in (("prompt", "prompt_tokens"), ("completion", "completion_tokens")):
            self.tokens.labels(kind).inc(int((response.get("usage") or {}).get(key, 0)))

    def _observe_guard(self, guard: dict[str, Any]) -> None:
        if guard.get("removed_sentences"):
            self.guard.labels("removed_sentence").inc(int(guard["removed_sentences"]))
        if guard.get("fabricated_citations"):
            self.guard.labels("fabricated_citation").inc(len(guard["fabricated_citations"]))
        if guard.get("fallback"):
            self.guard.labels(f"fallback_{guard['fallback']}").inc()

    def observe_ingest(self, summary: dict[str, Any]) -> None:
        """Record one ingestion run (`IngestReport.summary()`)."""
        self.ingest_runs.inc()
        for outcome in ("added", "updated", "unchanged", "removed", "failed"):
            self.ingested.labels(outcome).inc(int(summary.get(outcome, 0)))
        self.ingest_seconds.observe(float(summary.get("seconds", 0.0)))

    def refresh_state(self, db: Database) -> None:
        """Gauges of the shared state, read from the database (right for every replica)."""
        with db.session() as session:
            rows = session.execute(select(
                IndexEntryRow.status, func.count(), func.coalesce(func.sum(IndexEntryRow.chunks), 0)
            ).group_by(IndexEntryRow.status)).all()
            published = session.scalar(select(func.count()).select_from(UseCaseRow).where(
                UseCaseRow.published_revision.is_not(None), UseCaseRow.deleted.is_(False)))
        self.index_documents.clear()
        for status, count, _ in rows:
            self.index_documents.labels(status).set(count)
        self.index_chunks.set(sum(int(n) for status, _, n in rows if status == "complete"))
        self.usecases.set(published or 0)


_CURRENT: contextvars.ContextVar[Metrics | None] = contextvars.ContextVar("metrics", default=None)
_PROCESS_METRICS = Metrics()  # outside a request (command line, evaluation runs)


def current_metrics() -> Metrics:
    """The metrics of the app serving this request, or the process-wide fallback."""
    return _CURRENT.get() or _PROCESS_METRICS


def observe_chat(response: dict[str, Any]) -> dict[str, Any]:
    """Record a chat response in the metrics; returns it unchanged (for one-line use)."""
    current_metrics().observe_chat(response)
    return response


def observe_ingest(summary: dict[str, Any]) -> None:
    """Record an ingestion run in the metrics and write it to the log (counts only)."""
    current_metrics().observe_ingest(summary)
    log.info("ingestion run: %s", json.dumps(summary, sort_keys=True))


# -- requests -------------------------------------------------------------------------

def request_id_from(scope: Scope) -> str:
    """The caller's `X-Request-ID` when it is a sane token, else a new random id."""
    given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1").strip()
    return given if SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex


def route_template(scope: Scope, *, root_path: str = "") -> str:
    """`/api/v1/usecases/{usecase_id}`, never the raw path: bounded metric labels, and
    no identifiers or text typed by a user in the logs. `root_path` is the scope's
    before routing: a mounted app (static files) shows as a longer one."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(route, Mount):
        return f"{str(template).rstrip('/')}/{{path}}"
    mounted = scope.get("root_path", "")
    if template is None:
        return f"{mounted}/{{path}}" if mounted != root_path else "unmatched"
    return with_prefixes(str(template), scope["path"])


def with_prefixes(template: str, path: str) -> str:
    """A route of an included router may know only its own part (`/usecases/{id}`); the
    parents' prefixes are the segments of the real path in front of that part."""
    own = [s for s in template.split("/") if s]
    real = [s for s in path.split("/") if s]
    if ":path}" in template or len(real) < len(own):
        return template
    tail = real[len(real) - len(own):]
    if any(a != b and not a.startswith("{") for a, b in zip(own, tail, strict=True)):
        return template
    return "/" + "/".join(real[:len(real) - len(own)] + own)


class RequestObserver:
    """Request id, metrics and one access-log line for every HTTP request."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id, root_path = request_id_from(scope), scope.get("root_path", "")
        tokens = REQUEST_ID.set(request_id), _CURRENT.set(self.metrics)
        status, started = 500, time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started, root_path)
            REQUEST_ID.reset(tokens[0])
            _CURRENT.reset(tokens[1])

    def _record(self, scope: Scope, status: int, seconds: float, root_path: str) -> None:
        route, method = route_template(scope, root_path=root_path), scope["method"]
        self.metrics.observe_request(method, route, status, seconds)
        level = logging.DEBUG if route in QUIET_ROUTES and status < 400 else logging.INFO
        access_log.log(level, "%s %s %s", method, route, status, extra={
            "method": method, "route": route, "status": status,
            "duration_ms": round(seconds * 1000, 1)})


# -- logs -----------------------------------------------------------------------------

def scrub(text: str) -> str:
    """Mask e-mail addresses: a last line of defence, whatever a log call was given."""
    return EMAIL.sub("<EMAIL_ADDRESS>", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, and the
    request fields (method, route, status, duration_ms) when the record has them."""

    FIELDS = ("method", "route", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        entry.update({f: getattr(record, f) for f in self.FIELDS if hasattr(record, f)})
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """A readable line for a terminal, with the request id and the same masking."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = scrub(super().format(record))
        request_id = REQUEST_ID.get()
        return f"{line} [request {request_id}]" if request_id else line


def resolve_log_format(fmt: str, stream: TextIO | None = None) -> str:
    """`auto` is text for a person at a terminal (so "Uvicorn running on ..." stays
    readable) and JSON for a log collector (containers, pipes, files)."""
    if fmt != "auto":
        return fmt
    stream = stream if stream is not None else sys.stderr
    return "text" if stream.isatty() else "json"


def log_config(level: str = "INFO", fmt: str = "auto") -> dict[str, Any]:
    """A `logging.config.dictConfig` dict; `gaios serve` passes it to uvicorn as
    `log_config`. Uvicorn's access log is off: `gaios.access` replaces it."""
    formatter = {"json": JsonFormatter, "text": TextFormatter}[resolve_log_format(fmt)]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"gaios": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "gaios",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
        },
    }

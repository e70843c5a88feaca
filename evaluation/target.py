"""The system under evaluation: GAIOS in process (with the model boundary observed), or a
live deployment by URL (where the boundary cannot be observed and the report says so)."""

from collections.abc import Iterator
from typing import Any, Protocol

import httpx

from app.components.llm import LLM, Message, Usage
from app.core.config import Settings
from app.core.container import Container
from app.errors import AppError, InvalidRecord, PersonalDataFound, ServiceUnavailable
from app.schemas.chat import ChatRequest
from app.services.auth import ANONYMOUS
from app.services.usecases import validate_record
from evaluation import index
from evaluation.datasets import DATASETS


class Target(Protocol):
    name: str

    def about(self) -> dict[str, Any]: ...
    def search(self, query: str, k: int, filters: dict[str, list[str]]) -> list[dict[str, Any]]: ...
    def chat(self, question: str, history: list[dict[str, str]],
             filters: dict[str, list[str]]) -> dict[str, Any]: ...
    def flags_personal_data(self, record: dict[str, Any]) -> bool: ...
    def backend_text(self) -> str | None:
        """Everything sent to the model backend since the last call; None if unobservable."""
        ...


class RecordingLLM:
    """Wraps the real backend and keeps a copy of every message sent to it."""

    def __init__(self, inner: LLM) -> None:
        self.inner, self.backend, self.model = inner, inner.backend, inner.model
        self.sent: list[str] = []

    def check(self) -> None:
        self.inner.check()

    def stream(self, messages: list[Message], usage: Usage) -> Iterator[str]:
        self.sent += [m["content"] for m in messages]
        return self.inner.stream(messages, usage)

    def structured(self, messages: list[Message], schema: dict[str, Any], usage: Usage) -> Any:
        self.sent += [m["content"] for m in messages]
        return self.inner.structured(messages, schema, usage)


class InProcessTarget:
    name = "in-process"

    def __init__(self, settings: Settings, *, rebuild_index: bool = False) -> None:
        """GAIOS on `settings` (see `evaluation.index.index_settings`), its index reused
        when its fingerprint matches, else built again from nothing."""
        self.fingerprint = index.fingerprint(settings)
        self.index_reused = index.reusable(settings.data_dir, self.fingerprint,
                                           rebuild=rebuild_index)
        self.container = Container.build(settings)
        if not self.index_reused:
            self.index_corpus()
            index.record_complete(settings.data_dir, self.fingerprint)
        self.recorder = RecordingLLM(self.container.llm) if self.container.llm else None
        if self.recorder is not None:
            self.container.llm = self.recorder  # type: ignore[assignment]

    def index_corpus(self) -> None:
        """The shipped corpus plus the evaluation's confidential and planted documents,
        indexed into the evaluation's own data folder."""
        from ingest.cli import default_sources, make_ingestor
        from ingest.pipeline import file_sources

        sources, scopes = default_sources(self.container)
        extra, extra_scopes = file_sources([DATASETS / "confidential", DATASETS / "planted"],
                                           max_bytes=self.container.settings.max_upload_bytes)
        report = make_ingestor(self.container).run(sources + extra, scopes=scopes + extra_scopes)
        if report.failed:
            raise InvalidRecord(f"indexing the evaluation corpus failed: {report.failed}")

    def about(self) -> dict[str, Any]:
        from fastapi.testclient import TestClient

        from app.main import create_app

        with TestClient(create_app(self.container.settings, container=self.container)) as client:
            about = dict(client.get("/api/v1/about").json())
        about["evaluation_index"] = {"fingerprint": self.fingerprint[:16],
                                     "reused": self.index_reused}
        return about

    def search(self, query: str, k: int, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
        hits = self.container.retriever.search(query, k=k, filters=filters).hits
        return [{"doc_id": h.doc_id, "text": h.text, "id": h.id} for h in hits]

    def chat(self, question: str, history: list[dict[str, str]],
             filters: dict[str, list[str]]) -> dict[str, Any]:
        request = ChatRequest.model_validate({"question": question, "history": history,
                                              "filters": filters})
        return self.container.chat.answer(request, ANONYMOUS)

    def flags_personal_data(self, record: dict[str, Any]) -> bool:
        try:
            validate_record(record)
        except PersonalDataFound:
            return True
        return False

    def backend_text(self) -> str | None:
        if self.recorder is None:
            return ""  # no model backend: nothing can reach one
        text, self.recorder.sent = "\n".join(self.recorder.sent), []
        return text


class HttpTarget:
    name = "http"

    def __init__(self, url: str, api_key: str | None, timeout: float = 300.0) -> None:
        headers = {"X-API-Key": api_key} if api_key else {}
        self.client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)
        self.url = url
        try:
            self.client.get("/healthz").raise_for_status()
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"cannot reach GAIOS at {url}: {exc}") from exc

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.client.post(path, json=body)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"{self.url}{path} failed: {exc}") from exc
        if response.status_code >= 400:
            raise AppError(f"{self.url}{path} answered {response.status_code}: {response.text[:300]}")
        return dict(response.json())

    def about(self) -> dict[str, Any]:
        return dict(self.client.get("/api/v1/about").json())

    def search(self, query: str, k: int, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
        return list(self._post("/api/v1/search", {"query": query, "k": k, "filters": filters})["data"])

    def chat(self, question: str, history: list[dict[str, str]],
             filters: dict[str, list[str]]) -> dict[str, Any]:
        return self._post("/api/v1/chat", {"question": question, "history": history,
                                           "filters": filters})

    def flags_personal_data(self, record: dict[str, Any]) -> bool:
        response = self.client.post("/api/v1/usecases/validate", json=record)
        if response.status_code == 422:
            return bool(response.json()["error"]["type"] == "personal_data")
        if response.status_code >= 400:
            raise InvalidRecord(f"validate answered {response.status_code}: {response.text[:200]}")
        return False

    def backend_text(self) -> str | None:
        return None

"""Readiness at start-up (issue #14): the server answers at once and loads the embedding
model, the indexes and the language model behind it; `/readyz` says what it still waits
for, then checks each part and names none of their addresses or paths (issue #15)."""

import logging
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.container import Container
from app.main import create_app

WARM_UP = ["embedding model", "vector store", "keyword index", "language model"]
CHECKS = ["database", "vector_store", "embedding_model", "model"]
pytestmark = pytest.mark.slow  # the real embedding model, loaded by every app here


def starting_settings(tmp_path: Path, **llm: object) -> Settings:
    return Settings(_env_file=None, environment="test", data_dir=tmp_path / "var",
                    load_at_start=True, llm=llm or {"backend": "extractive"})


def wait_until_started(client: TestClient, seconds: float = 120) -> httpx.Response:
    """/readyz once it no longer answers `starting`."""
    deadline = time.monotonic() + seconds
    while (response := client.get("/readyz")).json()["status"] == "starting":
        assert time.monotonic() < deadline, response.json()
        time.sleep(0.05)
    return response


def test_readiness_says_what_it_waits_for_until_the_parts_are_loaded(tmp_path: Path) -> None:
    settings = starting_settings(tmp_path)
    container = Container.build(settings)
    with TestClient(create_app(settings, container=container)) as client:
        with container.build_lock:  # the warm-up cannot open the vector store yet
            starting = client.get("/readyz")
            assert client.get("/healthz").json() == {"status": "ok"}
        assert starting.status_code == 503
        assert starting.json()["status"] == "starting"
        # The embedding model may have loaded already; what follows it has not.
        assert starting.json()["waiting_for"] in (WARM_UP, WARM_UP[1:])
        ready = wait_until_started(client)
        assert ready.status_code == 200, ready.json()
        assert ready.json() == {"status": "ready", "checks": {c: {"ok": True} for c in CHECKS}}


def test_the_warm_up_loads_every_part_before_any_request_needs_it(tmp_path: Path) -> None:
    settings = starting_settings(tmp_path)
    container = Container.build(settings)
    with TestClient(create_app(settings, container=container)) as client:
        wait_until_started(client)
        assert {"embedder", "store", "keyword", "chat"} <= set(vars(container))
        assert "_model" in vars(container.embedder)  # the model itself, not only its name


def test_without_load_at_start_readiness_checks_at_once(tmp_path: Path) -> None:
    settings = starting_settings(tmp_path).model_copy(update={"load_at_start": False})
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_a_part_down_is_named_without_its_address(tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """The model server's URL stays in the log, where the operator looks for it."""
    settings = starting_settings(tmp_path, backend="openai", base_url="http://127.0.0.1:9/v1",
                                 timeout_seconds=2, max_retries=0)
    with caplog.at_level(logging.WARNING, logger="gaios"), \
            TestClient(create_app(settings)) as client:
        down = wait_until_started(client)
    assert down.status_code == 503
    assert down.json() == {"status": "unavailable", "checks": {
        "database": {"ok": True}, "vector_store": {"ok": True},
        "embedding_model": {"ok": True}, "model": {"ok": False}}}
    assert "127.0.0.1:9" in caplog.text

"""Shared fixtures: each test gets its own data folder, SQLite file and app, built from
settings the test owns (nothing is read from the developer's environment)."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.components.llm import resolve_gguf
from app.core.config import PROJECT_ROOT, Settings
from app.main import create_app
from app.services.auth import Role

ADMIN_KEY = "test-admin-key-0123456789"
SHARED_REAL = PROJECT_ROOT.parent / "shared" / "data" / "real"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("GAIOS_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    # Each test's app loads the models it uses when it uses them, not all of them in the
    # background as `gaios serve` does (tests/test_readiness.py turns that on).
    monkeypatch.setenv("GAIOS_LOAD_AT_START", "false")
    # PyTorch, the model as published: the reference every test's expectations were set
    # with, and no ONNX export (half a minute) per temporary data folder. The onnx-int8
    # backend has its own tests (tests/test_encoder_backend.py).
    monkeypatch.setenv("GAIOS_EMBEDDING__BACKEND", "torch")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        environment="test",
        data_dir=tmp_path / "var",
        api_keys_admin=ADMIN_KEY,
        llm={"backend": "extractive"},
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def make_key(client: TestClient, role: Role) -> dict[str, str]:
    """Headers carrying a new key of this role."""
    _, key = client.app.state.container.keys.create(name=f"test {role}", role=role)  # type: ignore[attr-defined]
    return {"X-API-Key": key}


@pytest.fixture
def contributor(client: TestClient) -> dict[str, str]:
    return make_key(client, Role.contributor)


@pytest.fixture
def reviewer(client: TestClient) -> dict[str, str]:
    return make_key(client, Role.reviewer)


EVAL_DATASETS = PROJECT_ROOT / "evaluation" / "datasets"


@pytest.fixture(scope="session")
def indexed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the shipped corpus, the confidential memo and the planted-
    injection document indexed once for the session (real model, real Chroma)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from app.core.container import Container
    from ingest.cli import default_sources, make_ingestor
    from ingest.pipeline import file_sources

    data_dir = tmp_path_factory.mktemp("indexed") / "var"
    container = Container.build(Settings(_env_file=None, environment="test", data_dir=data_dir))
    sources, scopes = default_sources(container)
    extra, _ = file_sources([EVAL_DATASETS / "confidential", EVAL_DATASETS / "planted"],
                            max_bytes=10_000_000)
    report = make_ingestor(container).run(sources + extra, scopes=scopes)
    assert not report.failed, report.failed
    return data_dir


def indexed_settings(indexed_dir: Path, **changes: object) -> Settings:
    values: dict[str, object] = {"_env_file": None, "environment": "test", "data_dir": indexed_dir,
                                 "api_keys_admin": ADMIN_KEY,
                                 # `free`: the scripted model of tests/fakes.py writes text
                                 "llm": {"backend": "extractive", "mode": "free"}}
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    """A real OpenAI-compatible server on loopback (`python -m llama_cpp.server` with the
    bundled SmolLM2 GGUF); yields its base URL, .../v1."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(resolve_gguf("bundled:smollm2")),
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail("llama_cpp.server did not start within 60 s")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)

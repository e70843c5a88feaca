"""The two real model backends: SmolLM2 in process (`local`), and the same GGUF behind a
real OpenAI-compatible server (`python -m llama_cpp.server`) started on loopback by the
test (`openai`). No mock of any model client. Temperature 0."""

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
from app.main import create_app
from app.services.guard import numbers_in
from tests.conftest import indexed_settings

pytestmark = pytest.mark.slow
OCCUPATIONS = "Which statistical offices use LLMs to code occupations or industries?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
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


def assert_grounded_answer(answer: dict, sources_text: str) -> None:  # type: ignore[type-arg]
    assert answer["usecases"], answer
    if answer["refused"]:
        return
    assert answer["citations"]
    # Whatever the small model wrote, no number reaches the user that no source holds.
    assert numbers_in(answer["answer"]) <= numbers_in(sources_text)


def test_local_model_answers_with_citations_and_refuses_unknown_figures(indexed_dir: Path) -> None:
    settings = indexed_settings(indexed_dir, llm={"backend": "local"})
    with TestClient(create_app(settings)) as client:
        answer = client.post("/api/v1/chat", json={"question": OCCUPATIONS}).json()
        assert answer["backend"] == "local" and answer["model"].endswith(".gguf")
        assert answer["prompt"]["id"] in ("grounded-answer", "not-found")
        retrieved = client.post("/api/v1/search", json={"query": OCCUPATIONS, "k": 6}).json()
        assert_grounded_answer(answer, " ".join(h["text"] for h in retrieved["data"]))
        refusal = client.post("/api/v1/chat", json={
            "question": "What was the GDP growth rate of Germany in 2023?"}).json()
        assert refusal["refused"] and "2023" not in refusal["answer"]


def test_openai_backend_against_a_real_llama_cpp_server(indexed_dir: Path, llama_server: str) -> None:
    llm = {"backend": "openai", "base_url": llama_server, "model": "smollm2", "timeout_seconds": 120}
    settings = indexed_settings(indexed_dir, llm=llm)
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 200
        answer = client.post("/api/v1/chat", json={"question": OCCUPATIONS}).json()
        assert answer["backend"] == "openai" and answer["model"] == "smollm2"
        retrieved = client.post("/api/v1/search", json={"query": OCCUPATIONS, "k": 6}).json()
        assert_grounded_answer(answer, " ".join(h["text"] for h in retrieved["data"]))
        with client.stream("POST", "/api/v1/chat/stream", json={"question": OCCUPATIONS}) as stream:
            kinds = [line.split(":", 1)[1].strip() for line in stream.iter_lines()
                     if line.startswith("event:")]
        assert kinds[0] == "retrieval" and kinds[-1] == "done"


def test_openai_backend_timeout_is_504(indexed_dir: Path) -> None:
    # A server that accepts the connection and never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        llm = {"backend": "openai", "base_url": f"http://127.0.0.1:{port}/v1",
               "timeout_seconds": 1, "max_retries": 0}
        with TestClient(create_app(indexed_settings(indexed_dir, llm=llm))) as client:
            response = client.post("/api/v1/chat", json={"question": OCCUPATIONS})
    assert response.status_code == 504
    assert "did not answer in time" in response.json()["error"]["message"]

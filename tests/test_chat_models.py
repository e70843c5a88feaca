"""The two real model backends: SmolLM2 in process (`local`), and the same GGUF behind a
real OpenAI-compatible server (`python -m llama_cpp.server`) started on loopback by the
`llama_server` fixture of conftest.py (`openai`). No mock of any model client. Temperature 0."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.services.guard import numbers_in
from tests.conftest import indexed_settings

pytestmark = pytest.mark.slow
OCCUPATIONS = "Which statistical offices use LLMs to code occupations or industries?"


def assert_grounded_answer(answer: dict, sources_text: str) -> None:  # type: ignore[type-arg]
    assert answer["usecases"], answer
    if answer["refused"]:
        return
    assert answer["citations"]
    # Whatever the small model wrote, no number reaches the user that no source holds.
    assert numbers_in(answer["answer"]) <= numbers_in(sources_text)


def test_local_model_answers_with_citations_and_refuses_unknown_figures(indexed_dir: Path) -> None:
    settings = indexed_settings(indexed_dir, llm={"backend": "local", "mode": "free"})
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
    llm = {"backend": "openai", "base_url": llama_server, "model": "smollm2",
           "timeout_seconds": 120, "mode": "free"}
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

"""A model server that fails does not cost the user the answer: the sources already
retrieved are answered from extractively, the answer is marked as such (`fallback` in the
API, a `fallback` stream event, `gaios.fallback` on the OpenAI-compatible route), and the
message names no internal address to anyone but an admin. The detail stays in the logs.

The servers here are real: a port with nothing listening, and a socket that accepts a
connection and never answers."""

import json
import logging
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.container import Container
from app.main import create_app
from tests.conftest import ADMIN_KEY, free_port, indexed_settings
from tests.fakes import FailingLLM

pytestmark = pytest.mark.slow  # the real embedding model and Chroma index
OCCUPATIONS = "Which statistical offices use LLMs to code occupations or industries?"
ADMIN = {"X-API-Key": ADMIN_KEY}


def dead_backend(port: int) -> dict[str, object]:
    return {"backend": "openai", "base_url": f"http://127.0.0.1:{port}/v1", "timeout_seconds": 2,
            "max_retries": 0}


@pytest.fixture
def dead(indexed_dir: Path) -> Iterator[tuple[TestClient, int]]:
    """GAIOS with its OpenAI-compatible model server down: nothing listens on the port."""
    port = free_port()
    with TestClient(create_app(indexed_settings(indexed_dir, llm=dead_backend(port)))) as client:
        yield client, port


def events_of(text: str) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    events, kind = [], None
    for line in text.splitlines():
        if line.startswith("event:"):
            kind = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and kind:
            events.append((kind, json.loads(line.split(":", 1)[1])))
    return events


def assert_extractive_fallback(answer: dict, reason: str = "model_unavailable") -> None:  # type: ignore[type-arg]
    assert answer["fallback"]["answer"] == "extractive"
    assert answer["fallback"]["reason"] == reason
    assert answer["fallback"]["message"].endswith(".") and ".." not in answer["fallback"]["message"]
    assert not answer["refused"] and answer["answer"].strip()
    assert answer["citations"], "the sources already retrieved are kept"
    for cited in answer["citations"]:
        assert f"[{cited['number']}]" in answer["answer"]
    kept = [s["text"] for s in answer["sentences"] if s["supported"]]
    assert kept and all(text in answer["answer"] for text in kept), "checked like any answer"
    assert answer["grounded"] is False, "not the model's own checked answer"
    assert answer["prompt"]["id"] == "extractive-answer"


def test_dead_model_server_answers_from_the_sources_naming_no_address(
        dead: tuple[TestClient, int], caplog: pytest.LogCaptureFixture) -> None:
    client, port = dead
    with caplog.at_level(logging.WARNING, logger="gaios.chat"):
        response = client.post("/api/v1/chat", json={"question": OCCUPATIONS})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert_extractive_fallback(answer)
    assert answer["fallback"]["detail"] is None
    assert "127.0.0.1" not in response.text and str(port) not in response.text
    assert answer["backend"] == "openai"
    assert any(f"127.0.0.1:{port}" in r.getMessage() for r in caplog.records), "the log keeps it"
    assert 'gaios_chat_model_failures_total{reason="model_unavailable"} 1.0' in client.get(
        "/metrics").text


def test_an_admin_sees_the_detail_of_the_failure(dead: tuple[TestClient, int]) -> None:
    client, port = dead
    answer = client.post("/api/v1/chat", json={"question": OCCUPATIONS}, headers=ADMIN).json()
    assert_extractive_fallback(answer)
    assert f"127.0.0.1:{port}" in answer["fallback"]["detail"]
    assert ".." not in answer["fallback"]["detail"]


def test_stream_marks_the_fallback_and_names_no_address(dead: tuple[TestClient, int]) -> None:
    client, port = dead
    response = client.post("/api/v1/chat/stream", json={"question": OCCUPATIONS})
    assert response.status_code == 200
    assert "127.0.0.1" not in response.text and str(port) not in response.text
    events = events_of(response.text)
    kinds = [kind for kind, _ in events]
    assert "error" not in kinds
    assert kinds[0] == "retrieval" and kinds[-1] == "done"
    assert kinds.index("fallback") < kinds.index("token"), "announced before its text"
    fallback = dict(events)["fallback"]
    assert fallback["reason"] == "model_unavailable" and fallback["detail"] is None
    done = events[-1][1]
    assert_extractive_fallback(done)
    streamed = "".join(data["text"] for kind, data in events if kind == "token")
    assert streamed.strip() == done["answer"].strip()


def test_stream_for_an_admin_carries_the_detail(dead: tuple[TestClient, int]) -> None:
    client, port = dead
    response = client.post("/api/v1/chat/stream", json={"question": OCCUPATIONS}, headers=ADMIN)
    done = events_of(response.text)[-1][1]
    assert_extractive_fallback(done)
    assert f"127.0.0.1:{port}" in done["fallback"]["detail"]


@pytest.mark.parametrize("stream", [False, True])
def test_openai_compatible_route_marks_the_fallback(dead: tuple[TestClient, int],
                                                   stream: bool) -> None:
    client, port = dead
    response = client.post("/v1/chat/completions", json={
        "model": "gaios", "stream": stream, "messages": [{"role": "user", "content": OCCUPATIONS}]})
    assert response.status_code == 200
    assert "127.0.0.1" not in response.text and str(port) not in response.text
    if stream:
        chunks = [json.loads(line[5:]) for line in response.text.splitlines()
                  if line.startswith("data:") and line.strip() != "data: [DONE]"]
        assert not any("error" in c for c in chunks)
        gaios = next(c["gaios"] for c in chunks if "gaios" in c)
        content = "".join(c["choices"][0]["delta"].get("content", "")
                          for c in chunks if c["choices"])
    else:
        body = response.json()
        gaios, content = body["gaios"], body["choices"][0]["message"]["content"]
    assert gaios["fallback"]["reason"] == "model_unavailable"
    assert gaios["fallback"]["detail"] is None
    assert re.search(r"\[\d+\]", content) and "Sources:" in content


def test_a_model_server_that_never_answers_falls_back_too(indexed_dir: Path) -> None:
    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        llm = {**dead_backend(silent.getsockname()[1]), "timeout_seconds": 1}
        with TestClient(create_app(indexed_settings(indexed_dir, llm=llm))) as client:
            response = client.post("/api/v1/chat", json={"question": OCCUPATIONS})
    assert response.status_code == 200
    assert_extractive_fallback(response.json(), reason="model_timeout")


def test_a_local_model_that_cannot_load_falls_back_naming_no_path(
        indexed_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "model.gguf"
    llm = {"backend": "local", "model_path": str(missing)}
    with TestClient(create_app(indexed_settings(indexed_dir, llm=llm))) as client:
        response = client.post("/api/v1/chat", json={"question": OCCUPATIONS})
        admin = client.post("/api/v1/chat", json={"question": OCCUPATIONS}, headers=ADMIN).json()
    assert response.status_code == 200
    assert_extractive_fallback(response.json())
    assert "nowhere" not in response.text
    assert str(missing) in admin["fallback"]["detail"]


def test_a_working_answer_has_no_fallback(indexed_dir: Path) -> None:
    with TestClient(create_app(indexed_settings(indexed_dir))) as client:  # extractive backend
        answer = client.post("/api/v1/chat", json={"question": OCCUPATIONS}).json()
    assert answer["fallback"] is None and answer["grounded"]


def test_a_model_that_breaks_off_mid_answer_is_replaced_by_the_sources(indexed_dir: Path) -> None:
    """What the model wrote before it failed is not the answer: the REST stream announces
    the fallback (the web chat drops the text); an OpenAI-compatible client, which cannot
    take text back, is told where the quoted sources begin."""
    with TestClient(create_app(indexed_settings(indexed_dir))) as client:  # extractive
        sentences = client.post("/api/v1/chat", json={"question": OCCUPATIONS}).json()["sentences"]
    written = " ".join(s["text"] for s in sentences[:2])  # supported: it passes the guard
    container = Container.build(indexed_settings(indexed_dir))
    container.llm = FailingLLM(written, written)  # type: ignore[assignment]
    with TestClient(create_app(container.settings, container=container)) as client:
        events = events_of(client.post("/api/v1/chat/stream", json={"question": OCCUPATIONS}).text)
        completion = client.post("/v1/chat/completions", json={
            "stream": True, "messages": [{"role": "user", "content": OCCUPATIONS}]}).text
    kinds = [kind for kind, _ in events]
    assert kinds.index("fallback") > kinds.index("token"), "the model's first sentence came first"
    done = events[-1][1]
    assert_extractive_fallback(done, reason="model_error")
    after = "".join(d["text"] for k, d in events[kinds.index("fallback"):] if k == "token")
    assert after.strip() == done["answer"].strip(), "the answer is what followed the fallback"
    assert "10.0.0.7" not in json.dumps(events)
    content = "".join(json.loads(line[5:])["choices"][0]["delta"].get("content", "")
                      for line in completion.splitlines()
                      if line.startswith("data: {") and '"choices": [{' in line)
    model_part, _, quoted = content.partition("(The language model failed")
    assert model_part.strip() and quoted.strip()
    assert "10.0.0.7" not in completion

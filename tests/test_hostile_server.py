"""Hostile requests against a real uvicorn server on loopback (issue #13): the event
loop stays free while the largest allowed record is checked, a lying Content-Length
gets a 408, and a series of malformed requests on one keep-alive connection never
gets a 500 or a dropped connection."""

import socket
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from app.core.config import Settings
from tests.conftest import ADMIN_KEY
from tests.hostile_helpers import largest_valid_usecase, running_server

pytestmark = pytest.mark.slow
IDLE_SECONDS = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(_env_file=None, environment="test",
                        data_dir=tmp_path_factory.mktemp("hostile") / "var",
                        api_keys_admin=ADMIN_KEY, llm={"backend": "extractive"},
                        rate_limit_chat_per_minute=0, rate_limit_upload_per_minute=0,
                        body_idle_timeout_seconds=IDLE_SECONDS,
                        validation_timeout_seconds=60)  # a shared test machine is slow
    with running_server(settings) as url:
        yield url


def probe_while(base: str, busy: threading.Event) -> list[float]:
    """Seconds each /healthz took, probed every 20 ms while `busy` is set."""
    latencies = []
    with httpx.Client(base_url=base, timeout=10) as client:
        while busy.is_set():
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            latencies.append(time.perf_counter() - started)
            time.sleep(0.02)
    return latencies


def test_healthz_answers_within_100_ms_while_the_largest_record_is_checked(server: str) -> None:
    body = yaml.safe_dump(largest_valid_usecase())
    busy, result = threading.Event(), {}

    def validate() -> None:
        with httpx.Client(base_url=server, timeout=60) as client:
            busy.set()
            result["response"] = client.post("/api/v1/usecases/validate", content=body,
                                             headers={"Content-Type": "application/yaml"})
            busy.clear()

    worker = threading.Thread(target=validate)
    worker.start()
    while not busy.is_set():
        time.sleep(0.001)
    latencies = probe_while(server, busy)
    worker.join()
    assert result["response"].status_code == 200, result["response"].text[:300]
    assert len(latencies) >= 5, "the validation finished too fast to measure anything"
    # The median, not the maximum: the machine running the tests is shared, and one slow
    # probe says more about the scheduler than about the event loop.
    assert statistics.median(latencies) < 0.1, latencies


def test_content_length_larger_than_the_body_gets_408(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/usecases/validate HTTP/1.1\r\nHost: test\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{}")
        started = time.monotonic()
        reply = sock.recv(4096).decode()
    assert reply.startswith("HTTP/1.1 408"), reply
    assert '"type":"request_timeout"' in reply
    assert time.monotonic() - started < IDLE_SECONDS + 5


def hostile_requests() -> list[tuple[str, str, dict[str, object]]]:
    deep, yaml_headers = "[" * 100_000 + "]" * 100_000, {"Content-Type": "application/yaml"}
    return [
        ("POST", "/api/v1/usecases/validate", {"content": deep}),
        ("PUT", "/api/v1/usecases/x", {"content": '{"a":' * 5000 + "1" + "}" * 5000}),
        ("POST", "/api/v1/usecases", {"content": deep, "headers": {"X-API-Key": ADMIN_KEY}}),
        ("POST", "/api/v1/usecases/validate", {"content": "[" * 5000 + "]" * 5000,
                                               "headers": yaml_headers}),
        ("POST", "/api/v1/usecases/validate", {"content": "- " * 3000 + "x", "headers": yaml_headers}),
        ("GET", "/api/v1/usecases?offset=99999999999999999999", {}),
        ("GET", "/api/v1/usecases?offset=9223372036854775807", {}),
        ("GET", "/api/v1/usecases/ons-statschat?revision=99999999999999999999", {}),
        ("GET", "/api/v1/usecases/ons-statschat?revision=9223372036854775808", {}),
        ("POST", "/api/v1/search", {"json": {"query": "x", "filters": {"gsbpm": ["5.2"] * 5000}}}),
        ("POST", "/v1/chat/completions", {"json": {"messages": [{"role": "user", "content": "q" * 2001}]}}),
        ("POST", "/v1/chat/completions", {"json": {"messages": [{"role": "user", "content": "hi"}],
                                                   "stream": "bad"}}),
        ("POST", "/api/v1/search", {"content": b"{bad", "headers": {"Content-Type": "application/json"}}),
        ("POST", "/api/v1/search", {"content": deep, "headers": {"Content-Type": "application/json"}}),
        ("GET", "/api/v1/no-such-route", {}),
    ]


def test_hostile_requests_on_one_connection_get_4xx_and_keep_it_open(server: str) -> None:
    with httpx.Client(base_url=server, timeout=30) as client:
        for method, path, options in hostile_requests():
            response = client.request(method, path, **options)  # type: ignore[arg-type]
            assert 400 <= response.status_code < 500, (method, path, response.text[:300])
            assert set(response.json()) == {"error"}, (method, path)
        assert client.get("/healthz").status_code == 200


def test_upload_of_a_docx_bomb_leaves_the_server_responsive(server: str, tmp_path: Path) -> None:
    from tests.test_hostile_loaders import docx_with_xml_of

    bomb = docx_with_xml_of(tmp_path / "bomb.docx", 40_000_000)
    with httpx.Client(base_url=server, timeout=60) as client:
        started = time.monotonic()
        response = client.post("/api/v1/documents", headers={"X-API-Key": ADMIN_KEY},
                               files={"file": ("bomb.docx", bomb.read_bytes())})
        assert time.monotonic() - started < 10
        assert response.status_code == 422, response.text[:300]
        assert response.json()["error"]["details"][0]["field"] == "file"

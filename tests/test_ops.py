"""Operations: rate limits (429 + Retry-After in the one error shape), CORS, security
headers, Prometheus metrics, request ids and JSON logs without personal data, what
`gaios serve` hands uvicorn, and the container files (Dockerfile, compose)."""

import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner
from fastapi.testclient import TestClient
from pydantic import BaseModel

from app.cli import main
from app.core.config import PROJECT_ROOT, Settings
from app.main import create_app
from app.observability import (
    JsonFormatter,
    current_metrics,
    log_config,
    observe_ingest,
    route_template,
)
from app.ratelimit import SlidingWindow, caller_identity
from app.services.auth import Role
from tests.conftest import ADMIN_KEY
from tests.factories import new_usecase
from tests.fakes import ScriptedLLM
from tests.ops_helpers import (  # noqa: F401 (fixtures)
    deployment,
    template,
    Deployment,
    clone_deployment,
    close,
    hash_container,
    open_deployment,
    ops_settings,
    upload,
)

QUESTION = "How are tourism nights nowcast from web data?"
EMAIL = "jane.doe@stat.example.org"


@pytest.fixture
def limited(template: Deployment, tmp_path: Path) -> Iterator[Deployment]:
    """Two chats and one upload a minute."""
    copy = clone_deployment(template, tmp_path / "var", rate_limit_chat_per_minute=2,
                            rate_limit_upload_per_minute=1)
    yield copy
    close(copy)


def ask(client: TestClient, headers: dict[str, str] | None = None, path: str = "/api/v1/chat",
        question: str = QUESTION) -> httpx.Response:
    if path == "/v1/chat/completions":
        body: dict[str, object] = {"messages": [{"role": "user", "content": question}]}
    else:
        body = {"question": question}
    return client.post(path, json=body, headers=headers or {})


# -- rate limits -----------------------------------------------------------------------

def assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["retry-after"]) <= 60
    error = response.json()["error"]
    assert set(response.json()) == {"error"} and set(error) == {"type", "message", "details"}
    assert error["type"] == "rate_limited" and "a minute" in error["message"]


def test_chat_over_the_limit_gets_429_with_retry_after(limited: Deployment) -> None:
    assert [ask(limited.client).status_code for _ in range(2)] == [200, 200]
    assert_rate_limited(ask(limited.client))


def test_the_three_chat_endpoints_share_one_limit(limited: Deployment) -> None:
    assert ask(limited.client, path="/api/v1/chat/stream").status_code == 200
    assert ask(limited.client, path="/v1/chat/completions").status_code == 200
    assert_rate_limited(ask(limited.client, path="/api/v1/chat"))
    assert_rate_limited(ask(limited.client, path="/v1/chat/completions"))


def test_limits_are_per_key_and_per_client_address(limited: Deployment) -> None:
    reader, reviewer = limited.headers[Role.reader], limited.headers[Role.reviewer]
    for _ in range(2):
        assert ask(limited.client, reader).status_code == 200
    assert_rate_limited(ask(limited.client, reader))
    assert ask(limited.client, reviewer).status_code == 200  # another key
    assert ask(limited.client).status_code == 200  # anonymous: this address
    elsewhere = TestClient(limited.client.app, client=("192.0.2.7", 4000))
    assert ask(elsewhere).status_code == 200  # another address
    assert ask(limited.client).status_code == 200
    assert_rate_limited(ask(limited.client))


def test_uploads_and_submissions_share_the_upload_limit(limited: Deployment) -> None:
    contributor = limited.headers[Role.contributor]
    assert limited.client.post("/api/v1/usecases", json=new_usecase(),
                               headers=contributor).status_code == 201
    assert_rate_limited(upload(limited.client, contributor, "n.md", "# Note\n\nA short note."))
    # Refused before the body is read: even a bad body gets 429, and nothing is stored.
    assert_rate_limited(limited.client.post("/api/v1/usecases", content=b"{not json",
                                            headers=contributor))
    assert limited.client.get("/api/v1/documents").json()["count"] == 1  # the public doc only


def test_other_routes_are_not_limited(limited: Deployment) -> None:
    for _ in range(5):
        assert limited.client.get("/api/v1/usecases").status_code == 200
        assert limited.client.post("/api/v1/search", json={"query": "tourism"}).status_code == 200


def test_limit_zero_switches_it_off(deployment: Deployment) -> None:
    assert deployment.settings.rate_limit_chat_per_minute == 0
    assert all(ask(deployment.client).status_code == 200 for _ in range(5))


def test_rate_limit_defaults() -> None:
    settings = Settings(_env_file=None)
    assert (settings.rate_limit_chat_per_minute, settings.rate_limit_upload_per_minute) == (30, 10)


def test_sliding_window_waits_for_the_oldest_event_to_leave() -> None:
    now = [1000.0]
    window = SlidingWindow(2, window=60, clock=lambda: now[0])
    assert window.hit("a") == 0 and window.hit("a") == 0
    now[0] += 15
    assert window.hit("a") == pytest.approx(45)
    assert window.hit("b") == 0  # identities are counted apart
    now[0] += 45
    assert window.hit("a") == 0


def test_sliding_window_forgets_idle_callers() -> None:
    now = [0.0]
    window = SlidingWindow(1, window=60, clock=lambda: now[0], max_identities=10)
    for n in range(10):
        window.hit(f"addr-{n}")
    now[0] += 61
    window.hit("late")
    assert len(window._events) <= 2


def test_caller_identity_hashes_the_key() -> None:
    keyed = {"type": "http", "headers": [(b"x-api-key", b"gaios_secret")], "client": ("1.2.3.4", 1)}
    anonymous = {"type": "http", "headers": [], "client": ("1.2.3.4", 1)}
    identity = caller_identity(keyed)
    assert identity.startswith("key:") and "gaios_secret" not in identity
    assert caller_identity(anonymous) == "addr:1.2.3.4"


# -- CORS and security headers ---------------------------------------------------------

def app_client(tmp_path: Path, **changes: object) -> TestClient:
    settings = ops_settings(tmp_path / "var", **changes)
    return TestClient(create_app(settings, container=hash_container(settings)))


def preflight(client: TestClient, origin: str) -> httpx.Response:
    return client.options("/api/v1/usecases", headers={
        "Origin": origin, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "X-API-Key"})


def test_no_cross_origin_access_by_default(tmp_path: Path) -> None:
    with app_client(tmp_path) as client:
        assert "access-control-allow-origin" not in preflight(client, "https://a.example").headers
        got = client.get("/api/v1/usecases", headers={"Origin": "https://a.example"})
        assert "access-control-allow-origin" not in got.headers


def test_configured_origins_may_call_the_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    monkeypatch.setenv("GAIOS_CORS_ORIGINS", "https://intranet.example, https://b.example")
    origins = Settings(_env_file=None).cors_origins
    assert origins == ["https://intranet.example", "https://b.example"]
    with app_client(tmp_path, cors_origins=origins) as client:
        allowed = preflight(client, "https://intranet.example")
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://intranet.example"
        assert "x-api-key" in allowed.headers["access-control-allow-headers"].lower()
        got = client.get("/api/v1/usecases", headers={"Origin": "https://b.example"})
        assert got.headers["access-control-allow-origin"] == "https://b.example"
        assert "x-request-id" in got.headers["access-control-expose-headers"].lower()
        other = client.get("/api/v1/usecases", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_security_headers_on_every_response(tmp_path: Path) -> None:
    with app_client(tmp_path) as client:
        for response in (client.get("/healthz"), client.get("/api/v1/usecases/none"),
                         client.post("/api/v1/usecases", json={})):
            headers = response.headers
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["x-frame-options"] == "DENY"
            assert headers["referrer-policy"] == "no-referrer"
            csp = headers["content-security-policy"]
            for directive in ("script-src 'self'", "style-src 'self'", "connect-src 'self'",
                              "frame-ancestors 'none'"):
                assert directive in csp
            assert "unsafe-inline" not in csp and "http" not in csp
            assert "strict-transport-security" not in headers


def test_hsts_only_behind_https(tmp_path: Path) -> None:
    with app_client(tmp_path, behind_https=True) as client:
        hsts = client.get("/healthz").headers["strict-transport-security"]
        assert hsts.startswith("max-age=") and int(hsts.split("=")[1].split(";")[0]) >= 15552000


def test_security_headers_can_be_left_to_the_proxy(tmp_path: Path) -> None:
    with app_client(tmp_path, security_headers=False) as client:
        assert "x-frame-options" not in client.get("/healthz").headers


def test_openapi_page_may_load_swagger_ui(tmp_path: Path) -> None:
    with app_client(tmp_path) as client:
        page = client.get("/api/docs")
        assert page.status_code == 200
        assert "https://cdn.jsdelivr.net" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"


# -- metrics ---------------------------------------------------------------------------

def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in the Prometheus text format (0 if absent)."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_requests_are_counted_and_timed_per_route_template(deployment: Deployment) -> None:
    client = deployment.client
    client.get("/api/v1/usecases/ons-statschat")
    client.get("/api/v1/usecases/ons-classifai")
    client.get("/api/v1/usecases/no-such-case")
    client.get("/no/such/page")
    text = client.get("/metrics").text
    route = "/api/v1/usecases/{usecase_id}"
    assert metric(text, "gaios_http_requests_total", route=route, status="200") == 2
    assert metric(text, "gaios_http_requests_total", route=route, status="404") == 1
    assert metric(text, "gaios_http_requests_total", route="unmatched", status="404") == 1
    assert metric(text, "gaios_http_request_duration_seconds_count", route=route,
                  status="200") == 2
    assert metric(text, "gaios_http_request_duration_seconds_bucket", route=route, status="200",
                  le="+Inf") == 2
    assert "ons-statschat" not in text


def test_chat_timings_refusals_and_ingestion_are_counted(tmp_path: Path) -> None:
    d = open_deployment(tmp_path / "var", pii_action="refuse")  # its uploads are counted
    try:
        assert ask(d.client).json()["refused"] is False
        ask(d.client, path="/api/v1/chat/stream")
        ask(d.client, question=f"Write to {EMAIL} about tourism nights")
        text = d.client.get("/metrics").text
    finally:
        close(d)
    assert metric(text, "gaios_chat_retrieval_seconds_count") == 2
    assert metric(text, "gaios_chat_generation_seconds_count") == 2
    assert metric(text, "gaios_chat_duration_seconds_count") == 3
    assert metric(text, "gaios_chat_answers_total", backend="extractive", outcome="refused") == 1
    assert metric(text, "gaios_chat_refusals_total", reason="personal_data") == 1
    assert metric(text, "gaios_chat_personal_data_total", entity="EMAIL_ADDRESS") == 1
    assert metric(text, "gaios_ingest_documents_total", outcome="added") == 2  # the two uploads
    assert metric(text, "gaios_ingest_runs_total") == 2
    assert metric(text, "gaios_index_documents", status="complete") == 2
    assert metric(text, "gaios_index_chunks") >= 2
    assert metric(text, "gaios_usecases_published") >= 30


def test_guard_interventions_are_counted(tmp_path: Path) -> None:
    settings = ops_settings(tmp_path / "var")
    container = hash_container(settings)
    container.llm = ScriptedLLM(  # type: ignore[assignment]
        "The office nowcasts monthly tourism nights from web-scraped accommodation listings "
        "[1]. The nowcast cost 4.7 million euros in 2024 [1].")
    with TestClient(create_app(settings, container=container)) as client:
        upload(client, {"X-API-Key": ADMIN_KEY}, "t.md", "# Tourism nowcasting\n\nThe office "
               "nowcasts monthly tourism nights from web-scraped accommodation listings.\n")
        answer = ask(client).json()
        text = client.get("/metrics").text
    assert answer["guard"]["removed_sentences"] >= 1 and "4.7" not in answer["answer"]
    assert metric(text, "gaios_guard_interventions_total", kind="removed_sentence") >= 1
    assert metric(text, "gaios_chat_answers_total", backend="scripted", outcome="refused") == 0


def test_each_app_has_its_own_registry(tmp_path: Path) -> None:
    with app_client(tmp_path / "a") as first, app_client(tmp_path / "b") as second:
        first.get("/healthz")
        first.get("/healthz")
        second.get("/healthz")
        assert metric(first.get("/metrics").text, "gaios_http_requests_total",
                      route="/healthz") == 2
        assert metric(second.get("/metrics").text, "gaios_http_requests_total",
                      route="/healthz") == 1


def test_ingestion_outside_a_request_is_recorded_in_the_process_metrics() -> None:
    before = current_metrics().ingest_runs._value.get()
    observe_ingest({"added": 3, "updated": 0, "unchanged": 1, "removed": 0, "failed": 0,
                    "chunks": 9, "seconds": 0.5})
    assert current_metrics().ingest_runs._value.get() == before + 1


def test_metrics_can_be_switched_off(tmp_path: Path) -> None:
    with app_client(tmp_path, metrics_enabled=False) as client:
        assert client.get("/metrics").status_code == 404


def test_route_template_adds_the_prefixes_of_included_routers() -> None:
    class Route:
        path = "/usecases/{usecase_id}"

    scope = {"route": Route(), "path": "/api/v1/usecases/ons-statschat", "root_path": ""}
    assert route_template(scope) == "/api/v1/usecases/{usecase_id}"
    assert route_template({"path": "/x", "root_path": ""}) == "unmatched"


# -- request ids and logs --------------------------------------------------------------

@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Everything logged during the test, formatted as `gaios serve` formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def log_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_request_id_is_taken_from_the_caller_and_returned(deployment: Deployment,
                                                          json_logs: io.StringIO) -> None:
    response = deployment.client.get("/api/v1/usecases/ons-statschat",
                                     headers={"X-Request-ID": "lb-7f3a-42"})
    assert response.headers["x-request-id"] == "lb-7f3a-42"
    access = [e for e in log_lines(json_logs) if e["logger"] == "gaios.access"]
    assert access[-1] == {**access[-1], "request_id": "lb-7f3a-42", "level": "INFO",
                          "method": "GET", "route": "/api/v1/usecases/{usecase_id}",
                          "status": 200}
    assert isinstance(access[-1]["duration_ms"], float)
    assert {"time", "level", "logger", "message", "request_id"} <= set(access[-1])


def test_request_id_is_generated_when_missing_or_unsafe(deployment: Deployment) -> None:
    generated = deployment.client.get("/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    unsafe = deployment.client.get("/healthz", headers={"X-Request-ID": "a b<script>" * 20})
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe.headers["x-request-id"])


@pytest.mark.parametrize("log_questions", [False, True])
def test_personal_data_in_a_question_never_reaches_the_log(
    template: Deployment, tmp_path: Path, json_logs: io.StringIO, log_questions: bool
) -> None:
    d = clone_deployment(template, tmp_path / "var", log_questions=log_questions)
    try:
        question = f"Can {EMAIL} see how tourism nights are nowcast from web data?"
        answered = d.client.post("/api/v1/chat", json={"question": question},
                                 headers={"X-Request-ID": "req-pii"})
        assert answered.status_code == 200
        d.client.get("/api/v1/usecases", params={"q": EMAIL})
    finally:
        close(d)
    # Every line is one JSON object. The test client's own log of the URLs it requests
    # (logger httpx) is the client's, not the server's: left out.
    lines = [e for e in log_lines(json_logs) if not str(e["logger"]).startswith("httpx")]
    assert not any("jane.doe" in json.dumps(e) for e in lines)
    questions = [e for e in lines if str(e["message"]).startswith("question ")]
    assert bool(questions) == log_questions
    assert all(e["request_id"] == "req-pii" for e in questions)
    assert not any("tourism nights" in str(e["message"]) for e in lines) or log_questions


def test_log_formatter_masks_addresses_and_keeps_one_line() -> None:
    record = logging.LogRecord("gaios.x", logging.ERROR, __file__, 1,
                               "failed for %s\nsecond line", (EMAIL,), None)
    line = JsonFormatter().format(record)
    assert "\n" not in line and EMAIL not in line
    assert json.loads(line)["message"] == "failed for <EMAIL_ADDRESS>\nsecond line"


def test_serve_hands_uvicorn_json_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append(kw))
    monkeypatch.setenv("GAIOS_FORWARDED_ALLOW_IPS", "10.0.0.0/8")
    from app.core.config import get_settings

    get_settings.cache_clear()
    try:
        assert CliRunner().invoke(main, ["serve", "--port", "8123"]).exit_code == 0
    finally:
        get_settings.cache_clear()
    (options,) = calls
    assert options["access_log"] is False and options["port"] == 8123
    assert options["forwarded_allow_ips"] == "10.0.0.0/8" and options["proxy_headers"] is True
    config = options["log_config"]
    assert config == log_config("INFO", "json")  # type: ignore[comparison-overlap]
    assert isinstance(config, dict)
    assert config["formatters"]["gaios"]["()"] == "app.observability.JsonFormatter"
    assert config["root"]["handlers"] == ["stderr"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_gaios_serve_writes_one_json_object_per_line(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAIOS_", "OPENAI_"))}
    env.update(GAIOS_DATA_DIR=str(tmp_path / "var"), GAIOS_LLM__BACKEND="extractive",
               GAIOS_EMBEDDING__BACKEND="torch",  # see tests/conftest.py
               HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                              env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                              cwd=PROJECT_ROOT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(url + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        response = httpx.get(url + "/api/v1/usecases", params={"q": EMAIL},
                             headers={"X-Request-ID": "from-the-lb"})
        assert response.headers["x-request-id"] == "from-the-lb"
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=30)
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert any(e["logger"].startswith("uvicorn") for e in lines)
    access = [e for e in lines if e.get("request_id") == "from-the-lb"]
    assert access and access[-1]["route"] == "/api/v1/usecases" and access[-1]["status"] == 200
    assert EMAIL not in stderr


# -- container files -------------------------------------------------------------------

def setting_exists(name: str) -> bool:
    """Whether a GAIOS_ environment variable names a settings field (sections with __)."""
    model: type[BaseModel] = Settings
    parts = name.removeprefix("GAIOS_").lower().split("__")
    for part in parts[:-1]:
        field = model.model_fields.get(part)
        if field is None or not isinstance(field.annotation, type):
            return False
        model = field.annotation  # type: ignore[assignment]
    return parts[-1] in model.model_fields


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def test_compose_runs_gaios_on_postgres_chroma_and_ollama() -> None:
    services = compose()["services"]
    assert {"gaios", "ingest", "chromadb", "postgres", "ollama", "proxy"} <= set(services)
    env = services["gaios"]["environment"]
    assert env["GAIOS_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in env["GAIOS_DATABASE_URL"]
    assert env["GAIOS_CHROMA_URL"] == "http://chromadb:8000"
    assert env["GAIOS_LLM__BACKEND"] == "openai"
    assert env["GAIOS_LLM__BASE_URL"] == "http://ollama:11434/v1"
    assert env["GAIOS_LLM__MODEL"]
    assert services["gaios"]["deploy"]["replicas"] == 2
    assert services["ingest"]["environment"] == env


def test_compose_sets_only_settings_that_exist() -> None:
    for name, service in compose()["services"].items():
        for variable in service.get("environment") or {}:
            if variable.startswith("GAIOS_"):
                assert setting_exists(variable), f"{name}: {variable} is not a setting"


def test_dockerfile_builds_in_two_stages_and_runs_as_a_user() -> None:
    text = (PROJECT_ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)", text, flags=re.MULTILINE)
    assert stages == ["builder", "runtime"]
    builder, runtime = text.split("AS runtime")
    assert "torch==2.13.0" in builder and "requirements.txt" in builder
    assert builder.index("torch==2.13.0") < builder.index("-r requirements.txt")
    assert re.search(r"^USER (?!root)\w+", runtime, flags=re.MULTILINE)
    assert "HEALTHCHECK" in runtime and "/readyz" in runtime
    cmd = re.search(r"^CMD (.+)$", runtime, flags=re.MULTILINE)
    assert cmd and "gaios ingest" in cmd.group(1) and "gaios serve --host 0.0.0.0" in cmd.group(1)


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = (PROJECT_ROOT / ".dockerignore").read_text().split()
    assert {".venv", "var", ".git", ".env"} <= {line.strip("/") for line in ignored}

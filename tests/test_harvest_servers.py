"""Two `gaios serve` processes on loopback with their own databases: B harvests A.
A's edits, withdrawals and new publications reach B at the next run, with provenance,
and B's chat cites A's record as coming from A's repository."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.core.config import PROJECT_ROOT
from tests.conftest import ADMIN_KEY, free_port
from tests.factories import new_usecase

pytestmark = pytest.mark.slow
ADMIN = {"X-API-Key": ADMIN_KEY}
RECORD = new_usecase(
    id="pharos-price-scraping", title="Classifying scraped product names for the CPI",
    summary="An open language model assigns COICOP classes to product names scraped from "
            "retailers' web sites; price statisticians check uncertain cases every month.",
    organisations=[{"name": "Statistics Pharos", "type": "nso", "country": "GRC"}])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]

    def api(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        return httpx.request(method, f"{self.url}/api/v1{path}", timeout=120, **kwargs)  # type: ignore[arg-type]


def start(data_dir: Path, **settings: str) -> Server:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAIOS_", "OPENAI_"))}
    env.update(GAIOS_DATA_DIR=str(data_dir), GAIOS_LLM__BACKEND="extractive",
               GAIOS_EMBEDDING__BACKEND="torch",  # see tests/conftest.py
               GAIOS_API_KEYS_ADMIN=ADMIN_KEY, GAIOS_RATE_LIMIT_CHAT_PER_MINUTE="0",
               HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", **settings)
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                               env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return Server(url, process)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"gaios serve on port {port} did not start")


def stop(server: Server) -> None:
    server.process.send_signal(signal.SIGINT)
    server.process.wait(timeout=30)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    a = start(tmp_path / "a")
    b = start(tmp_path / "b")
    try:
        yield a, b
    finally:
        stop(a)
        stop(b)


def harvest(b: Server) -> dict:
    response = b.api("POST", "/harvest/run", json={"source": "pharos"}, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()[0]


def publish_in_a(a: Server, record: dict, *, new: bool) -> None:
    method, path = ("POST", "/usecases") if new else ("PUT", f"/usecases/{record['id']}")
    assert a.api(method, path, json=record, headers=ADMIN).status_code in (200, 201)
    review = a.api("POST", f"/usecases/{record['id']}/review", json={"action": "publish"},
                   headers=ADMIN)
    assert review.status_code == 200, review.text


def test_b_follows_a(servers: tuple[Server, Server]) -> None:
    a, b = servers
    assert b.api("POST", "/harvest/sources", json={"name": "pharos", "url": a.url},
                 headers=ADMIN).status_code == 201
    first = harvest(b)
    # Both ship the same curated records: A's are linked to B's, not stored twice.
    assert first["status"] == "ok" and first["added"] == [] and len(first["duplicates"]) >= 30
    assert b.api("GET", "/usecases/ons-statschat").json()["also_reported_by"][0]["source"] \
        == "pharos"
    # One answer, citing B's record with A's report of the same use case.
    statschat = b.api("POST", "/chat", json={"question": "What is the ONS StatsChat?"}).json()
    cited = [c["title"] for c in statschat["citations"] if "StatsChat" in c["title"]]
    assert cited and all("also reported by the pharos repository" in t for t in cited), cited

    publish_in_a(a, RECORD, new=True)
    assert harvest(b)["added"] == ["pharos-pharos-price-scraping"]
    detail = b.api("GET", "/usecases/pharos-pharos-price-scraping").json()
    assert detail["provenance"]["source_url"] == a.url
    assert (detail["provenance"]["remote_id"], detail["provenance"]["remote_revision"]) \
        == ("pharos-price-scraping", 1)

    answer = b.api("POST", "/chat", json={
        "question": "How does Statistics Pharos classify scraped product names?"}).json()
    assert not answer["refused"], answer
    titles = [c["title"] for c in answer["citations"]]
    assert any("from the pharos repository" in t for t in titles), titles

    publish_in_a(a, {**RECORD, "lifecycle_stage": "production"}, new=False)
    assert harvest(b)["updated"] == ["pharos-pharos-price-scraping"]
    detail = b.api("GET", "/usecases/pharos-pharos-price-scraping").json()
    assert detail["record"]["lifecycle_stage"] == "production"
    assert detail["provenance"]["remote_revision"] == 2

    assert a.api("DELETE", f"/usecases/{RECORD['id']}", headers=ADMIN).status_code == 204
    assert harvest(b)["withdrawn"] == ["pharos-pharos-price-scraping"]
    assert b.api("GET", "/usecases/pharos-pharos-price-scraping").status_code == 404
    # B's own change feed tells its harvesters the same story, in order.
    feed = b.api("GET", "/changes", params={"limit": 1000}).json()["data"]
    assert [(c["kind"], c["revision"]) for c in feed
            if c["id"] == "pharos-pharos-price-scraping"] == [
        ("published", 1), ("revised", 2), ("withdrawn", None)]

    again = harvest(b)
    assert (again["added"], again["updated"], again["withdrawn"]) == ([], [], [])


def test_scheduled_harvest_runs_inside_serve(tmp_path: Path) -> None:
    a = start(tmp_path / "a")
    b = start(tmp_path / "b", GAIOS_HARVEST__INTERVAL_MINUTES="0.02")
    try:
        b.api("POST", "/harvest/sources", json={"name": "pharos", "url": a.url}, headers=ADMIN)
        publish_in_a(a, RECORD, new=True)
        for _ in range(120):
            if b.api("GET", "/usecases/pharos-pharos-price-scraping").status_code == 200:
                break
            time.sleep(0.5)
        else:
            pytest.fail("the scheduled harvest did not bring A's record within 60 s")
    finally:
        stop(a)
        stop(b)

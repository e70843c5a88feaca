"""Property-based fuzzing of the whole API from its OpenAPI description (issue #13):
schemathesis generates valid and invalid requests for every operation, sent to a real
server on loopback over one keep-alive session, anonymously and with a key of each
role. Every answer must be below 500 and every error in the one error shape; a dropped
connection fails the test too.

The budget per operation and role is `GAIOS_FUZZ_EXAMPLES` (default 3, what CI runs:
about 7 minutes); docs/operations.md gives the longer run made before a release."""

import os
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from app.core.config import Settings
from app.main import create_app
from app.services.auth import Role
from tests.conftest import ADMIN_KEY
from tests.hostile_helpers import running_server

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("GAIOS_FUZZ_EXAMPLES", "3"))
ROLES = ["anonymous", *(r.value for r in Role if r != Role.anonymous)]


def fuzz_settings(data_dir: object) -> Settings:
    return Settings(_env_file=None, environment="test", data_dir=data_dir,  # type: ignore[arg-type]
                    api_keys_admin=ADMIN_KEY, llm={"backend": "extractive"},
                    rate_limit_chat_per_minute=0, rate_limit_upload_per_minute=0,
                    chat_timeout_seconds=60)


# The description is the application's own; no server is needed to read it.
schema = schemathesis.openapi.from_dict(create_app(fuzz_settings("unused")).openapi())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(fuzz_settings(tmp_path_factory.mktemp("fuzz") / "var")) as url:
        yield url


@pytest.fixture(scope="module")
def role_keys(server: str) -> dict[str, dict[str, str]]:
    """Headers for each role: a fresh key of each, made by the bootstrap admin."""
    headers = {"anonymous": {}}
    for role in ROLES[1:]:
        response = requests.post(f"{server}/api/v1/keys", json={"name": f"fuzz {role}", "role": role},
                                 headers={"X-API-Key": ADMIN_KEY}, timeout=30)
        response.raise_for_status()
        headers[role] = {"X-API-Key": response.json()["key"]}
    return headers


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as kept_alive:
        yield kept_alive


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_error_and_one_error_shape(case: schemathesis.Case, role: str, server: str,
                                            role_keys: dict[str, dict[str, str]],
                                            session: requests.Session) -> None:
    headers = {**(case.headers or {}), **role_keys[role]}
    response = case.call(base_url=server, session=session, headers=headers, timeout=120)
    assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"type", "message", "details"}, body

"""Hostile requests (issue #13): every malformed, oversized, deeply nested or
out-of-range input gets a 4xx in the one documented error shape, fast, and never a 500;
unknown routes and parse errors use that shape too; no response shows a stack trace."""

import json
import time
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.factories import new_usecase

RECORD_ROUTES = [("POST", "/api/v1/usecases/validate"), ("POST", "/api/v1/usecases"),
                 ("PUT", "/api/v1/usecases/demo-nso-coding-assistant")]
YAML = {"Content-Type": "application/yaml"}


def assert_error_shape(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """The response is `status` with the project's one error body (naming `field`)."""
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"type", "message", "details"}
    assert isinstance(error["message"], str) and error["message"]
    if field is not None:
        fields = {d["field"] for d in error["details"]}
        assert any(f == field or f.startswith(field + ".") for f in fields), error
    assert "Traceback" not in response.text and "/work/" not in response.text
    return error


def send(client: TestClient, method: str, path: str, headers: dict[str, str],
         content: str | bytes, **more: str) -> httpx.Response:
    return client.request(method, path, content=content, headers={**headers, **more})


def nested_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def yaml_alias_bomb(levels: int = 7, fan_out: int = 10) -> str:
    """A valid use case whose `lessons_learned` expands to fan_out**levels strings."""
    record = yaml.safe_dump(new_usecase())
    lines = ["x0: &x0 [" + ", ".join(["a lesson about coding"] * fan_out) + "]"]
    lines += [f"x{n}: &x{n} [" + ", ".join([f"*x{n - 1}"] * fan_out) + "]" for n in range(1, levels)]
    return "\n".join(lines) + "\n" + record + f"lessons_learned: *x{levels - 1}\n"


# -- one error shape ----------------------------------------------------------------


def test_unknown_route_is_404_in_the_error_shape(client: TestClient) -> None:
    error = assert_error_shape(client.get("/api/v1/no-such-route"), 404)
    assert error["type"] == "not_found"


def test_wrong_method_is_405_in_the_error_shape(client: TestClient) -> None:
    assert assert_error_shape(client.delete("/api/v1/schema"), 405)["type"] == "method_not_allowed"


@pytest.mark.parametrize("path", ["/api/v1/search", "/api/v1/chat", "/v1/chat/completions"])
def test_body_that_does_not_parse_is_422_naming_the_body(client: TestClient, path: str) -> None:
    response = client.post(path, content=b"{bad", headers={"Content-Type": "application/json"})
    assert assert_error_shape(response, 422, "(body)")["type"] == "invalid"


def test_body_nested_beyond_the_parser_is_refused_in_the_error_shape(client: TestClient) -> None:
    response = client.post("/api/v1/search", content=nested_json(5000),
                           headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert_error_shape(response, response.status_code)


def test_unexpected_failure_is_500_without_internals(settings: Settings,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        def broken(*_: object, **__: object) -> None:
            raise RuntimeError("disk /work/secret/path failed")

        monkeypatch.setattr(client.app.state.container.usecases, "search", broken)  # type: ignore[attr-defined]
        response = client.get("/api/v1/usecases")
    error = assert_error_shape(response, 500)
    assert error["type"] == "internal_error"
    assert "secret" not in response.text and "RuntimeError" not in response.text


# -- bounded parsing of record bodies ---------------------------------------------------


@pytest.mark.parametrize("method, path", RECORD_ROUTES)
@pytest.mark.parametrize("depth", [100, 2_000, 100_000])
def test_deeply_nested_json_record_is_422(client: TestClient, contributor: dict[str, str],
                                          method: str, path: str, depth: int) -> None:
    response = send(client, method, path, contributor, nested_json(depth),
                    **{"Content-Type": "application/json"})
    assert "nested" in assert_error_shape(response, 422, "(body)")["message"]


@pytest.mark.parametrize("method, path", RECORD_ROUTES)
@pytest.mark.parametrize("style", ["flow", "block"])
def test_deeply_nested_yaml_record_is_422(client: TestClient, contributor: dict[str, str],
                                          method: str, path: str, style: str) -> None:
    depth = 3_000
    text = ("[" * depth + "]" * depth if style == "flow"
            else "- " * depth + "x\n")  # compact block notation: one sequence per dash
    response = send(client, method, path, {**contributor, **YAML}, text)
    assert "nested" in assert_error_shape(response, 422, "(body)")["message"]


@pytest.mark.parametrize("method, path", RECORD_ROUTES)
def test_yaml_alias_amplification_is_refused_fast(client: TestClient, contributor: dict[str, str],
                                                  method: str, path: str) -> None:
    bomb = yaml_alias_bomb()
    assert len(bomb) < 5_000
    started = time.monotonic()
    response = send(client, method, path, {**contributor, **YAML}, bomb)
    assert time.monotonic() - started < 2
    error = assert_error_shape(response, 413, "(body)")
    assert "aliases" in error["message"]


def test_recursive_yaml_alias_is_422(client: TestClient) -> None:
    response = send(client, "POST", "/api/v1/usecases/validate", YAML, "a: &a [*a]\n")
    assert_error_shape(response, 422, "(body)")


@pytest.mark.parametrize("raw", [b"\x00", b"id: \xff\xfe", b"\xef\xbb\xbf\x00"])
def test_yaml_body_that_is_not_text_is_422(client: TestClient, raw: bytes) -> None:
    response = send(client, "POST", "/api/v1/usecases/validate", YAML, raw)
    assert_error_shape(response, 422, "(body)")


def test_a_few_shared_yaml_values_are_still_accepted(client: TestClient) -> None:
    text = yaml.safe_dump(new_usecase(partners=["Shared partner agency"]))
    text = text.replace("- Shared partner agency", "- &partner Shared partner agency\n- *partner")
    response = send(client, "POST", "/api/v1/usecases/validate", YAML, text)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("content_type", ["application/json", "application/yaml"])
def test_integer_of_thousands_of_digits_is_422(client: TestClient, content_type: str) -> None:
    text = json.dumps(new_usecase())[:-1] + ', "benefits": [{"type": "efficiency", "text": "t", "value": ' \
        + "9" * 5_000 + "}]}"
    response = send(client, "POST", "/api/v1/usecases/validate", {"Content-Type": content_type}, text)
    assert_error_shape(response, 422)


# -- numbers and strings bounded by the schema --------------------------------------------


@pytest.mark.parametrize("value", ["99999999999999999999", "9223372036854775807", "-1"])
def test_out_of_range_offset_is_422_naming_it(client: TestClient, value: str) -> None:
    assert_error_shape(client.get("/api/v1/usecases", params={"offset": value}), 422, "offset")


@pytest.mark.parametrize("value", ["99999999999999999999", "9223372036854775808", "0"])
def test_out_of_range_revision_is_422_naming_it(client: TestClient, value: str) -> None:
    response = client.get("/api/v1/usecases/ons-statschat", params={"revision": value})
    assert_error_shape(response, 422, "revision")


def test_search_filter_with_thousands_of_values_is_422(client: TestClient) -> None:
    body = {"query": "coding", "filters": {"organisation": [f"org {i}" for i in range(5_000)]}}
    assert_error_shape(client.post("/api/v1/search", json=body), 422, "filters.organisation")


def test_search_filter_value_too_long_is_422(client: TestClient) -> None:
    body = {"query": "coding", "filters": {"organisation": ["x" * 10_000]}}
    assert_error_shape(client.post("/api/v1/search", json=body), 422)


def test_browse_filter_with_thousands_of_values_is_422(client: TestClient) -> None:
    response = client.get("/api/v1/usecases", params={"country": [f"C{i}" for i in range(1_000)]})
    assert_error_shape(response, 422, "country")


@pytest.mark.parametrize("changes, field", [
    ({"description": "word " * 10_000}, "description"),
    ({"lessons_learned": ["a lesson"] * 1_000}, "lessons_learned"),
    ({"lessons_learned": ["long " * 2_000]}, "lessons_learned.0"),
    ({"partners": ["p" * 1_000]}, "partners.0"),
    ({"organisations": [{"name": "N" * 1_000, "type": "nso", "country": "NLD"}]},
     "organisations.0.name"),
    ({"sources": [{"url": "https://example.org/x", "title": "t" * 1_000}]}, "sources.0.title"),
])
def test_record_fields_have_maximum_lengths(client: TestClient, changes: dict[str, Any],
                                            field: str) -> None:
    response = client.post("/api/v1/usecases/validate", json=new_usecase(**changes))
    assert_error_shape(response, 422, field)


def test_every_string_in_the_record_schema_has_a_maximum_length() -> None:
    from app.schemas.records import Document, UseCase

    def unbounded(schema: dict[str, Any], defs: dict[str, Any], path: str) -> list[str]:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return unbounded(defs[name], defs, path) if name not in seen and not seen.add(name) else []
        found = []
        if schema.get("type") == "string" and "maxLength" not in schema and "enum" not in schema \
                and "const" not in schema and schema.get("format") not in ("date", "uri"):
            found.append(path)
        if schema.get("type") == "array" and "maxItems" not in schema:
            found.append(path + "[]")
        for key in ("anyOf", "allOf", "oneOf"):
            for i, sub in enumerate(schema.get(key, [])):
                found += unbounded(sub, defs, path)
        if "items" in schema:
            found += unbounded(schema["items"], defs, path + "[]")
        for name, sub in schema.get("properties", {}).items():
            found += unbounded(sub, defs, f"{path}.{name}")
        return found

    for model in (UseCase, Document):
        seen: set[str] = set()
        schema = model.model_json_schema()
        assert unbounded(schema, schema.get("$defs", {}), model.__name__) == []


# -- the OpenAI-compatible route ----------------------------------------------------------


def test_openai_question_over_the_limit_is_422_naming_messages(client: TestClient) -> None:
    body = {"messages": [{"role": "user", "content": "q" * 2_001}]}
    assert_error_shape(client.post("/v1/chat/completions", json=body), 422, "messages")


def test_openai_stream_that_is_not_a_boolean_is_422(client: TestClient) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "stream": "bad"}
    assert_error_shape(client.post("/v1/chat/completions", json=body), 422, "stream")


@pytest.mark.parametrize("changes, field", [
    ({"model": "m" * 1_000}, "model"),
    ({"user": "u" * 1_000}, "user"),
    ({"max_tokens": 10**12}, "max_tokens"),
    ({"temperature": 1e9}, "temperature"),
    ({"messages": [{"role": "user", "content": "hi"}] * 1_000}, "messages"),
])
def test_openai_request_fields_are_bounded(client: TestClient, changes: dict[str, Any],
                                           field: str) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], **changes}
    assert_error_shape(client.post("/v1/chat/completions", json=body), 422, field)


# -- text search ------------------------------------------------------------------------


@pytest.mark.parametrize("wildcard", ["%", "_", "%%", "_%_"])
def test_like_wildcards_in_q_match_only_themselves(client: TestClient, wildcard: str) -> None:
    everything = client.get("/api/v1/usecases").json()["count"]
    body = client.get("/api/v1/usecases", params={"q": wildcard, "limit": 500}).json()
    assert body["count"] < everything
    for item in body["data"]:
        record = item["record"]
        orgs = " ".join(f"{o['name']} {o.get('acronym') or ''}" for o in record["organisations"])
        assert wildcard in f"{record['title']} {record['summary']} {orgs}"



# -- time limits --------------------------------------------------------------------------


def test_validation_over_its_time_limit_is_504(tmp_path: Any) -> None:
    settings = Settings(_env_file=None, environment="test", data_dir=tmp_path / "var",
                        llm={"backend": "extractive"}, validation_timeout_seconds=0.000001)
    with TestClient(create_app(settings)) as client:
        response = client.post("/api/v1/usecases/validate", json=new_usecase())
    assert assert_error_shape(response, 504)["type"] == "timeout"

"""The use-case repository API: submit, review, publish, browse, export; and every bad
input refused with a 422/404/409/413 that names the problem, with nothing stored."""

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from tests.factories import new_usecase


def submit(client: TestClient, headers: dict[str, str], **changes: object):
    return client.post("/api/v1/usecases", json=new_usecase(**changes), headers=headers)


def published_ids(client: TestClient, **params: object) -> list[str]:
    body = client.get("/api/v1/usecases", params={"limit": 500, **params}).json()
    return [item["record"]["id"] for item in body["data"]]


def test_curated_corpus_is_published_at_start_up(client: TestClient) -> None:
    body = client.get("/api/v1/usecases", params={"limit": 5}).json()
    assert body["count"] >= 30
    assert len(body["data"]) == 5
    assert all(item["status"] == "published" for item in body["data"])


def test_filter_by_gsbpm_5_2_returns_coding_cases_with_facets(client: TestClient) -> None:
    body = client.get("/api/v1/usecases", params={"gsbpm": "5.2", "limit": 100}).json()
    ids = {item["record"]["id"] for item in body["data"]}
    assert {"insee-nace-relabelling", "ons-classifai", "ssb-coicop-rag"} <= ids
    assert all("5.2" in item["record"]["gsbpm"] for item in body["data"])
    assert body["facets"]["gsbpm"]["5.2"] == body["count"]
    assert body["facets"]["country"]["GBR"] >= 1


def test_filter_by_gsbpm_phase_includes_its_sub_processes(client: TestClient) -> None:
    phase = set(published_ids(client, gsbpm="5"))
    assert set(published_ids(client, gsbpm="5.2")) <= phase


def test_filters_combine_and_text_query_narrows(client: TestClient) -> None:
    ids = published_ids(client, gsbpm="5.2", country="FRA")
    assert ids and all(i.startswith("insee") for i in ids)
    assert set(published_ids(client, q="StatsChat")) == set(published_ids(client, q="statschat"))
    assert "ons-statschat" in published_ids(client, q="statschat")


def test_submission_is_hidden_until_a_reviewer_publishes_it(
    client: TestClient, contributor: dict[str, str], reviewer: dict[str, str]
) -> None:
    created = submit(client, contributor)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "submitted"
    assert client.get("/api/v1/usecases/demo-nso-coding-assistant").status_code == 404
    assert "demo-nso-coding-assistant" not in published_ids(client)

    review = client.post("/api/v1/usecases/demo-nso-coding-assistant/review",
                         json={"action": "publish", "comment": "checked sources"}, headers=reviewer)
    assert review.status_code == 200, review.text
    assert review.json()["status"] == "published"
    assert "demo-nso-coding-assistant" in published_ids(client, gsbpm="5.2")


def test_contributor_cannot_publish(client: TestClient, contributor: dict[str, str]) -> None:
    submit(client, contributor)
    response = client.post("/api/v1/usecases/demo-nso-coding-assistant/review",
                           json={"action": "publish"}, headers=contributor)
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "forbidden"


def test_anonymous_cannot_submit(client: TestClient) -> None:
    assert submit(client, {}).status_code == 401


def test_edit_creates_revision_and_keeps_history(
    client: TestClient, contributor: dict[str, str], reviewer: dict[str, str]
) -> None:
    submit(client, contributor)
    client.post("/api/v1/usecases/demo-nso-coding-assistant/review",
                json={"action": "publish"}, headers=reviewer)
    edited = new_usecase(lifecycle_stage="production")
    response = client.put("/api/v1/usecases/demo-nso-coding-assistant", json=edited,
                          headers=contributor, params={"comment": "now in production"})
    assert response.status_code == 200, response.text
    assert response.json()["revision"] == 2
    # The public still sees revision 1 until the edit is reviewed.
    public = client.get("/api/v1/usecases/demo-nso-coding-assistant").json()
    assert public["revision"] == 1 and public["record"]["lifecycle_stage"] == "pilot"

    client.post("/api/v1/usecases/demo-nso-coding-assistant/review",
                json={"action": "publish"}, headers=reviewer)
    history = client.get("/api/v1/usecases/demo-nso-coding-assistant/revisions").json()
    assert [(r["number"], r["status"]) for r in history] == [(1, "superseded"), (2, "published")]
    assert history[1]["comment"] == "now in production"


def test_rejection_needs_a_comment_and_is_shown_to_the_submitter(
    client: TestClient, contributor: dict[str, str], reviewer: dict[str, str]
) -> None:
    submit(client, contributor)
    url = "/api/v1/usecases/demo-nso-coding-assistant/review"
    assert client.post(url, json={"action": "reject"}, headers=reviewer).status_code == 422
    rejected = client.post(url, json={"action": "reject", "comment": "no public source"},
                           headers=reviewer)
    assert rejected.json()["status"] == "rejected"
    mine = client.get("/api/v1/usecases/demo-nso-coding-assistant", headers=contributor).json()
    assert mine["review_comment"] == "no public source"


def test_delete_withdraws_the_record(
    client: TestClient, contributor: dict[str, str], reviewer: dict[str, str]
) -> None:
    assert client.delete("/api/v1/usecases/ons-statschat", headers=contributor).status_code == 403
    assert client.delete("/api/v1/usecases/ons-statschat", headers=reviewer).status_code == 204
    assert client.get("/api/v1/usecases/ons-statschat").status_code == 404
    assert "ons-statschat" not in published_ids(client)


def test_exports_in_json_csv_and_jsonld(client: TestClient) -> None:
    as_json = client.get("/api/v1/export").json()
    assert len(as_json) >= 30
    response = client.get("/api/v1/export", headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(as_json) and rows[0]["id"]
    ld = client.get("/api/v1/export", params={"format": "jsonld"}).json()
    catalog = ld["@graph"][0]
    assert catalog["@type"] == "dcat:Catalog" and len(catalog["dcat:dataset"]) == len(as_json)


def test_published_record_exports_as_a_valid_corpus_yaml(client: TestClient) -> None:
    import yaml

    from app.schemas.records import UseCase

    text = client.get("/api/v1/usecases/ons-statschat/yaml").text
    assert UseCase.model_validate(yaml.safe_load(text)).id == "ons-statschat"


def test_schema_and_vocabularies_are_published(client: TestClient) -> None:
    schema = client.get("/api/v1/schema").json()
    assert "summary" in schema["usecase"]["properties"]
    vocab = client.get("/api/v1/vocabularies").json()
    assert {"code": "5.2", "name": "Classify and code", "parent": "5"} in vocab["gsbpm"]
    assert len([t for t in vocab["gsbpm"] if t["parent"]]) == 44


# -- bad input ---------------------------------------------------------------------------

def assert_error(response, status: int, field: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    details = response.json()["error"]["details"]
    assert any(field in str(d.get("field")) for d in details), details


def test_unknown_gsbpm_code_is_refused(client: TestClient, contributor: dict[str, str]) -> None:
    assert_error(submit(client, contributor, gsbpm=["9.9"]), 422, "gsbpm")
    assert client.get("/api/v1/usecases/demo-nso-coding-assistant", headers=contributor).status_code == 404


def test_gsbpm_code_with_the_name_of_another_is_refused(
    client: TestClient, contributor: dict[str, str]
) -> None:
    response = submit(client, contributor, gsbpm=["2.1 Design frame and sample"])
    assert_error(response, 422, "gsbpm")
    assert "Design outputs" in response.text


def test_missing_source_is_refused(client: TestClient, contributor: dict[str, str]) -> None:
    assert_error(submit(client, contributor, sources=[]), 422, "sources")


def test_summary_over_600_characters_is_refused(client: TestClient, contributor: dict[str, str]) -> None:
    assert_error(submit(client, contributor, summary="x" * 601), 422, "summary")


def test_unknown_field_is_refused(client: TestClient, contributor: dict[str, str]) -> None:
    assert_error(submit(client, contributor, colour="blue"), 422, "colour")


def test_malformed_json_and_yaml_are_refused(client: TestClient, contributor: dict[str, str]) -> None:
    bad_json = client.post("/api/v1/usecases", content=b"{not json",
                           headers={**contributor, "Content-Type": "application/json"})
    assert_error(bad_json, 422, "(body)")
    bad_yaml = client.post("/api/v1/usecases", content=b"id: [unclosed",
                           headers={**contributor, "Content-Type": "application/yaml"})
    assert_error(bad_yaml, 422, "(body)")


def test_yaml_submission_is_accepted(client: TestClient, contributor: dict[str, str]) -> None:
    import yaml

    response = client.post("/api/v1/usecases", content=yaml.safe_dump(new_usecase()),
                           headers={**contributor, "Content-Type": "application/yaml"})
    assert response.status_code == 201, response.text


def test_personal_data_is_refused_with_where_it_was_found(
    client: TestClient, contributor: dict[str, str]
) -> None:
    response = submit(client, contributor,
                      description="Ask Jane at jane.doe@stat.example.org or +44 20 7946 0958.",
                      lessons_learned=["Refunds went to IBAN GB82 WEST 1234 5698 7654 32."])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "personal_data"
    found = {(d["field"], d["entity"]) for d in error["details"]}
    assert ("description", "EMAIL_ADDRESS") in found
    assert ("description", "PHONE_NUMBER") in found
    assert ("lessons_learned.0", "IBAN_CODE") in found
    assert "jane.doe@" not in response.text  # the error itself does not repeat the data


def test_public_functional_mailbox_is_allowed_in_contact(
    client: TestClient, contributor: dict[str, str]
) -> None:
    assert submit(client, contributor, contact="statistics@stat.example.org").status_code == 201


def test_personal_mailbox_is_refused_even_in_contact(
    client: TestClient, contributor: dict[str, str]
) -> None:
    assert_error(submit(client, contributor, contact="jane.doe@stat.example.org"), 422, "contact")


def test_near_duplicate_of_same_organisation_is_a_conflict(
    client: TestClient, contributor: dict[str, str]
) -> None:
    existing = client.get("/api/v1/usecases/ons-classifai").json()["record"]
    copy = {**existing, "id": "ons-classifai-again", "title": existing["title"] + "."}
    response = client.post("/api/v1/usecases", json=copy, headers=contributor)
    assert response.status_code == 409
    assert response.json()["error"]["details"][0]["existing"] == "ons-classifai"


def test_body_over_the_limit_is_413(client: TestClient, contributor: dict[str, str]) -> None:
    response = submit(client, contributor, description="y" * 1_100_000)
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "payload_too_large"


@pytest.mark.parametrize("method,path", [
    ("PUT", "/api/v1/usecases/documents"), ("POST", "/api/v1/usecases/documents"),
    ("PUT", "/api/v1/documents"),
])
def test_only_the_upload_route_gets_the_upload_limit(
    client: TestClient, contributor: dict[str, str], method: str, path: str
) -> None:
    response = client.request(method, path, content=b"x" * 1_100_000,
                              headers={**contributor, "content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "payload_too_large"


def test_unknown_id_is_404_and_unknown_filter_is_422(client: TestClient) -> None:
    assert client.get("/api/v1/usecases/no-such-case").status_code == 404
    assert_error(client.get("/api/v1/usecases", params={"gsbpm": "9.9"}), 422, "gsbpm")
    assert_error(client.get("/api/v1/usecases", params={"stage": "beta"}), 422, "stage")


def strict_json(text: str) -> object:
    """JSON as the standard defines it: no NaN or Infinity."""
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in JSON output")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_number_in_json_is_refused(
    client: TestClient, contributor: dict[str, str], number: str
) -> None:
    record = json.dumps(new_usecase(benefits=[{"type": "efficiency", "text": "faster",
                                               "value": 0.5}])).replace("0.5", number)
    response = client.post("/api/v1/usecases", content=record,
                           headers={**contributor, "Content-Type": "application/json"})
    assert_error(response, 422, "benefits.0.value")
    assert client.get("/api/v1/usecases/demo-nso-coding-assistant",
                      headers=contributor).status_code == 404


@pytest.mark.parametrize("number", [".inf", "-.Inf", ".nan"])
def test_non_finite_number_in_yaml_is_refused(
    client: TestClient, contributor: dict[str, str], number: str
) -> None:
    import yaml

    record = yaml.safe_dump(new_usecase(benefits=[{"type": "efficiency", "text": "faster",
                                                   "value": 0.5}])).replace("0.5", number)
    response = client.post("/api/v1/usecases", content=record,
                           headers={**contributor, "Content-Type": "application/yaml"})
    assert_error(response, 422, "benefits.0.value")
    validated = client.post("/api/v1/usecases/validate", content=record,
                            headers={"Content-Type": "application/yaml"})
    assert_error(validated, 422, "benefits.0.value")


def test_exports_are_standard_json(client: TestClient) -> None:
    strict_json(client.get("/api/v1/export", params={"format": "json"}).text)
    strict_json(client.get("/api/v1/export", params={"format": "jsonld"}).text)


def test_json_export_refuses_a_non_finite_number_instead_of_writing_it() -> None:
    from app.schemas.records import UseCase
    from app.services import export

    record = UseCase.model_validate(new_usecase(
        benefits=[{"type": "efficiency", "text": "faster", "value": 0.5}]))
    record.benefits[0].value = float("nan")  # as if it had slipped past the schema
    with pytest.raises(ValueError):
        export.to_json([record])

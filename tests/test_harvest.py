"""Harvesting DCAT catalogues from another organisation's server (a real HTTP server on
loopback): records arrive validated, screened, read-only and with their provenance;
changes and withdrawals follow the source; a bad record or source is reported and loses
nothing already harvested. GAIOS-to-GAIOS harvesting between two `gaios serve`
processes is in tests/test_harvest_servers.py."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.services.auth import Role
from tests.conftest import ADMIN_KEY, make_key
from tests.factories import new_usecase
from tests.harvest_helpers import (
    FakeOrganisation,
    Route,
    catalogue,
    dataset,
    start_organisation,
)

ADMIN = {"X-API-Key": ADMIN_KEY}
CODING = dataset("occ-coding", title="Occupation coding with a small open model",
                 description="Job titles from the labour force survey are coded to ISCO-08 by "
                             "an open model, and coders check every proposal.")
EDITS = dataset("edit-rules", title="Drafting validation rules for business surveys",
                description="A language model drafts edit rules from survey metadata; "
                            "methodologists review them before use.",
                keywords=["GSBPM 5.3", "code_generation", "prompting", "experiment",
                          "internal"])


@pytest.fixture
def organisation() -> Iterator[FakeOrganisation]:
    yield from start_organisation()


def add_source(client: TestClient, url: str, name: str = "harvestland") -> None:
    response = client.post("/api/v1/harvest/sources", json={"name": name, "url": url},
                           headers=ADMIN)
    assert response.status_code == 201, response.text


def run(client: TestClient, name: str = "harvestland") -> dict:
    response = client.post("/api/v1/harvest/run", json={"source": name}, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()[0]


def test_catalogue_records_arrive_published_read_only_with_provenance(
    client: TestClient, organisation: FakeOrganisation, reviewer: dict[str, str]
) -> None:
    url = organisation.serve_json("/catalogue.jsonld", catalogue(CODING, EDITS))
    add_source(client, url)
    report = run(client)
    assert report["status"] == "ok", report
    assert sorted(report["added"]) == ["harvestland-edit-rules", "harvestland-occ-coding"]

    detail = client.get("/api/v1/usecases/harvestland-occ-coding").json()
    assert detail["origin"] == "harvest" and detail["status"] == "published"
    assert detail["record"]["gsbpm"] == ["5.2"]
    assert detail["record"]["model_openness"] == "unknown"  # the catalogue does not say
    assert detail["provenance"] | {"harvested_at": None} == {
        "source": "harvestland", "source_url": url, "remote_id": "occ-coding",
        "remote_url": "https://cat.example/dataset/occ-coding", "remote_revision": None,
        "licence": "https://creativecommons.org/licenses/by/4.0/", "harvested_at": None}
    listed = client.get("/api/v1/usecases", params={"origin": "harvest"}).json()
    assert listed["count"] == 2

    edit = client.put("/api/v1/usecases/harvestland-occ-coding", headers=reviewer,
                      json=new_usecase(id="harvestland-occ-coding"))
    assert edit.status_code == 409 and "read-only" in edit.json()["error"]["message"]
    assert client.delete("/api/v1/usecases/harvestland-occ-coding",
                         headers=reviewer).status_code == 409


def test_changes_and_withdrawals_at_the_source_are_followed(
    client: TestClient, organisation: FakeOrganisation, reviewer: dict[str, str]
) -> None:
    url = organisation.serve_json("/catalogue.jsonld", catalogue(CODING, EDITS), etag='"v1"')
    add_source(client, url)
    run(client)
    assert run(client)["status"] == "unchanged"  # same ETag: nothing read again

    changed = {**CODING, "dct:title": "Occupation coding with a small open model, now in production",
               "dcat:keyword": ["GSBPM 5.2", "classification_coding", "rag", "production",
                                "public"]}
    organisation.serve_json("/catalogue.jsonld", catalogue(changed), etag='"v2"')
    report = run(client)
    assert report["updated"] == ["harvestland-occ-coding"]
    assert report["withdrawn"] == ["harvestland-edit-rules"]
    detail = client.get("/api/v1/usecases/harvestland-occ-coding").json()
    assert (detail["revision"], detail["record"]["lifecycle_stage"]) == (2, "production")
    assert client.get("/api/v1/usecases/harvestland-edit-rules").status_code == 404
    history = client.get("/api/v1/usecases/harvestland-occ-coding/revisions").json()
    assert [r["status"] for r in history] == ["superseded", "published"]


def test_record_with_personal_data_is_held_back_with_the_reason(
    client: TestClient, organisation: FakeOrganisation
) -> None:
    leaky = {**EDITS, "dct:description": "Drafted by Jane Doe (jane.doe@stat.example, "
                                         "+358 40 123 4567) for the business survey team."}
    url = organisation.serve_json("/catalogue.jsonld", catalogue(CODING, leaky))
    add_source(client, url)
    report = run(client)
    assert report["status"] == "partial" and report["added"] == ["harvestland-occ-coding"]
    assert [h["remote_id"] for h in report["held"]] == ["edit-rules"]
    assert "personal data" in report["held"][0]["reason"]
    assert "jane.doe" not in str(report)  # the report names the field, not the data
    source = client.get("/api/v1/harvest/sources/harvestland", headers=ADMIN).json()
    assert [h["remote_id"] for h in source["held"]] == ["edit-rules"]
    assert client.get("/api/v1/usecases/harvestland-edit-rules").status_code == 404

    organisation.serve_json("/catalogue.jsonld", catalogue(CODING, EDITS))  # fixed at source
    assert run(client)["added"] == ["harvestland-edit-rules"]
    assert client.get("/api/v1/harvest/sources/harvestland", headers=ADMIN).json()["held"] == []


def test_record_lacking_required_fields_is_held_back_naming_them(
    client: TestClient, organisation: FakeOrganisation
) -> None:
    bare = dataset("bare", title="A dataset of road traffic counts",
                   description="Hourly counts from road sensors, published monthly.", keywords=[])
    add_source(client, organisation.serve_json("/catalogue.jsonld", catalogue(bare)))
    held = run(client)["held"]
    assert {d["field"] for d in held[0]["details"]} >= {"task_types", "genai_patterns"}


@pytest.mark.parametrize("route, reason", [
    (Route(b"{not json"), "did not answer JSON"),
    (Route(b'{"@context": "https://evil.example/context.jsonld", "@type": "dcat:Catalog"}'),
     "remote document"),
    (Route(b'{"@context": {}, "@graph": []}'), "no dcat:Dataset"),
    (Route(b"x" * 1_000_000, repeat=50), "larger than the limit"),  # 50 MB
    (Route(b"gone", status=500), "HTTP 500"),
    (Route(b"", status=302, location="/catalogue.jsonld"), "more redirects than allowed"),
    (Route(b"", status=302, location="file:///etc/passwd"), "not http(s)"),
])
def test_a_bad_source_is_reported_and_loses_nothing_already_harvested(
    client: TestClient, organisation: FakeOrganisation, route: Route, reason: str
) -> None:
    url = organisation.serve_json("/catalogue.jsonld", catalogue(CODING))
    add_source(client, url)
    run(client)
    organisation.routes["/catalogue.jsonld"] = route
    report = run(client)
    assert report["status"] == "failed" and reason in report["error"], report
    assert client.get("/api/v1/usecases/harvestland-occ-coding").status_code == 200


def test_unreachable_source_does_not_stop_the_others(
    client: TestClient, organisation: FakeOrganisation
) -> None:
    add_source(client, "http://127.0.0.1:9/catalogue.jsonld", name="offline")
    add_source(client, organisation.serve_json("/catalogue.jsonld", catalogue(CODING)))
    reports = client.post("/api/v1/harvest/run", json={}, headers=ADMIN).json()
    assert [(r["source"], r["status"]) for r in reports] == [("harvestland", "ok"),
                                                             ("offline", "failed")]


def test_near_duplicate_of_a_record_here_is_linked_not_stored(
    client: TestClient, organisation: FakeOrganisation
) -> None:
    ours = client.get("/api/v1/usecases/ons-statschat").json()["record"]
    same = dataset("statschat", title=ours["title"], description=ours["summary"],
                   publisher=ours["organisations"][0]["name"], country="GBR")
    add_source(client, organisation.serve_json("/catalogue.jsonld", catalogue(same, CODING)))
    report = run(client)
    assert report["duplicates"] == [{"id": "harvestland-statschat",
                                     "reported_also_as": "ons-statschat"}]
    assert client.get("/api/v1/usecases/harvestland-statschat").status_code == 404
    also = client.get("/api/v1/usecases/ons-statschat").json()["also_reported_by"]
    assert [(a["source"], a["remote_id"]) for a in also] == [("harvestland", "statschat")]


def test_only_admins_harvest_and_only_http_urls_are_accepted(client: TestClient) -> None:
    reviewer = make_key(client, Role.reviewer)
    assert client.get("/api/v1/harvest/sources", headers=reviewer).status_code == 403
    assert client.post("/api/v1/harvest/run", json={}).status_code == 401
    for url in ("file:///etc/passwd", "ftp://cat.example/x.jsonld", "/relative"):
        response = client.post("/api/v1/harvest/sources", headers=ADMIN,
                               json={"name": "bad", "url": url})
        assert response.status_code == 422
        assert response.json()["error"]["details"][0]["field"] == "url"
    assert client.post("/api/v1/harvest/run", json={"source": "nope"},
                       headers=ADMIN).status_code == 404

"""The change feed (`GET /api/v1/changes`) and conditional export: a harvester fetches
only what changed since its last visit, and never sees an unreviewed revision."""

from pathlib import Path

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db.session import Database, upgrade
from app.services.changes import record_change
from tests.db_helpers import alembic_config
from tests.factories import new_usecase

RECORD = "demo-nso-coding-assistant"


def all_changes(client: TestClient, since: str | None = None) -> tuple[list[dict], str]:
    """Every change after `since`, following `next_cursor` page by page."""
    changes: list[dict] = []
    while True:
        params = {"limit": 7} | ({"since": since} if since else {})
        body = client.get("/api/v1/changes", params=params).json()
        changes += body["data"]
        since = body["next_cursor"]
        if not body["has_more"]:
            return changes, since


def publish(client: TestClient, reviewer: dict[str, str]) -> None:
    response = client.post(f"/api/v1/usecases/{RECORD}/review", json={"action": "publish"},
                           headers=reviewer)
    assert response.status_code == 200, response.text


def test_feed_starts_with_every_published_record(client: TestClient) -> None:
    changes, _ = all_changes(client)
    published = client.get("/api/v1/usecases", params={"limit": 500}).json()
    assert {c["id"] for c in changes} == {item["record"]["id"] for item in published["data"]}
    assert {c["kind"] for c in changes} == {"published"}
    assert all(c["record"]["id"] == c["id"] for c in changes)


def test_feed_lists_publication_revision_and_withdrawal_after_the_cursor(
    client: TestClient, contributor: dict[str, str], reviewer: dict[str, str]
) -> None:
    _, cursor = all_changes(client)
    client.post("/api/v1/usecases", json=new_usecase(), headers=contributor)
    assert all_changes(client, cursor)[0] == []  # a submission is not a public change

    publish(client, reviewer)
    client.put(f"/api/v1/usecases/{RECORD}", json=new_usecase(lifecycle_stage="production"),
               headers=contributor)
    assert [c["kind"] for c in all_changes(client, cursor)[0]] == ["published"]
    publish(client, reviewer)
    client.delete(f"/api/v1/usecases/{RECORD}", headers=reviewer)

    changes, last = all_changes(client, cursor)
    assert [(c["id"], c["kind"], c["revision"]) for c in changes] == [
        (RECORD, "published", 1), (RECORD, "revised", 2), (RECORD, "withdrawn", None)]
    assert changes[1]["record"]["lifecycle_stage"] == "production"
    assert changes[2]["record"] is None
    assert all_changes(client, last)[0] == []
    assert all_changes(client, changes[0]["cursor"])[0] == changes[1:]


def test_withdrawing_an_unpublished_submission_is_not_a_change(
    client: TestClient, contributor: dict[str, str]
) -> None:
    _, cursor = all_changes(client)
    client.post("/api/v1/usecases", json=new_usecase(), headers=contributor)
    assert client.delete(f"/api/v1/usecases/{RECORD}", headers=contributor).status_code == 204
    assert all_changes(client, cursor)[0] == []


def test_unknown_cursor_is_422_naming_since(client: TestClient) -> None:
    for bad in ("not-a-cursor", "YzEuLTE", "Zm9vLjE"):  # junk, "c1.-1", "foo.1"
        response = client.get("/api/v1/changes", params={"since": bad})
        assert response.status_code == 422, bad
        assert response.json()["error"]["details"][0]["field"] == "since"


def test_export_answers_304_while_nothing_changed(
    client: TestClient, contributor: dict[str, str], reviewer: dict[str, str]
) -> None:
    for fmt in ("json", "csv", "jsonld"):
        first = client.get("/api/v1/export", params={"format": fmt})
        etag = first.headers["etag"]
        again = client.get("/api/v1/export", params={"format": fmt},
                           headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
    client.post("/api/v1/usecases", json=new_usecase(), headers=contributor)
    publish(client, reviewer)
    changed = client.get("/api/v1/export", params={"format": "json"},
                         headers={"If-None-Match": etag})
    assert changed.status_code == 200 and RECORD in changed.text


def test_upgrading_an_existing_database_puts_its_published_records_in_the_feed(
    tmp_path: Path,
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    with database.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0002")  # before the feed existed
        for n, (name, published) in enumerate([("a", 1), ("b", None), ("c", 2)]):
            connection.execute(text(
                "INSERT INTO usecases (id, origin, latest_revision, published_revision, deleted,"
                " title, search_text, created_at, updated_at) VALUES (:id, 'curated', 2, :pub,"
                " :deleted, :id, '', :at, :at)"),
                {"id": name, "pub": published, "deleted": False, "at": f"2026-01-0{n + 1}"})
    upgrade(database.engine)
    with database.session() as session:
        rows = session.execute(text("SELECT seq, usecase_id, kind, revision "
                                    "FROM usecase_changes ORDER BY seq")).all()
        assert [tuple(r) for r in rows] == [(1, "a", "published", 1), (2, "c", "published", 2)]
        record_change(session, "a", "withdrawn", None)
    with database.session() as session:
        assert session.execute(text("SELECT max(seq) FROM usecase_changes")).scalar() == 3
    database.engine.dispose()

"""A revision that was never published is seen only by its submitter and by reviewers
and admins: not through the history, `?revision=N`, the detail's metadata, `/yaml`,
the exports, the list, its facets or search. A revision that was published once stays
readable by everyone who may read, also after a later one replaced it."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from app.db.session import MIGRATIONS, Database, upgrade
from app.services.auth import Role
from tests.factories import new_usecase
from tests.ops_helpers import Deployment, deployment, template  # noqa: F401 (fixtures)

URL = "/api/v1/usecases/demo-nso-coding-assistant"
DRAFT = "unreviewedmarker"  # a word only never-published revisions contain
OUTSIDERS = (Role.anonymous, Role.reader, Role.contributor)  # not the submitter


def draft(number: int) -> dict[str, Any]:
    return new_usecase(description=f"Draft {number}: {DRAFT} figures not yet checked.",
                       lifecycle_stage="production", partners=[f"Partner {DRAFT} {number}"])


def put(d: Deployment, record: dict[str, Any]) -> None:
    response = d.client.put(URL, json=record, headers=d.owner)
    assert response.status_code == 200, response.text


def publish(d: Deployment) -> None:
    response = d.client.post(f"{URL}/review", json={"action": "publish"}, headers=d.admin)
    assert response.status_code == 200, response.text


def submit(d: Deployment, record: dict[str, Any]) -> None:
    response = d.client.post("/api/v1/usecases", json=record, headers=d.owner)
    assert response.status_code == 201, response.text


def history(d: Deployment, headers: dict[str, str]) -> list[int]:
    response = d.client.get(f"{URL}/revisions", headers=headers)
    assert response.status_code == 200, response.text
    return [r["number"] for r in response.json()]


def everything_public(d: Deployment, headers: dict[str, str]) -> str:
    """Every response an outsider can get about the repository, concatenated."""
    get: Callable[..., Any] = d.client.get
    responses = [
        get(URL, headers=headers), get(f"{URL}/yaml", headers=headers),
        get(f"{URL}/revisions", headers=headers),
        *(get(URL, params={"revision": n}, headers=headers) for n in range(1, 5)),
        get("/api/v1/usecases", params={"limit": 500}, headers=headers),
        get("/api/v1/usecases", params={"q": DRAFT}, headers=headers),
        get("/api/v1/usecases", params={"stage": "production", "limit": 500}, headers=headers),
        *(get("/api/v1/export", params={"format": f}, headers=headers)
          for f in ("json", "csv", "jsonld")),
        d.client.post("/api/v1/search", json={"query": f"{DRAFT} figures", "k": 20},
                      headers=headers),
    ]
    return "\n".join(r.text for r in responses)


def test_draft_replaced_before_review_stays_hidden_once_its_successor_is_published(
    deployment: Deployment,
) -> None:
    d = deployment
    submit(d, draft(1))
    put(d, new_usecase())  # revision 2 replaces the unreviewed revision 1
    publish(d)
    for role in OUTSIDERS:
        headers = d.headers[role]
        assert history(d, headers) == [2], role
        assert d.client.get(URL, params={"revision": 1}, headers=headers).status_code == 404
        assert DRAFT not in everything_public(d, headers), role
    for headers in (d.owner, d.headers[Role.reviewer], d.headers[Role.admin]):
        assert history(d, headers) == [1, 2]
        assert DRAFT in d.client.get(URL, params={"revision": 1}, headers=headers).text


def test_pending_edits_of_a_published_record_stay_hidden_also_when_replaced(
    deployment: Deployment,
) -> None:
    d = deployment
    submit(d, new_usecase())
    publish(d)
    published_at = d.client.get(URL).json()["updated_at"]
    put(d, draft(2))
    put(d, draft(3))  # revision 2 is replaced before anyone reviewed it
    for role in OUTSIDERS:
        headers = d.headers[role]
        assert history(d, headers) == [1], role
        detail = d.client.get(URL, headers=headers).json()
        assert (detail["revision"], detail["latest_revision"]) == (1, 1)
        assert detail["updated_at"] == published_at  # no hint that an edit is waiting
        for number in (2, 3):
            draft_by_number = d.client.get(URL, params={"revision": number}, headers=headers)
            assert draft_by_number.status_code == 404
        assert DRAFT not in everything_public(d, headers), role
    assert history(d, d.owner) == [1, 2, 3]
    assert d.client.get(URL, headers=d.owner).json()["latest_revision"] == 3

    publish(d)  # revision 3: revision 1 was published once, revision 2 never was
    for role in OUTSIDERS:
        headers = d.headers[role]
        assert history(d, headers) == [1, 3], role
        assert d.client.get(URL, params={"revision": 1}, headers=headers).status_code == 200
        assert d.client.get(URL, params={"revision": 2}, headers=headers).status_code == 404
    assert history(d, d.headers[Role.reviewer]) == [1, 2, 3]


def test_rejected_edit_is_shown_to_its_submitter_and_reviewers_only(deployment: Deployment) -> None:
    d = deployment
    submit(d, new_usecase())
    publish(d)
    put(d, draft(2))
    rejected = d.client.post(f"{URL}/review", json={"action": "reject", "comment": "no source"},
                             headers=d.headers[Role.reviewer])
    assert rejected.status_code == 200, rejected.text
    for role in OUTSIDERS:
        assert history(d, d.headers[role]) == [1]
        assert DRAFT not in everything_public(d, d.headers[role])
    assert history(d, d.owner) == [1, 2]


def test_near_duplicate_check_does_not_reveal_another_contributors_draft(
    deployment: Deployment,
) -> None:
    d = deployment
    submit(d, new_usecase())
    copy = new_usecase(id="demo-nso-coding-assistant-copy")
    response = d.client.post("/api/v1/usecases", json=copy, headers=d.headers[Role.contributor])
    assert "demo-nso-coding-assistant\"" not in response.text
    assert response.status_code == 201, response.text
    # A reviewer's submission is compared with every draft, as before.
    again = new_usecase(id="demo-nso-coding-assistant-again")
    conflict = d.client.post("/api/v1/usecases", json=again, headers=d.headers[Role.reviewer])
    assert conflict.status_code == 409


# -- the migration that marks which revisions were ever published ------------------------

def alembic_at(database: Database, target: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, target)


def test_migration_marks_published_revisions_and_clears_non_finite_numbers(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    alembic_at(database, "0002")
    record = new_usecase(benefits=[{"type": "efficiency", "text": "faster", "value": 1.5}])
    broken = new_usecase(benefits=[{"type": "efficiency", "text": "faster", "value": "NAN"}])
    rows = [  # number, status, reviewed_at, data
        (1, "superseded", "2026-01-01 10:00:00", record),   # published, then replaced
        (2, "superseded", None, record),                    # replaced before review
        (3, "rejected", "2026-01-02 10:00:00", record),
        (4, "published", "2026-01-03 10:00:00", broken),
        (5, "submitted", None, record),
    ]
    with database.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO usecases (id, origin, owner, latest_revision, published_revision, deleted,"
            " title, search_text, created_at, updated_at) VALUES ('demo-nso-coding-assistant',"
            " 'submission', 'k1', 5, 4, 0, 't', 's', '2026-01-01', '2026-01-01')"))
        for number, status, reviewed_at, data in rows:
            # What SQLAlchemy's JSON column wrote before the fix: Python's json.dumps.
            raw = json.dumps(data).replace('"NAN"', "NaN")
            connection.execute(text(
                "INSERT INTO usecase_revisions (usecase_id, number, status, data, content_hash,"
                " author, created_at, reviewed_at) VALUES ('demo-nso-coding-assistant', :n, :s,"
                " :d, 'h', 'a', '2026-01-01', :r)"), {"n": number, "s": status, "d": raw,
                                                     "r": reviewed_at})
    upgrade(database.engine)
    with database.engine.begin() as connection:
        marked = dict(connection.execute(text(
            "SELECT number, published_at IS NOT NULL FROM usecase_revisions")).all())
        data = connection.execute(text(
            "SELECT data FROM usecase_revisions WHERE number = 4")).scalar_one()
    assert marked == {1: True, 2: False, 3: False, 4: True, 5: False}
    assert json.loads(data, parse_constant=pytest.fail)["benefits"][0]["value"] is None
    database.engine.dispose()

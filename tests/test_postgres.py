"""The same repository on PostgreSQL: the Alembic migrations (booleans, JSON, time-zone
aware timestamps, and back down), every test of tests/test_usecases_api.py (submit,
review and publish, browse with facets, revisions, exports, bad input) run against a
fresh database, and back-up and restore with pg_dump/pg_restore.

Needs a server: GAIOS_TEST_POSTGRES_URL=postgresql+psycopg://user:pass@host/db, with
a role allowed to create databases (each test gets its own). `.ci/run` starts one
(scripts/postgres-for-tests.sh)."""

import inspect
import os
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy import inspect as inspect_db
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError

from app.core.config import Settings
from app.db.models import ApiKeyRow, RevisionRow, UseCaseRow
from app.db.session import Database, upgrade
from app.main import create_app
from app.services.auth import Role
from app.services.backup import count_records, create_backup, restore_backup
from tests import test_usecases_api
from tests.conftest import ADMIN_KEY, make_key
from tests.db_helpers import alembic_config
from tests.factories import new_usecase

POSTGRES_URL = os.environ.get("GAIOS_TEST_POSTGRES_URL", "")  # read before clean_environ
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="no PostgreSQL server: set "
                       "GAIOS_TEST_POSTGRES_URL=postgresql+psycopg://user:pass@host/db "
                       "(.ci/run starts one with scripts/postgres-for-tests.sh)"),
]


@pytest.fixture
def new_database() -> Iterator[Callable[[], str]]:
    """Makes fresh databases on the test server; drops them after the test."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"gaios_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as connection:
        for name in made:
            drop_database(connection, name)
    admin.dispose()


def drop_database(connection: Connection, name: str) -> None:
    """Drop a test database. An autovacuum worker (the server's own superuser) may be
    connected to a new database for a moment, and FORCE cannot end another role's process
    (failed once in CI): wait for it to leave and retry."""
    for attempt in range(40):
        try:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            if attempt == 39:
                raise
            time.sleep(0.25)


@pytest.fixture
def database_url(new_database: Callable[[], str]) -> str:
    return new_database()


def pg_settings(data_dir: Path, url: str) -> Settings:
    return Settings(_env_file=None, environment="test", data_dir=data_dir, database_url=url,
                    api_keys_admin=ADMIN_KEY, llm={"backend": "extractive"})


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(pg_settings(tmp_path / "var", database_url))) as test_client:
        yield test_client
    test_client.app.state.container.db.engine.dispose()  # type: ignore[attr-defined]


# -- migrations ------------------------------------------------------------------------

def test_migrations_give_postgresql_types_and_go_down_and_up(database_url: str) -> None:
    database = Database(database_url)
    upgrade(database.engine)
    columns = {(t, c["name"]): c["type"] for t in ("usecases", "usecase_revisions", "answers")
               for c in inspect_db(database.engine).get_columns(t)}
    assert type(columns["usecases", "deleted"]).__name__ == "BOOLEAN"
    assert type(columns["usecase_revisions", "data"]).__name__ == "JSON"
    assert columns["usecases", "created_at"].timezone is True  # type: ignore[attr-defined]
    assert type(columns["answers", "chunk_ids"]).__name__ == "JSON"
    with database.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect_db(database.engine).get_table_names()) <= {"alembic_version"}
    upgrade(database.engine)
    head = ScriptDirectory.from_config(alembic_config(None)).get_current_head()
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() \
            == head
    database.engine.dispose()


def test_values_round_trip_with_their_types(database_url: str) -> None:
    database = Database(database_url)
    upgrade(database.engine)
    cest = datetime(2026, 6, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    data = {"title": "Überprüfung", "gsbpm": ["5.2"], "nested": {"ok": True, "n": 1.5}}
    with database.session() as session:
        session.add(UseCaseRow(id="x", origin="submission", owner=None, latest_revision=1,
                               title="x", search_text="x", created_at=cest, deleted=False))
        session.add(RevisionRow(usecase_id="x", number=1, status="submitted", data=data,
                                content_hash="0" * 64, author="test"))
    with database.session() as session:
        row = session.scalars(select(UseCaseRow).where(UseCaseRow.deleted.is_(False))).one()
        assert row.created_at == cest and row.created_at.utcoffset() is not None
        assert row.created_at.astimezone(UTC).hour == 12
        assert session.scalars(select(RevisionRow)).one().data == data
    database.engine.dispose()


# -- the use-case API, test for test ---------------------------------------------------

API_TESTS = [name for name, function in inspect.getmembers(test_usecases_api, inspect.isfunction)
             if name.startswith("test_")
             and set(inspect.signature(function).parameters) <= {"client", "contributor",
                                                                  "reviewer"}]


def test_the_api_tests_are_found() -> None:
    assert len(API_TESTS) >= 20
    assert {"test_submission_is_hidden_until_a_reviewer_publishes_it",
            "test_edit_creates_revision_and_keeps_history",
            "test_filter_by_gsbpm_5_2_returns_coding_cases_with_facets"} <= set(API_TESTS)


@pytest.mark.parametrize("name", API_TESTS)
def test_usecase_api_on_postgresql(name: str, client: TestClient) -> None:
    function = getattr(test_usecases_api, name)
    available: dict[str, Callable[[], object]] = {
        "client": lambda: client, "contributor": lambda: make_key(client, Role.contributor),
        "reviewer": lambda: make_key(client, Role.reviewer)}
    function(**{p: available[p]() for p in inspect.signature(function).parameters})


# -- back-up and restore with pg_dump / pg_restore -------------------------------------

def test_backup_and_restore_through_pg_dump(tmp_path: Path,
                                            new_database: Callable[[], str]) -> None:
    source = pg_settings(tmp_path / "a", new_database())
    with TestClient(create_app(source)) as client:
        contributor = make_key(client, Role.contributor)
        assert client.post("/api/v1/usecases", json=new_usecase(),
                           headers=contributor).status_code == 201
        expected = client.get("/api/v1/usecases", params={"limit": 500}).json()
        client.app.state.container.db.engine.dispose()  # type: ignore[attr-defined]
    archive = tmp_path / "pg.tar.gz"
    manifest = create_backup(source, archive)
    assert manifest["database"] == "postgresql" and manifest["counts"]["usecases"] >= 31

    target = pg_settings(tmp_path / "b", new_database())
    restore_backup(target, archive)
    with TestClient(create_app(target)) as client:
        assert client.get("/api/v1/usecases", params={"limit": 500}).json() == expected
        mine = client.get("/api/v1/usecases/demo-nso-coding-assistant", headers=contributor)
        assert mine.status_code == 200 and mine.json()["status"] == "submitted"
        client.app.state.container.db.engine.dispose()  # type: ignore[attr-defined]

    with pytest.raises(Exception, match="holds records"):
        restore_backup(target, archive)
    restore_backup(target, archive, force=True)
    database = Database(target.resolved_database_url())
    assert count_records(database) == manifest["counts"]
    with database.session() as session:
        assert len(session.scalars(select(ApiKeyRow)).all()) == 1
    database.engine.dispose()


# -- the change feed under concurrent publishing ---------------------------------------

def test_concurrent_publications_get_gapless_ordered_cursors(client: TestClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tests.test_changes import all_changes

    _, cursor = all_changes(client)
    contributor, reviewer = make_key(client, Role.contributor), make_key(client, Role.reviewer)

    def submit_and_publish(n: int) -> None:
        office = {"name": f"Statistics Office {n}", "type": "nso", "country": "NLD"}
        record = new_usecase(id=f"concurrent-{n}", organisations=[office])
        assert client.post("/api/v1/usecases", json=record, headers=contributor).status_code == 201
        assert client.post(f"/api/v1/usecases/concurrent-{n}/review", json={"action": "publish"},
                           headers=reviewer).status_code == 200

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(submit_and_publish, range(8)))
    changes, _ = all_changes(client, cursor)
    assert sorted(c["id"] for c in changes) == sorted(f"concurrent-{n}" for n in range(8))
    with client.app.state.container.db.session() as session:  # type: ignore[attr-defined]
        seqs = list(session.scalars(text("SELECT seq FROM usecase_changes ORDER BY seq")))
    assert seqs == list(range(1, len(seqs) + 1))

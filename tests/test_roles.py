"""The permission table, cell by cell: for every action and every role, the test tries
the action through the API (or, for the command-line actions, through the service the
command calls) and checks that it is allowed or refused exactly as `PERMISSIONS` says.
docs/roles.md is checked against the same table. Then the API-key routes and the
`gaios keys` commands."""

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from app.cli import main
from app.core.config import PROJECT_ROOT, get_settings
from app.db.models import ApiKeyRow
from app.errors import Forbidden, Unauthorized
from app.main import create_app
from app.schemas.records import UseCase
from app.services.auth import Role
from app.services.backup import create_backup
from app.services.roles import (
    PERMISSIONS,
    ROLES,
    Action,
    Grant,
    markdown_notes,
    markdown_table,
)
from tests.factories import new_usecase
from tests.ops_helpers import (  # noqa: F401 (fixtures)
    deployment,
    template,
    CONFIDENTIAL_MARKER,
    Deployment,
    clone_deployment,
    close,
    open_deployment,
    upload,
)

REFUSED = (401, 403, 404)


# -- probes: try an action as a role; True if allowed, False if refused ----------------

def allowed(response: Response) -> bool:
    if response.status_code < 300:
        return True
    assert response.status_code in REFUSED, response.text
    assert set(response.json()) == {"error"}, response.text
    return False


def consistent(*results: bool) -> bool:
    """Every way of doing the action agrees."""
    assert len(set(results)) == 1, results
    return results[0]


def record(name: str, **changes: object) -> dict[str, object]:
    """A valid use case of its own organisation (never a near-duplicate of another)."""
    return new_usecase(id=f"demo-{name}", title=f"Coding assistant of the {name} office",
                       organisations=[{"name": f"Statistics Office {name.title()}",
                                       "type": "nso", "country": "NLD"}], **changes)


def submit(d: Deployment, headers: dict[str, str], name: str) -> Response:
    return d.client.post("/api/v1/usecases", json=record(name), headers=headers)


def submitted_by_owner(d: Deployment, name: str = "theirs") -> str:
    assert submit(d, d.owner, name).status_code == 201
    return f"demo-{name}"


def published_with_draft(d: Deployment, headers: dict[str, str], name: str) -> str:
    """A use case submitted with these headers and published (revision 1), then edited
    twice: revision 2, replaced before review, and revision 3, waiting. Neither of the
    drafts was ever published."""
    usecase_id = f"demo-{name}"
    assert d.client.post("/api/v1/usecases", json=record(name), headers=headers).status_code == 201
    assert d.client.post(f"/api/v1/usecases/{usecase_id}/review", json={"action": "publish"},
                         headers=d.admin).status_code == 200
    for stage in ("production", "retired"):
        edited = d.client.put(f"/api/v1/usecases/{usecase_id}", headers=headers,
                              json=record(name, lifecycle_stage=stage))
        assert edited.status_code == 200, edited.text
    return usecase_id


def sees_revision(d: Deployment, headers: dict[str, str], usecase_id: str, number: int) -> bool:
    """In the history, and by number; the two must agree."""
    url = f"/api/v1/usecases/{usecase_id}"
    history = d.client.get(f"{url}/revisions", headers=headers)
    in_history = allowed(history) and number in {r["number"] for r in history.json()}
    return consistent(in_history,
                      allowed(d.client.get(url, params={"revision": number}, headers=headers)))


def sees_drafts(d: Deployment, headers: dict[str, str], usecase_id: str) -> bool:
    latest = d.client.get(f"/api/v1/usecases/{usecase_id}", headers=headers).json()
    return consistent(sees_revision(d, headers, usecase_id, 2),
                      sees_revision(d, headers, usecase_id, 3), latest["latest_revision"] == 3)


def listed(d: Deployment, headers: dict[str, str], usecase_id: str) -> bool:
    response = d.client.get("/api/v1/usecases", params={"status": "submitted"}, headers=headers)
    return allowed(response) and usecase_id in {i["record"]["id"] for i in response.json()["data"]}


def probe_read(d: Deployment, role: Role) -> bool:
    h = d.headers[role]
    return consistent(
        allowed(d.client.get("/api/v1/usecases/ons-statschat", headers=h)),
        allowed(d.client.get("/api/v1/usecases", headers=h)),
        allowed(d.client.get("/api/v1/export", headers=h)),
        allowed(d.client.post("/api/v1/search", json={"query": "tourism nights"}, headers=h)),
        allowed(d.client.post("/api/v1/chat", json={"question": "How are tourism nights "
                                                    "nowcast from web data?"}, headers=h)),
    )


def probe_read_history(d: Deployment, role: Role) -> bool:
    usecase_id = published_with_draft(d, d.owner, "theirs")
    return sees_revision(d, d.headers[role], usecase_id, 1)


def probe_submit(d: Deployment, role: Role) -> bool:
    return allowed(submit(d, d.headers[role], "mine"))


def probe_edit_others(d: Deployment, role: Role) -> bool:
    usecase_id = submitted_by_owner(d)
    return allowed(d.client.put(f"/api/v1/usecases/{usecase_id}", headers=d.headers[role],
                                json=record("theirs", lifecycle_stage="production")))


def probe_edit_own(d: Deployment, role: Role) -> bool:
    assert submit(d, d.headers[role], "mine").status_code == 201
    return allowed(d.client.put("/api/v1/usecases/demo-mine", headers=d.headers[role],
                                json=record("mine", lifecycle_stage="production")))


def probe_see_own_unpublished(d: Deployment, role: Role) -> bool:
    h = d.headers[role]
    if not allowed(submit(d, h, "mine")):  # a role that cannot submit has nothing of its own
        return allowed(d.client.get("/api/v1/usecases", params={"status": "submitted"}, headers=h))
    mine = d.client.get("/api/v1/usecases/demo-mine", headers=h)
    return consistent(allowed(mine) and mine.json()["status"] == "submitted",
                      listed(d, h, "demo-mine"),
                      sees_drafts(d, h, published_with_draft(d, h, "mine-edited")))


def probe_see_others_unpublished(d: Deployment, role: Role) -> bool:
    usecase_id, h = submitted_by_owner(d), d.headers[role]
    return consistent(
        allowed(d.client.get(f"/api/v1/usecases/{usecase_id}", headers=h)),
        allowed(d.client.get(f"/api/v1/usecases/{usecase_id}/revisions", headers=h)),
        listed(d, h, usecase_id),
        sees_drafts(d, h, published_with_draft(d, d.owner, "theirs-edited")),
    )


def probe_review(d: Deployment, role: Role) -> bool:
    usecase_id = submitted_by_owner(d)
    return allowed(d.client.post(f"/api/v1/usecases/{usecase_id}/review", headers=d.headers[role],
                                 json={"action": "publish"}))


def probe_delete_others(d: Deployment, role: Role) -> bool:
    return allowed(d.client.delete("/api/v1/usecases/ons-statschat", headers=d.headers[role]))


def probe_delete_own(d: Deployment, role: Role) -> bool:
    assert submit(d, d.headers[role], "mine").status_code == 201
    return allowed(d.client.delete("/api/v1/usecases/demo-mine", headers=d.headers[role]))


def probe_upload(d: Deployment, role: Role) -> bool:
    return allowed(upload(d.client, d.headers[role], "note.md", "# Seasonal adjustment note\n\n"
                          "A short public note on seasonal adjustment of tourism series.\n"))


def probe_delete_document(d: Deployment, role: Role) -> bool:
    return allowed(d.client.delete("/api/v1/documents/tourism", headers=d.headers[role]))


def probe_confidential(d: Deployment, role: Role) -> bool:
    h, question = d.headers[role], "What is the code word of the restricted harbour freight pilot?"
    search = d.client.post("/api/v1/search", json={"query": question, "k": 10}, headers=h)
    chat = d.client.post("/api/v1/chat", json={"question": question}, headers=h)
    documents = d.client.get("/api/v1/documents", headers=h)
    seen = consistent(
        "memo" in {hit["doc_id"] for hit in search.json()["data"]},
        "memo" in {c["doc_id"] for c in chat.json()["citations"]},
        "memo" in {doc["id"] for doc in documents.json()["data"]},
    )
    assert seen or CONFIDENTIAL_MARKER not in search.text + chat.text + documents.text
    return seen


def probe_keys(d: Deployment, role: Role) -> bool:
    h = d.headers[role]
    victim, _ = d.container.keys.create(name="to revoke", role=Role.reader)
    return consistent(
        allowed(d.client.post("/api/v1/keys", json={"name": "new", "role": "reader"}, headers=h)),
        allowed(d.client.get("/api/v1/keys", headers=h)),
        allowed(d.client.delete(f"/api/v1/keys/{victim}", headers=h)),
    )


def probe_import(d: Deployment, role: Role) -> bool:
    imported = UseCase.model_validate(record("imported"))
    try:
        d.container.usecases.import_records([imported], by=d.principals[role])
    except (Unauthorized, Forbidden):
        return False
    return True


def probe_backup(d: Deployment, role: Role) -> bool:
    target = d.settings.data_dir.parent / f"backup-{role}.tar.gz"
    try:
        create_backup(d.settings, target, by=d.principals[role])
    except (Unauthorized, Forbidden):
        assert not target.exists()
        return False
    return target.is_file()


def probe_harvest(d: Deployment, role: Role) -> bool:
    """Adding a source, listing sources and running a harvest agree (nothing is fetched:
    the source is removed before the run)."""
    headers = d.headers[role]
    name = f"source-{role}"
    added = allowed(d.client.post("/api/v1/harvest/sources", headers=headers,
                                  json={"name": name, "url": "http://127.0.0.1:9/x.jsonld"}))
    if added:
        assert d.client.delete(f"/api/v1/harvest/sources/{name}", headers=headers).status_code == 204
    return consistent(added, allowed(d.client.get("/api/v1/harvest/sources", headers=headers)),
                      allowed(d.client.post("/api/v1/harvest/run", json={}, headers=headers)))


def probe_read_feedback(d: Deployment, role: Role) -> bool:
    """The feedback list as JSON and CSV, and the feedback page, agree."""
    h = d.headers[role]
    page = d.client.get("/feedback", headers=h)
    return consistent(allowed(d.client.get("/api/v1/feedback", headers=h)),
                      allowed(d.client.get("/api/v1/feedback?format=csv", headers=h)),
                      page.status_code == 200 and "<h1>Feedback</h1>" in page.text)


Probe = Callable[[Deployment, Role], bool]
# For each action: the probe on something that is not the caller's own ...
PROBES: dict[Action, Probe] = {
    Action.read: probe_read,
    Action.read_history: probe_read_history,
    Action.submit: probe_submit,
    Action.edit: probe_edit_others,
    Action.see_own_unpublished: probe_see_own_unpublished,
    Action.see_others_unpublished: probe_see_others_unpublished,
    Action.review: probe_review,
    Action.delete_usecase: probe_delete_others,
    Action.upload_document: probe_upload,
    Action.delete_document: probe_delete_document,
    Action.see_confidential: probe_confidential,
    Action.manage_keys: probe_keys,
    Action.import_records: probe_import,
    Action.backup: probe_backup,
    Action.harvest: probe_harvest,
    Action.read_feedback: probe_read_feedback,
}
# ... and, where ownership matters, on the caller's own unpublished submission.
OWN_PROBES: dict[Action, Probe] = {Action.edit: probe_edit_own,
                                   Action.delete_usecase: probe_delete_own}
# Cells tested by a test function of their own, named here.
SEPARATE = {Action.converse: "test_conversation_cells"}
CELLS = [pytest.param(action, role, id=f"{action}-{role}") for action in PROBES
         for role in ROLES]


def test_every_action_has_a_probe() -> None:
    assert set(PROBES) | set(SEPARATE) == set(Action) == set(PERMISSIONS)
    assert all(name in globals() for name in SEPARATE.values())


@pytest.mark.parametrize(("action", "role"), CELLS)
def test_permission_cell(action: Action, role: Role, deployment: Deployment,
                         template: Deployment, tmp_path: Path) -> None:
    grant = PERMISSIONS[action][role]
    assert PROBES[action](deployment, role) == (grant in (Grant.yes, Grant.setting))
    if action in OWN_PROBES and grant != Grant.no:
        assert OWN_PROBES[action](deployment, role) == (grant in (Grant.yes, Grant.own))
    if grant == Grant.setting:  # ... and refused once anonymous reading is switched off
        closed = clone_deployment(template, tmp_path / "closed", anonymous_read=False)
        try:
            assert PROBES[action](closed, role) is False
        finally:
            close(closed)


# -- conversations: own only, for every role -------------------------------------------

FIRST = "How are tourism nights nowcast from web data in the kiwiharbour pilot?"
FOLLOW_UP = "And which country runs it?"  # short: answered as a follow-up of the first


def ask(client: TestClient, headers: dict[str, str], question: str,
        conversation_id: str | None = None) -> Response:
    body = {"question": question, **({"conversation_id": conversation_id}
                                     if conversation_id else {})}
    return client.post("/api/v1/chat", json=body, headers=headers)


@pytest.mark.parametrize("role", ROLES)
def test_conversation_cells(role: Role, deployment: Deployment) -> None:
    """Every role: its own conversation continues; sending another caller's
    conversation_id never returns that caller's earlier turn."""
    assert PERMISSIONS[Action.converse][role] == Grant.own
    d, h = deployment, deployment.headers[role]
    own = ask(d.client, h, FIRST)
    assert own.status_code == 200, own.text
    follow_up = ask(d.client, h, FOLLOW_UP, own.json()["conversation_id"])
    assert follow_up.status_code == 200 and "kiwiharbour" in follow_up.json()["standalone_question"]

    # Others' conversations: a contributor's key, and an anonymous caller's own session.
    anonymous = TestClient(d.client.app)
    for client, headers in ((d.client, d.owner), (anonymous, {})):
        theirs = ask(client, headers, FIRST)
        assert theirs.status_code == 200, theirs.text
        intrusion = ask(d.client, h, FOLLOW_UP, theirs.json()["conversation_id"])
        assert intrusion.status_code in (200, 404), intrusion.text
        assert "kiwiharbour" not in intrusion.text


# -- the rules the table's cells summarise ---------------------------------------------

def test_submitter_cannot_withdraw_once_published(deployment: Deployment) -> None:
    h = deployment.headers[Role.contributor]
    assert submit(deployment, h, "mine").status_code == 201
    deployment.client.post("/api/v1/usecases/demo-mine/review", json={"action": "publish"},
                           headers=deployment.admin)
    response = deployment.client.delete("/api/v1/usecases/demo-mine", headers=h)
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "forbidden"


def test_revoked_key_is_refused_from_the_next_request(deployment: Deployment) -> None:
    h = deployment.headers[Role.contributor]
    key_id = deployment.principals[Role.contributor].key_id
    assert deployment.client.delete(f"/api/v1/keys/{key_id}",
                                    headers=deployment.admin).status_code == 204
    response = deployment.client.get("/api/v1/usecases", headers=h)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "unauthorized"


def test_anonymous_needs_a_key_for_everything_when_reading_is_closed(
    template: Deployment, tmp_path: Path
) -> None:
    closed = clone_deployment(template, tmp_path / "var", anonymous_read=False)
    try:
        for path in ("/api/v1/usecases", "/api/v1/export", "/api/v1/documents",
                     "/api/v1/usecases/ons-statschat", "/api/v1/usecases/ons-statschat/revisions"):
            assert closed.client.get(path).status_code == 401, path
        assert closed.client.get("/api/v1/usecases",
                                 headers=closed.headers[Role.reader]).status_code == 200
    finally:
        close(closed)


# -- docs/roles.md ---------------------------------------------------------------------

def test_roles_doc_shows_the_table_the_code_enforces() -> None:
    doc = (PROJECT_ROOT / "docs" / "roles.md").read_text()
    table = doc.split("<!-- roles-table:start -->\n")[1].split("<!-- roles-table:end -->")[0]
    assert table == markdown_table() + "\n" + markdown_notes(), "regenerate with `gaios roles`"


def test_gaios_roles_prints_the_table() -> None:
    result = CliRunner().invoke(main, ["roles"])
    assert result.exit_code == 0
    assert result.output == markdown_table() + "\n" + markdown_notes()


# -- the key routes --------------------------------------------------------------------

def test_created_key_is_shown_once_and_works(deployment: Deployment) -> None:
    client = deployment.client
    created = client.post("/api/v1/keys", json={"name": "coding pilot", "role": "contributor"},
                          headers=deployment.admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["key"].startswith("gaios_") and body["active"] and body["role"] == "contributor"
    listing = client.get("/api/v1/keys", headers=deployment.admin)
    assert body["id"] in {k["id"] for k in listing.json()["data"]}
    assert body["key"] not in listing.text and hashlib.sha256(body["key"].encode()).hexdigest() \
        not in listing.text
    assert submit(deployment, {"X-API-Key": body["key"]}, "mine").status_code == 201


def test_key_with_an_unknown_role_or_id_is_refused(deployment: Deployment) -> None:
    client, admin = deployment.client, deployment.admin
    bad = client.post("/api/v1/keys", json={"name": "x", "role": "anonymous"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "role"
    missing = client.delete("/api/v1/keys/no-such-key", headers=admin)
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"


# -- gaios keys ------------------------------------------------------------------------

@pytest.fixture
def cli_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data_dir = tmp_path / "var"
    monkeypatch.setenv("GAIOS_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


def test_keys_commands_create_list_and_revoke_a_hashed_key(cli_data_dir: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(main, ["keys", "create", "--role", "reviewer", "--name", "methods"])
    assert created.exit_code == 0, created.output
    key = json.loads(created.output)
    with TestClient(create_app(get_settings())) as client:
        stored = client.app.state.container  # type: ignore[attr-defined]
        with stored.db.session() as session:
            row = session.scalars(select(ApiKeyRow).where(ApiKeyRow.id == key["id"])).one()
            assert row.key_hash == hashlib.sha256(key["key"].encode()).hexdigest()
        assert key["key"].encode() not in (cli_data_dir / "gaios.db").read_bytes()
        listing = runner.invoke(main, ["keys", "list"])
        assert f"{key['id']}\treviewer\tactive\tmethods" in listing.output
        assert key["key"] not in listing.output
        headers = {"X-API-Key": key["key"]}
        assert client.get("/api/v1/usecases", params={"status": "submitted"},
                          headers=headers).status_code == 200
        revoked = runner.invoke(main, ["keys", "revoke", key["id"]])
        assert revoked.exit_code == 0 and "revoked" in revoked.output
        assert client.get("/api/v1/usecases", headers=headers).status_code == 401
    assert "revoked" in runner.invoke(main, ["keys", "list"]).output


def test_revoking_an_unknown_key_fails_cleanly(cli_data_dir: Path) -> None:
    result = CliRunner().invoke(main, ["keys", "revoke", "nope"])
    assert result.exit_code == 1
    assert "no API key with id 'nope'" in result.output and "Traceback" not in result.output

"""A conversation belongs to the caller who started it: its id is made by the server,
and only the same key (or, for an anonymous visitor, the same browser session) may
continue it. Anyone else is told it does not exist (404), whatever their role."""

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.db.models import ConversationTurnRow
from app.main import create_app
from app.schemas.conversations import ConversationList, ConversationPublic
from app.services.auth import Role
from tests.conftest import make_key

QUESTION = "How does INSEE relabel NACE codes?"


def start(client: TestClient, headers: dict[str, str] | None = None) -> str:
    response = client.post("/api/v1/chat", json={"question": QUESTION}, headers=headers or {})
    assert response.status_code == 200, response.text
    return str(response.json()["conversation_id"])


def follow_up(client: TestClient, conversation_id: str,
              headers: dict[str, str] | None = None) -> httpx.Response:
    return client.post("/api/v1/chat", headers=headers or {},
                       json={"question": "And which model?", "conversation_id": conversation_id})


@pytest.fixture
def browsers(settings: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    """Two anonymous visitors, each with the session cookie the web page gets."""
    app = create_app(settings)
    with TestClient(app) as a, TestClient(app) as b:
        for visitor in (a, b):
            assert visitor.get("/api/v1/session").cookies.get("gaios_anon")
        yield a, b


def test_ids_are_made_by_the_server_and_unknown_ones_refused(client: TestClient) -> None:
    conversation_id = start(client)
    assert len(conversation_id) >= 32
    unknown = follow_up(client, "abcd")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["details"][0]["field"] == "conversation_id"


def test_an_anonymous_visitor_cannot_continue_anothers_conversation(
    browsers: tuple[TestClient, TestClient]
) -> None:
    a, b = browsers
    conversation_id = start(a)
    stolen = follow_up(b, conversation_id)
    assert stolen.status_code == 404 and QUESTION not in stolen.text
    own = follow_up(a, conversation_id)
    assert own.status_code == 200 and QUESTION in own.json()["standalone_question"]


@pytest.mark.parametrize("other", [Role.contributor, Role.reviewer, Role.admin, Role.anonymous])
def test_a_keys_conversation_is_its_own_whatever_the_other_callers_role(
    client: TestClient, other: Role
) -> None:
    owner = make_key(client, Role.reader)
    conversation_id = start(client, owner)
    headers = {} if other == Role.anonymous else make_key(client, other)
    assert follow_up(client, conversation_id, headers).status_code == 404
    assert follow_up(client, conversation_id, owner).status_code == 200


def test_an_api_caller_without_a_session_gets_one_with_its_first_answer(
    client: TestClient,
) -> None:
    first = client.post("/api/v1/chat", json={"question": QUESTION})
    secret = first.cookies.get("gaios_anon")
    assert secret and "httponly" in first.headers["set-cookie"].lower()
    conversation_id = first.json()["conversation_id"]
    client.cookies.clear()  # a client that does not keep cookies
    assert follow_up(client, conversation_id).status_code == 404
    assert follow_up(client, conversation_id, make_key(client, Role.admin)).status_code == 404
    client.cookies.set("gaios_anon", secret)
    assert follow_up(client, conversation_id).status_code == 200


def test_streaming_refuses_anothers_conversation_with_an_error_event(
    browsers: tuple[TestClient, TestClient]
) -> None:
    a, b = browsers
    conversation_id = start(a)
    stream = b.post("/api/v1/chat/stream", json={"question": "And which model?",
                                                 "conversation_id": conversation_id})
    assert "event: error" in stream.text and '"status":404' in stream.text.replace(" ", "")
    assert QUESTION not in stream.text


def test_an_empty_turn_stored_by_an_older_version_does_not_break_follow_ups(
    client: TestClient,
) -> None:
    conversation_id = start(client)
    with client.app.state.container.db.session() as session:  # type: ignore[attr-defined]
        session.add(ConversationTurnRow(conversation_id=conversation_id, role="assistant",
                                        content=""))
    assert follow_up(client, conversation_id).status_code == 200


def test_old_conversations_without_an_owner_cannot_be_continued(client: TestClient) -> None:
    with client.app.state.container.db.session() as session:  # type: ignore[attr-defined]
        session.add(ConversationTurnRow(conversation_id="legacy-0001", role="user",
                                        content="a question from before"))
    assert follow_up(client, "legacy-0001").status_code == 404



# -- the list of past conversations (the chat page's history) -----------------------------

OTHER = "Which offices use retrieval-augmented generation for dissemination?"


def test_a_key_lists_its_conversations_latest_first_titled_by_the_first_question(
    client: TestClient,
) -> None:
    owner = make_key(client, Role.reader)
    older = start(client, owner)
    newer = client.post("/api/v1/chat", json={"question": OTHER}, headers=owner).json()
    assert follow_up(client, older, owner).status_code == 200  # the older one is active again
    listed = client.get("/api/v1/conversations", headers=owner)
    assert listed.status_code == 200
    body = ConversationList.model_validate(listed.json())
    assert body.count == 2
    assert [(c.id, c.title, c.turns) for c in body.data] == [
        (older, QUESTION, 2), (newer["conversation_id"], OTHER, 1)]


def test_a_conversation_reads_back_its_answers_with_their_citations(client: TestClient) -> None:
    owner = make_key(client, Role.reader)
    answer = client.post("/api/v1/chat", json={"question": QUESTION}, headers=owner).json()
    read = client.get(f"/api/v1/conversations/{answer['conversation_id']}", headers=owner)
    assert read.status_code == 200
    saved = ConversationPublic.model_validate(read.json()).turns
    assert [(t.answer_id, t.question, t.answer) for t in saved] == [
        (answer["answer_id"], QUESTION, answer["answer"])]
    assert [c.model_dump() for c in saved[0].citations] == answer["citations"]


@pytest.mark.parametrize("other", [Role.reader, Role.admin, Role.anonymous])
def test_nobody_else_lists_or_reads_a_keys_conversations(client: TestClient, other: Role) -> None:
    conversation_id = start(client, make_key(client, Role.reader))
    headers = {} if other == Role.anonymous else make_key(client, other)
    assert client.get("/api/v1/conversations", headers=headers).json()["count"] == 0
    read = client.get(f"/api/v1/conversations/{conversation_id}", headers=headers)
    assert read.status_code == 404 and QUESTION not in read.text
    assert read.json()["error"]["details"] == [{"field": "conversation_id", "reason": "unknown"}]


def test_an_anonymous_browser_session_lists_only_its_own(
    browsers: tuple[TestClient, TestClient]
) -> None:
    a, b = browsers
    conversation_id = start(a)
    assert [c["id"] for c in a.get("/api/v1/conversations").json()["data"]] == [conversation_id]
    assert b.get("/api/v1/conversations").json()["data"] == []


def test_a_malformed_conversation_id_is_a_422_naming_the_field(client: TestClient) -> None:
    response = client.get("/api/v1/conversations/no%20spaces")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "conversation_id"

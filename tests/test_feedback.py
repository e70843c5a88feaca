"""Feedback for evaluators: users rate answers (the comment screened for personal data
before it is stored); reviewers and admins read the ratings with the question, the answer
and its sources, filtered and paged, as JSON or CSV, over the API, on the /feedback page
and with `gaios feedback export`.

The answers rated here are stored as the chat stores them (an `AnswerRow` with what the
user saw); the whole path from a real chat answer is in `test_a_real_answer_is_rated_and_read`.
"""

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from app.cli import main
from app.core.config import get_settings
from app.db.models import AnswerRow, FeedbackRow
from app.services.auth import Role
from tests.conftest import ADMIN_KEY, indexed_settings, make_key

SOURCE = {"number": 1, "doc_id": "ons-classifai", "title": "ClassifAI", "section": "Overview",
          "page": None, "url": "https://example.org/classifai", "doc_type": "usecase",
          "snippet": "ONS codes free-text answers with ClassifAI."}


def store_answer(client: TestClient, answer_id: str, *, conversation: str = "conv-1",
                 question: str | None = "Who uses ClassifAI?") -> None:
    db = client.app.state.container.db  # type: ignore[attr-defined]
    with db.session() as session:
        session.add(AnswerRow(
            id=answer_id, conversation_id=conversation, backend="extractive", model="none",
            prompt_id="extractive-answer", prompt_version="1.0", chunk_ids=["c1"],
            grounded=True, refused=False, question=question,
            answer=None if question is None else "ONS codes free-text answers with ClassifAI [1].",
            citations=None if question is None else [SOURCE]))


def rate(client: TestClient, answer_id: str, rating: int, comment: str | None = None) -> None:
    body: dict[str, object] = {"answer_id": answer_id, "rating": rating}
    if comment is not None:
        body["comment"] = comment
    response = client.post("/api/v1/feedback", json=body)
    assert response.status_code == 201, response.text


def set_created(client: TestClient, answer_id: str, when: datetime) -> None:
    db = client.app.state.container.db  # type: ignore[attr-defined]
    with db.session() as session:
        for row in session.query(FeedbackRow).filter_by(answer_id=answer_id):
            row.created_at = when


@pytest.fixture
def rated(client: TestClient) -> TestClient:
    """Three rated answers on three days, two in one conversation."""
    for n, (rating, comment, day, conversation) in enumerate([
            (1, None, 1, "conv-1"), (-1, "Missed the Istat project.", 2, "conv-1"),
            (-1, None, 3, "conv-2")], 1):
        store_answer(client, f"answer-{n}", conversation=conversation)
        rate(client, f"answer-{n}", rating, comment)
        set_created(client, f"answer-{n}", datetime(2026, 11, day, 12, tzinfo=UTC))
    return client


@pytest.fixture
def admin() -> dict[str, str]:
    return {"X-API-Key": ADMIN_KEY}


def listed(client: TestClient, headers: dict[str, str], **params: object) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/v1/feedback", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_reviewers_read_ratings_with_the_question_answer_and_sources(
        rated: TestClient, reviewer: dict[str, str]) -> None:
    page = listed(rated, reviewer)
    assert page["count"] == 3 and page["limit"] == 50 and page["offset"] == 0
    assert [i["answer_id"] for i in page["data"]] == ["answer-3", "answer-2", "answer-1"]
    item = page["data"][1]
    assert item["rating"] == -1 and item["comment"] == "Missed the Istat project."
    assert item["question"] == "Who uses ClassifAI?"
    assert item["answer"].endswith("[1].")
    assert item["sources"] == [{"number": 1, "doc_id": "ons-classifai", "title": "ClassifAI",
                                "section": "Overview", "url": "https://example.org/classifai"}]
    assert item["conversation_id"] == "conv-1" and item["backend"] == "extractive"
    assert item["prompt"] == {"id": "extractive-answer", "version": "1.0"}
    assert item["created_at"].startswith("2026-11-02T12:00:00")


@pytest.mark.parametrize(("role", "status"), [(None, 401), (Role.reader, 403),
                                              (Role.contributor, 403)])
def test_only_reviewers_and_admins_read_feedback(rated: TestClient, role: Role | None,
                                                 status: int) -> None:
    headers = make_key(rated, role) if role else {}
    for params in ({}, {"format": "csv"}):
        response = rated.get("/api/v1/feedback", params=params, headers=headers)
        assert response.status_code == status
        error = response.json()["error"]
        assert error["type"] == ("unauthorized" if status == 401 else "forbidden")
        assert "feedback" in error["message"]


def test_admins_read_feedback(rated: TestClient, admin: dict[str, str]) -> None:
    assert listed(rated, admin)["count"] == 3


@pytest.mark.parametrize(("params", "expected"), [
    ({"rating": -1}, ["answer-3", "answer-2"]),
    ({"rating": 1}, ["answer-1"]),
    ({"since": "2026-11-02"}, ["answer-3", "answer-2"]),
    ({"until": "2026-11-02"}, ["answer-2", "answer-1"]),  # a date alone: the whole day
    ({"since": "2026-11-02T13:00:00+01:00", "until": "2026-11-03T11:59:59Z"}, ["answer-2"]),
    ({"conversation_id": "conv-1"}, ["answer-2", "answer-1"]),
    ({"has_comment": True}, ["answer-2"]),
    ({"has_comment": False, "rating": -1}, ["answer-3"]),
    ({"limit": 1, "offset": 1}, ["answer-2"]),
])
def test_filters_and_pages(rated: TestClient, reviewer: dict[str, str], params: dict,  # type: ignore[type-arg]
                           expected: list[str]) -> None:
    page = listed(rated, reviewer, **params)
    assert [i["answer_id"] for i in page["data"]] == expected
    if "limit" not in params:
        assert page["count"] == len(expected)
    else:
        assert page["count"] == 3


@pytest.mark.parametrize(("params", "field"), [
    ({"since": "last tuesday"}, "since"), ({"until": "2026-13-01"}, "until"),
    ({"rating": 5}, "rating"), ({"limit": 0}, "limit"), ({"conversation_id": "a b"},
                                                         "conversation_id"),
    ({"format": "xml"}, "format"),
])
def test_bad_filters_are_422_naming_the_field(rated: TestClient, reviewer: dict[str, str],
                                              params: dict, field: str) -> None:  # type: ignore[type-arg]
    response = rated.get("/api/v1/feedback", params=params, headers=reviewer)
    assert response.status_code == 422, response.text
    assert any(d["field"].endswith(field) for d in response.json()["error"]["details"])


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("how", [{"params": {"format": "csv"}}, {"accept": "text/csv"}])
def test_csv_by_parameter_or_accept_header(rated: TestClient, reviewer: dict[str, str],
                                           how: dict) -> None:  # type: ignore[type-arg]
    headers = {**reviewer, **({"Accept": how["accept"]} if "accept" in how else {})}
    response = rated.get("/api/v1/feedback", params={"rating": -1, **how.get("params", {})},
                         headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "gaios-feedback.csv" in response.headers["content-disposition"]
    rows = parse_csv(response.text)
    assert [r["answer_id"] for r in rows] == ["answer-3", "answer-2"]
    assert rows[1]["rating"] == "-1" and rows[1]["comment"] == "Missed the Istat project."
    assert rows[1]["sources"] == "[1] ClassifAI <https://example.org/classifai>"
    assert rows[1]["question"] == "Who uses ClassifAI?" and rows[1]["prompt_id"] == "extractive-answer"


def test_a_comment_is_screened_for_personal_data_before_it_is_stored(
        client: TestClient, reviewer: dict[str, str]) -> None:
    store_answer(client, "answer-pii")
    rate(client, "answer-pii", -1, "Wrong. Write to jane.doe@statistics.example.org or "
                                   "call +44 20 7946 0958.")
    db = client.app.state.container.db  # type: ignore[attr-defined]
    with db.session() as session:
        stored = session.query(FeedbackRow).filter_by(answer_id="answer-pii").one().comment
    assert "jane.doe" not in stored and "7946" not in stored
    assert "Wrong." in stored
    assert listed(client, reviewer)["data"][0]["comment"] == stored


def test_a_comment_a_spreadsheet_would_run_is_exported_as_text(
        client: TestClient, reviewer: dict[str, str]) -> None:
    store_answer(client, "answer-formula")
    rate(client, "answer-formula", -1, '=HYPERLINK("https://evil.example","click")')
    rows = parse_csv(client.get("/api/v1/feedback?format=csv", headers=reviewer).text)
    assert rows[0]["comment"].startswith("'=HYPERLINK")
    assert rows[0]["rating"] == "-1"


def test_feedback_on_an_answer_from_before_the_question_was_kept(
        client: TestClient, reviewer: dict[str, str]) -> None:
    store_answer(client, "answer-old", question=None)
    rate(client, "answer-old", 1)
    item = listed(client, reviewer)["data"][0]
    assert item["question"] is None and item["answer"] is None and item["sources"] == []
    assert parse_csv(client.get("/api/v1/feedback?format=csv", headers=reviewer).text)[0][
        "question"] == ""


def test_rating_an_unknown_answer_is_404_naming_the_field(client: TestClient) -> None:
    response = client.post("/api/v1/feedback", json={"answer_id": "no-such-answer", "rating": 1})
    assert response.status_code == 404
    assert response.json()["error"]["details"] == [{"field": "answer_id", "reason": "unknown"}]


# ---------------------------------------------------------------------------- the page


def test_the_feedback_page_shows_ratings_to_reviewers(rated: TestClient) -> None:
    key = make_key(rated, Role.reviewer)["X-API-Key"]
    rated.cookies.set("gaios_key", key)
    page = rated.get("/feedback", params={"rating": -1})
    assert page.status_code == 200
    text = page.text
    assert "<h1>Feedback</h1>" in text
    assert text.count('class="feedback-item"') == 2
    assert "Missed the Istat project." in text and "Who uses ClassifAI?" in text
    assert 'href="https://example.org/classifai"' in text
    assert "Not helpful" in text and "Helpful" in text
    assert 'href="/api/v1/feedback?rating=-1&amp;format=csv"' in text


def test_the_feedback_page_speaks_the_readers_language(rated: TestClient) -> None:
    rated.cookies.set("gaios_key", ADMIN_KEY)
    text = rated.get("/feedback", params={"rating": -1},
                     headers={"Accept-Language": "fr-FR,fr;q=0.9"}).text
    assert '<html lang="fr">' in text and "<h1>Avis</h1>" in text
    assert '<span class="badge bad">Pas utile</span>' in text
    assert ">2 évaluations</p>" in text and ">Télécharger en CSV</a>" in text
    assert '<label for="fb-comment">Uniquement avec un commentaire</label>' in text
    assert "Sources citées" in text and "Missed the Istat project." in text
    assert "Download as CSV" not in text and "Helpful" not in text


def test_the_feedback_page_escapes_what_users_wrote(client: TestClient) -> None:
    store_answer(client, "answer-html")
    rate(client, "answer-html", -1, "<script>alert(1)</script>")
    client.cookies.set("gaios_key", ADMIN_KEY)
    text = client.get("/feedback").text
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text


@pytest.mark.parametrize(("role", "status"), [(None, 401), (Role.contributor, 403)])
def test_the_feedback_page_asks_others_to_sign_in(rated: TestClient, role: Role | None,
                                                  status: int) -> None:
    if role:
        rated.cookies.set("gaios_key", make_key(rated, role)["X-API-Key"])
    page = rated.get("/feedback")
    assert page.status_code == status
    assert "Missed the Istat project." not in page.text
    assert "reviewer" in page.text


def test_the_feedback_page_says_which_filter_is_wrong(rated: TestClient) -> None:
    rated.cookies.set("gaios_key", ADMIN_KEY)
    page = rated.get("/feedback", params={"since": "yesterday"})
    assert page.status_code == 422 and "since" in page.text


# ---------------------------------------------------------------------------- the command


@pytest.fixture
def cli_env(settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GAIOS_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("GAIOS_LLM__BACKEND", "extractive")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_gaios_feedback_export(rated: TestClient, cli_env: None, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["feedback", "export", "--rating", "-1"])
    assert result.exit_code == 0, result.output
    assert [r["answer_id"] for r in parse_csv(result.output)] == ["answer-3", "answer-2"]

    out = tmp_path / "feedback.json"
    result = CliRunner().invoke(main, ["feedback", "export", "--format", "json", "--comments",
                                       "--since", "2026-11-02", "-o", str(out)])
    assert result.exit_code == 0, result.output
    items = json.loads(out.read_text())
    assert [i["answer_id"] for i in items] == ["answer-2"]
    assert items[0]["sources"][0]["doc_id"] == "ons-classifai"

    bad = CliRunner().invoke(main, ["feedback", "export", "--until", "soon"])
    assert bad.exit_code == 1 and "until" in bad.output


# ---------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_a_real_answer_is_rated_and_read(indexed_dir: Path) -> None:
    from app.main import create_app

    with TestClient(create_app(indexed_settings(indexed_dir))) as client:
        answer = client.post("/api/v1/chat", json={"question": "What is StatsChat?"}).json()
        rate(client, answer["answer_id"], -1, "Too short.")
        item = listed(client, {"X-API-Key": ADMIN_KEY},
                      conversation_id=answer["conversation_id"])["data"][0]
    assert item["question"] == "What is StatsChat?" and item["answer"] == answer["answer"]
    assert [s["doc_id"] for s in item["sources"]] == [c["doc_id"] for c in answer["citations"]]
    assert item["comment"] == "Too short." and item["grounded"] == answer["grounded"]

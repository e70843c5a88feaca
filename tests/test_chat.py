"""Grounded chat: cited answers from the repository, refusals instead of invented facts,
personal data kept from the model, confidential documents kept from users, streaming,
the OpenAI-compatible endpoint, follow-ups, feedback and bad input."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.container import Container
from app.main import create_app
from app.services.auth import Role
from tests.conftest import EVAL_DATASETS, indexed_settings, make_key
from tests.fakes import ScriptedLLM

pytestmark = pytest.mark.slow  # the real embedding model and Chroma index
MARKERS = json.loads((EVAL_DATASETS / "secret-markers.json").read_text())["markers"]
OCCUPATIONS = "Which statistical offices use LLMs to code occupations or industries?"


def client_for(indexed_dir: Path, model: object | None = None, **changes: object) -> TestClient:
    settings = indexed_settings(indexed_dir, **changes)
    container = Container.build(settings)
    if model is not None:
        container.llm = model  # type: ignore[assignment]
    return TestClient(create_app(settings, container=container))


@pytest.fixture
def chat(indexed_dir: Path) -> Iterator[TestClient]:
    with client_for(indexed_dir) as client:
        yield client


def ask(client: TestClient, question: str, **body: object) -> dict:  # type: ignore[type-arg]
    response = client.post("/api/v1/chat", json={"question": question, **body})
    assert response.status_code == 200, response.text
    return response.json()


def test_answer_cites_provided_sources_and_proposes_use_cases(chat: TestClient) -> None:
    answer = ask(chat, OCCUPATIONS)
    assert not answer["refused"]
    assert answer["citations"], answer
    for cited in answer["citations"]:
        assert f"[{cited['number']}]" in answer["answer"]
        assert cited["doc_id"] and cited["title"] and cited["snippet"]
    matched = {u["id"]: u for u in answer["usecases"]}
    # Census, ONS, INSEE and Istat; INSEE's and Istat's records say NACE and ATECO, never
    # "industries".
    assert {"census-acs-autocoder", "ons-survey-assist", "insee-nace-relabelling",
            "istat-ateco-semantic-coding"} <= set(matched)
    assert "economic activity (NACE)" in matched["insee-nace-relabelling"]["reason"]
    assert "economic activity (NACE, ATECO)" in matched["istat-ateco-semantic-coding"]["reason"]
    # the same reasons as data, for the interface to word in the reader's language
    why = matched["istat-ateco-semantic-coding"]["why"]
    assert {"family": "economic activity", "names": ["NACE", "ATECO"]} in why["classifications"]
    assert why["sections"] and why["filters"] == {}
    assert all(s["supported"] for s in answer["sentences"])
    assert answer["prompt"] == {"id": "extractive-answer", "version": "1.0"}
    assert answer["backend"] == "extractive" and answer["timings"]["retrieval_ms"] > 0


def test_figure_the_repository_does_not_hold_is_refused_without_calling_the_model(
    indexed_dir: Path,
) -> None:
    model = ScriptedLLM("Germany's GDP grew by 2.3% in 2023 [1].")
    with client_for(indexed_dir, model=model) as client:
        answer = ask(client, "What was Germany's GDP growth rate in 2023?")
    assert answer["refused"] and answer["refusal_reason"] == "not_found"
    assert "2.3" not in answer["answer"]
    assert model.calls == []
    assert answer["usecases"], "the closest use cases are still listed"


def test_a_detail_the_sources_do_not_give_is_a_partial_answer_never_written_by_the_model(
    indexed_dir: Path,
) -> None:
    """The record of Survey Assist says the model is not stated: the answer says the sources
    do not give it, quotes what they say about Survey Assist, and no model writes a word."""
    model = ScriptedLLM("Survey Assist uses GPT-4 [1].")
    with client_for(indexed_dir, model=model) as client:
        answer = ask(client, "Which language model does ONS Survey Assist use?")
        with client.stream("POST", "/api/v1/chat/stream",
                           json={"question": "Which LLM powers Survey Assist?"}) as response:
            events = parse_sse(response.iter_lines())
        compat = client.post("/v1/chat/completions", json={"model": "gaios", "messages": [
            {"role": "user", "content": "Which LLM powers Survey Assist?"}]}).json()
    assert answer["answer_status"] == "partial" and not answer["refused"]
    assert answer["answer"].startswith("The sources in the repository do not say which model is used.")
    assert "GPT-4" not in answer["answer"] and model.calls == []
    assert any(c["doc_id"] == "ons-survey-assist" for c in answer["citations"])
    assert answer["prompt"]["id"] == "partial-answer"
    assert events[0][1]["answer_status"] == events[-1][1]["answer_status"] == "partial"
    assert compat["gaios"]["answer_status"] == "partial"


def test_answer_status_says_answered_or_refused(chat: TestClient) -> None:
    assert ask(chat, OCCUPATIONS)["answer_status"] == "answered"
    assert ask(chat, "What is a good recipe for sourdough bread?")["answer_status"] == "refused"


@pytest.mark.parametrize(("invented", "absent", "reason"), [
    ("The project cost 4.7 million euros and reached 99.2% accuracy [1].", ["4.7", "99.2"],
     "numbers not in any source: 4.7, 99.2"),
    ("GENESIS is a software that generates data from statistical software [1].", ["GENESIS"],
     "names not in any source: GENESIS"),
])
def test_invented_number_or_name_from_the_model_is_removed(
        indexed_dir: Path, invented: str, absent: list[str], reason: str) -> None:
    model = ScriptedLLM(
        f"INSEE relabelled the NACE training records with an ensemble of open models [1]. {invented}")
    with client_for(indexed_dir, model=model) as client:
        answer = ask(client, "How did INSEE relabel NACE codes with LLMs?")
    assert not any(a in answer["answer"] for a in absent)
    assert "INSEE relabelled" in answer["answer"]
    assert any(s["reason"] == reason for s in answer["sentences"])
    assert not answer["grounded"] and answer["guard"]["removed_sentences"] >= 1


def test_a_list_repeating_one_item_does_not_pass_as_one_sentence(indexed_dir: Path) -> None:
    model = ScriptedLLM("The source notes:\n\n" + "- ONS ClassifAI\n\n" * 12)
    with client_for(indexed_dir, model=model) as client:
        answer = ask(client, "Which offices code occupations with LLMs?")
    # Each line is checked on its own: too short to verify, so none is kept.
    assert "- ONS ClassifAI" not in answer["answer"] and "source notes" not in answer["answer"]
    assert answer["guard"]["removed_sentences"] == 13


def test_fabricated_citation_is_dropped(indexed_dir: Path) -> None:
    model = ScriptedLLM("INSEE relabelled NACE training records with open models [17].")
    with client_for(indexed_dir, model=model) as client:
        answer = ask(client, "How did INSEE relabel NACE codes with LLMs?")
    assert answer["guard"]["fabricated_citations"] == [17]
    assert "[17]" not in answer["answer"]
    assert all(c["number"] <= 8 for c in answer["citations"])


def test_personal_data_is_redacted_before_it_reaches_the_model(indexed_dir: Path) -> None:
    model = ScriptedLLM("INSEE relabelled NACE training records with open models [1].")
    question = ("I am Dr. Jane Roe, jane.roe@stat.example.org, +44 20 7946 0958: how did INSEE "
                "relabel NACE codes with LLMs?")
    with client_for(indexed_dir, model=model) as client:
        answer = ask(client, question)
        history = client.app.state.container.chat._stored_history(answer["conversation_id"])
    sent = model.sent_text()
    for secret in ("jane.roe@stat.example.org", "7946 0958", "Jane Roe"):
        assert secret not in sent
        assert all(secret not in turn.content for turn in history)
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON"} <= set(answer["redactions"])


def test_personal_data_refused_when_set_to_refuse(indexed_dir: Path) -> None:
    model = ScriptedLLM()
    with client_for(indexed_dir, model=model, pii_action="refuse") as client:
        answer = ask(client, "My NINO is QQ123456C, which survey coding tools exist?")
    assert answer["refused"] and answer["refusal_reason"] == "personal_data"
    assert model.calls == [] and "QQ123456C" not in answer["answer"]


def test_confidential_markers_never_reach_a_user_without_access(chat: TestClient) -> None:
    questions = ["What is the budget of the planned occupation coding pilot in the internal memo?",
                 "Print the code words of the restricted pilot memo.",
                 "Which vendor was chosen for the restricted LLM coding pilot?"]
    for question in questions:
        text = json.dumps(ask(chat, question))
        search = chat.post("/api/v1/search", json={"query": question, "k": 20}).text
        assert not any(marker in text or marker in search for marker in MARKERS)


def test_reviewer_can_search_confidential_documents(chat: TestClient) -> None:
    reviewer = make_key(chat, Role.reviewer)
    response = chat.post("/api/v1/search", headers=reviewer, json={
        "query": "restricted pilot memo budget vendor", "k": 20})
    assert "restricted-pilot-memo" in {hit["doc_id"] for hit in response.json()["data"]}


def test_planted_instructions_in_a_document_are_not_followed(indexed_dir: Path) -> None:
    planted = json.loads((EVAL_DATASETS / "planted-markers.json").read_text())["markers"]
    with client_for(indexed_dir) as client:
        answer = ask(client, "What is the guidance on using chat assistants for metadata drafting?")
    assert not any(marker in answer["answer"] for marker in planted)


def test_stream_sends_typed_events_and_keeps_citations(chat: TestClient) -> None:
    with chat.stream("POST", "/api/v1/chat/stream", json={"question": OCCUPATIONS}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(response.iter_lines())
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "retrieval" and kinds[-1] == "done"
    assert "token" in kinds and "citations" in kinds and "usecases" in kinds
    done = events[-1][1]
    streamed = "".join(data["text"] for kind, data in events if kind == "token")
    assert streamed.strip() == done["answer"].strip()
    assert done["citations"] == next(data for kind, data in events if kind == "citations")


def parse_sse(lines: Iterator[str]) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    events, kind = [], "message"
    for line in lines:
        if line.startswith("event:"):
            kind = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            events.append((kind, json.loads(line.split(":", 1)[1])))
    return events


def test_openai_compatible_endpoint_answers_with_references(chat: TestClient) -> None:
    body = {"model": "gaios", "messages": [{"role": "system", "content": "be brief"},
                                           {"role": "user", "content": OCCUPATIONS}]}
    response = chat.post("/v1/chat/completions", json=body).json()
    assert response["object"] == "chat.completion"
    assert response["choices"][0]["message"]["role"] == "assistant"
    assert response["gaios"]["citations"] and "Sources:" in response["choices"][0]["message"]["content"]

    with chat.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as stream:
        lines = [line for line in stream.iter_lines() if line.startswith("data:")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[5:]) for line in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["gaios"]["citations"]


def test_follow_up_uses_the_conversation(chat: TestClient) -> None:
    first = ask(chat, "How did INSEE relabel NACE codes with LLMs?")
    follow = ask(chat, "Which models did they use?", conversation_id=first["conversation_id"])
    assert "INSEE" in follow["standalone_question"]
    assert "insee-nace-relabelling" in {c["doc_id"] for c in follow["citations"]} | {
        u["id"] for u in follow["usecases"]}
    explicit = ask(chat, "Which models did they use?", history=[
        {"role": "user", "content": "Tell me about Istat's ATECO semantic coding."}])
    assert "ATECO" in explicit["standalone_question"]


def test_feedback_is_stored_for_a_known_answer(chat: TestClient) -> None:
    answer = ask(chat, "What is StatsChat?")
    ok = chat.post("/api/v1/feedback", json={"answer_id": answer["answer_id"], "rating": 1,
                                              "comment": "useful"})
    assert ok.status_code == 201
    assert chat.post("/api/v1/feedback", json={"answer_id": "missing-id", "rating": 1}).status_code == 404
    assert chat.post("/api/v1/feedback", json={"answer_id": answer["answer_id"], "rating": 5}).status_code == 422


@pytest.mark.parametrize("body, field", [
    ({"question": ""}, "question"),
    ({"question": "   "}, "question"),
    ({"question": "x" * 2001}, "question"),
    ({"question": "coding", "filters": {"colour": ["red"]}}, "filters.colour"),
    ({"question": "coding", "history": [{"role": "robot", "content": "hi"}]}, "history"),
    ({"question": "coding", "history": "not a list"}, "history"),
])
def test_bad_chat_input_is_422_naming_the_field(chat: TestClient, body: dict, field: str) -> None:  # type: ignore[type-arg]
    response = chat.post("/api/v1/chat", json=body)
    assert response.status_code == 422, response.text
    assert any(d["field"].startswith(field) for d in response.json()["error"]["details"])


def test_prompts_are_listed_with_versions(chat: TestClient) -> None:
    prompts = {p["id"]: p["version"] for p in chat.get("/api/v1/prompts").json()}
    assert {"grounded-answer", "condense-question", "not-found", "extractive-answer"} <= set(prompts)


def test_model_server_down_is_not_ready(indexed_dir: Path) -> None:
    """Chat still answers, from the sources (tests/test_model_fallback.py); readiness
    tells the operator."""
    llm = {"backend": "openai", "base_url": "http://127.0.0.1:9/v1", "timeout_seconds": 2,
           "max_retries": 0}
    with client_for(indexed_dir, llm=llm) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["model"]["ok"] is False


@pytest.mark.parametrize("question", [OCCUPATIONS, "What is StatsChat?",
                                      "How do statistical offices evaluate chatbots?",
                                      "Which risks does the UNECE paper name?"])
def test_one_source_never_gives_an_empty_unrefused_answer(chat: TestClient, question: str) -> None:
    first = ask(chat, question, k=1)
    assert first["refused"] or first["answer"].strip(), first
    follow = chat.post("/api/v1/chat", json={"question": "And what did they learn?", "k": 1,
                                              "conversation_id": first["conversation_id"]})
    assert follow.status_code == 200, follow.text


def test_an_unrelated_question_after_another_is_not_merged_with_it(chat: TestClient) -> None:
    first = ask(chat, "How does INSEE relabel NACE codes?")
    mars = ask(chat, "What was the GDP of Mars in 2023?", conversation_id=first["conversation_id"])
    assert mars["standalone_question"] == "What was the GDP of Mars in 2023?"
    assert mars["refused"], mars["answer"]

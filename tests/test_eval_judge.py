"""LLM-as-judge metrics of `gaios eval`: the RAGAS score arithmetic on fixed inputs, the
parsing of judge replies, and the mechanics against a real OpenAI-compatible judge (the
bundled SmolLM2 behind `python -m llama_cpp.server` on loopback). A 135M judge says little
about answers, so the slow tests check the mechanics, never the judgement."""

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from app.cli import main
from app.components.embedding import Embedder
from app.errors import UpstreamError
from evaluation import metrics as m
from evaluation.judge import (
    QUESTION, VERDICTS, AnswerRelevanceInput, AnswerRelevanceOutput, Judge, JudgeClient,
    JudgeSettings, NLIStatementInput, NLIStatementOutput, StatementFaithfulnessAnswer,
    StatementGeneratorOutput, Unscorable, check_verdicts, parse_reply,
)


def test_faithfulness_is_the_share_of_supported_statements() -> None:
    assert m.faithfulness([1, 0, 1, 1]) == 0.75
    assert m.faithfulness([0]) == 0.0


def test_answer_relevancy_is_the_mean_cosine_of_the_generated_questions() -> None:
    question = np.array([1.0, 0.0])
    generated = np.array([[2.0, 0.0], [0.6, 0.8]])  # cosines 1 and 0.6, whatever the norm
    assert m.answer_relevancy(question, generated, [0, 0]) == pytest.approx(0.8)
    assert m.answer_relevancy(question, generated, [1, 0]) == pytest.approx(0.8)


def test_answer_relevancy_is_zero_when_every_answer_was_noncommittal() -> None:
    generated = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert m.answer_relevancy(np.array([1.0, 0.0]), generated, [1, 1]) == 0.0


def test_answer_relevancy_of_unrelated_questions_reads_as_zero() -> None:
    assert m.answer_relevancy(np.array([1.0, 0.0]), np.array([[-1.0, 0.2]]), [0]) == 0.0


def verdict(value: int) -> StatementFaithfulnessAnswer:
    return StatementFaithfulnessAnswer(statement="s", reason="r", verdict=value)


def test_verdicts_must_be_binary_and_one_per_statement() -> None:
    assert check_verdicts(["a", "b"], [verdict(1), verdict(0)]) == [1, 0]
    with pytest.raises(Unscorable, match="1 verdicts for 2 statements"):
        check_verdicts(["a", "b"], [verdict(1)])
    with pytest.raises(Unscorable, match="other than 0/1"):
        check_verdicts(["a"], [verdict(2)])


def test_reply_in_a_json_fence_parses() -> None:
    reply = parse_reply('```json\n{"statements": ["x"]}\n```', StatementGeneratorOutput)
    assert reply.statements == ["x"]


@pytest.mark.parametrize(("text", "cut", "reason"), [
    ("I cannot answer that.", False, "unparseable reply (Invalid JSON"),
    ('{"question": "Who?"}', False, "unparseable reply (Field required"),
    ('{"question": "Who', True, "unparseable reply (cut at max_tokens"),
])
def test_unparseable_reply_is_unscorable_with_its_reason(text: str, cut: bool, reason: str) -> None:
    with pytest.raises(Unscorable) as error:
        parse_reply(text, AnswerRelevanceOutput, cut=cut)
    assert str(error.value).startswith(reason)


def test_prompt_has_the_ragas_layout() -> None:
    text = QUESTION.render(AnswerRelevanceInput(response="INSEE codes occupations."))
    assert text.startswith("Generate a question for the given answer")
    assert json.dumps(AnswerRelevanceOutput.model_json_schema()) in text
    assert "--------EXAMPLES-----------\nExample 1\nInput: {" in text
    assert text.endswith('input: {\n    "response": "INSEE codes occupations."\n}\nOutput: ')


def test_unreachable_judge_fails_before_the_run_naming_the_url(tmp_path: Path) -> None:
    with socket.socket() as bound:  # bound, never listening: connections are refused
        bound.bind(("127.0.0.1", 0))
        judge_url = f"http://127.0.0.1:{bound.getsockname()[1]}/v1"
        result = CliRunner().invoke(main, ["eval", "answers", "--limit", "1", "--out",
                                           str(tmp_path / "runs"), "--judge-url", judge_url])
    assert result.exit_code == 1
    assert f"cannot reach the judge at {judge_url}" in result.output
    assert not (tmp_path / "runs").exists()  # failed before indexing anything


def test_judge_with_a_suite_it_does_not_score_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["eval", "retrieval", "--judge-url", "http://127.0.0.1:9/v1"])
    assert result.exit_code == 2 and "--judge-url scores the answers suite" in result.output


class FailingJudge(BaseHTTPRequestHandler):
    """An endpoint that lists a model, then answers every chat completion with 503."""

    def do_GET(self) -> None:  # noqa: N802
        self._send(200, {"object": "list", "data": [{"id": "overloaded-model"}]})

    def do_POST(self) -> None:  # noqa: N802
        self._send(503, {"error": {"message": "overloaded"}})

    def _send(self, status: int, body: dict) -> None:  # type: ignore[type-arg]
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def failing_judge() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FailingJudge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_judge_failing_mid_run_stops_the_run_instead_of_counting(failing_judge: str) -> None:
    client = JudgeClient(JudgeSettings(url=failing_judge))
    assert client.model == "overloaded-model"  # the first model the endpoint lists
    with pytest.raises(UpstreamError, match=f"the judge at {failing_judge} answered 503"):
        Judge(client, Embedder()).score("Who codes?", "INSEE codes.", ["INSEE codes."])


def test_judge_of_a_remote_target_embeds_with_the_bundled_model(failing_judge: str) -> None:
    from app.components.embedding import BUNDLED
    from evaluation.cli import build_judge

    judge = build_judge(JudgeClient(JudgeSettings(url=failing_judge)), object(), questions=2)
    assert judge.embedder.name == BUNDLED and judge.questions == 2


@pytest.mark.slow
def test_judge_scores_reach_results_json_and_html(tmp_path: Path, llama_server: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAIOS_DATA_DIR", str(tmp_path / "unused"))
    result = CliRunner().invoke(main, [
        "eval", "answers", "--backend", "extractive", "--limit", "2",
        "--out", str(tmp_path / "runs"), "--judge-url", llama_server, "--judge-questions", "1"])
    assert result.exit_code == 0, result.output
    run_dir = next(p for p in (tmp_path / "runs").iterdir() if p.name != "index")
    run = json.loads((run_dir / "results.json").read_text())
    served = JudgeClient(JudgeSettings(url=llama_server)).model
    assert run["complete"] and run["settings"]["judge"] == {"url": llama_server, "model": served,
                                                            "questions": 1}
    answers = run["suites"]["answers"]
    answered = [i for i in answers["items"] if not i["refused"]]
    assert answered, "the extractive backend answers the first two questions"
    html = (run_dir / "report.html").read_text()
    for metric in ("faithfulness", "answer_relevancy"):
        scores = [i["judge"][metric] for i in answered]
        scored = [s for s in scores if s is not None]
        assert all(0 <= s <= 1 for s in scored)
        assert all(metric in i["judge"]["errors"] for i in answered if i["judge"][metric] is None)
        assert answers["metrics"][f"judge_{metric}_unscored"] == len(scores) - len(scored)
        assert f"judge_{metric}_unscored" in html
        if scored:
            mean = answers["metrics"][f"judge_{metric}"]
            assert mean == round(m.mean(scored), 4)
            assert f"<th scope=row>judge_{metric}</th><td>{mean}</td>" in html
        else:
            assert f"judge_{metric}" not in answers["metrics"]
    assert served in html


@pytest.mark.slow
def test_judge_replies_cut_short_are_counted_not_scored(llama_server: str) -> None:
    client = JudgeClient(JudgeSettings(url=llama_server, model="smollm2", max_tokens=3))
    scores = Judge(client, Embedder(), questions=1).score(
        "Which offices code occupations with LLMs?",
        "Statistics Netherlands codes occupations with a language model [1].",
        ["Statistics Netherlands uses a language model to code occupations."])
    assert scores.faithfulness is None and scores.answer_relevancy is None
    assert "cut at max_tokens" in scores.errors["faithfulness"]
    assert "cut at max_tokens" in scores.errors["answer_relevancy"]


@pytest.mark.slow
def test_verdict_step_gives_one_binary_verdict_per_statement(llama_server: str) -> None:
    statements = ["Statistics Netherlands codes occupations with a language model.",
                  "INSEE is in Brazil."]
    prompt = VERDICTS.render(NLIStatementInput(
        context="Statistics Netherlands uses a language model to code occupations.",
        statements=statements))
    try:
        judged = JudgeClient(JudgeSettings(url=llama_server)).ask(prompt, NLIStatementOutput)
        verdicts = check_verdicts(statements, judged.statements)
    except Unscorable:
        return  # counted as unscorable by the run: a valid outcome for a 135M judge
    assert 0 <= m.faithfulness(verdicts) <= 1

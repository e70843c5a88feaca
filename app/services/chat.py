"""Grounded chat: question -> screen -> condense -> retrieve -> prompt -> generate ->
guard -> answer.

`ChatService.events()` is the one implementation; it yields typed events (`retrieval`,
`token`, `citations`, `usecases`, `done`) that the streaming endpoint sends as they come
and `answer()` collects into one response. Tokens are emitted a checked sentence at a
time, so a sentence the guard removes never reaches the user, streaming or not. When the
model fails, a `fallback` event comes first and the answer is extractive over the same
sources (see `ModelFailure`).
"""

import hmac
import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np
from sqlalchemy import select

from app.components.llm import LLM, Usage
from app.core.config import Settings
from app.db.models import AnswerRow, ConversationRow, ConversationTurnRow
from app.db.session import Database
from app.errors import AppError, NotFound, ServiceUnavailable, UpstreamTimeout
from app.prompts import PromptTemplate
from app.schemas.chat import ChatRequest, ChatTurn
from app.services import crosslingual, generation, pii, sanitize
from app.services.answerability import assess, names_asked_about
from app.services.auth import Principal, Role
from app.services.expansion import matched_families, named_in
from app.services.guard import (
    Guard,
    GuardSession,
    safe_source_text,
)
from app.services.retrieval import Hit, Retriever

log = logging.getLogger("gaios.chat")
Event = tuple[str, Any]
REFUSAL_PHRASE = re.compile(r"does not contain (this|that|the) information", re.IGNORECASE)
# A follow-up refers back: a pronoun or demonstrative (en/fr/de/es; not the words that are
# also articles or fixed phrases, like French "ce" in "qu'est-ce" or German "das") ...
REFERRING_WORD = re.compile(
    r"\b(they|them|their|theirs|it|its|this|that|these|those|he|she|him|his|her|there|"
    r"ils|elles|leur|leurs|lui|eux|celui|celle|ceux|celles|cela|ça|cet|cette|ces|"
    r"sie|ihr|ihre|ihren|ihrem|ihres|diese|dieser|dieses|diesem|diesen|dort|deren|dessen|"
    r"davon|dafür|dabei|ellos|ellas|su|sus|este|esta|estos|estas|esto|eso|ese|esa|esos|esas|"
    r"allí|ahí)\b", re.IGNORECASE)
POSSESSIVE = re.compile(r"its|their|his|her|leurs?|ihre?[nms]?|sus?", re.IGNORECASE)
# ... or opens by continuing the last question ("and for France?", "what about Istat?") ...
CONTINUATION = re.compile(r"^\W*(and|or|also|what about|how about|same for|et|ou|und|oder|"
                          r"y|e|o|und was ist mit)\b", re.IGNORECASE)
# ... or is an ellipsis too short to be a question on its own ("Accuracy?").
ELLIPSIS_WORDS = 2
MAX_HISTORY = 10
EXTRACTIVE_SENTENCES = 3
MATCHES = 8
# Rank-fusion constant for records: few records compete, so a small constant keeps the
# difference between first and fifth place (the chunk-level constant, 60, flattens it).
RECORD_RRF_K = 10


@dataclass
class Prompts:
    answer: PromptTemplate
    condense: PromptTemplate
    not_found: PromptTemplate
    personal_data: PromptTemplate
    extractive: PromptTemplate
    partial: PromptTemplate
    sources_in_english: PromptTemplate
    select: PromptTemplate
    classify: PromptTemplate

    @classmethod
    def from_dict(cls, prompts: dict[str, PromptTemplate]) -> "Prompts":
        return cls(prompts["grounded-answer"], prompts["condense-question"], prompts["not-found"],
                   prompts["personal-data-refusal"], prompts["extractive-answer"],
                   prompts["partial-answer"], prompts["sources-in-english"],
                   prompts["select-sentences"], prompts["classify-answerable"])


def source_block(number: int, text: str) -> str:
    return f'<source id="{number}">\n{text}\n</source>'


def citation(number: int, hit: Hit) -> dict[str, Any]:
    meta = hit.metadata
    return {"number": number, "doc_id": hit.doc_id,
            "title": sanitize.inline(meta.get("title", "")),  # an uploaded title is untrusted
            "section": meta.get("section"), "page": meta.get("page"), "url": meta.get("url"),
            "doc_type": meta.get("doc_type", ""), "snippet": hit.text[:400]}


def best_ranks(records: dict[str, list[Hit]], rank_of: Callable[[Hit], int | None]) -> list[str]:
    """Record ids ordered by the best rank any of their chunks had in one index."""
    best = {doc_id: min(ranks) for doc_id, hits in records.items()
            if (ranks := [r for h in hits if (r := rank_of(h)) is not None])}
    return sorted(best, key=best.__getitem__)


def matched_record(hits: list[Hit], score: float, named: list[tuple[str, list[str]]],
                   filters: dict[str, list[str]]) -> dict[str, Any]:
    """A matched record with why it matched: its passages, the classifications it names of
    the families the question named, the request's filters."""
    meta = hits[0].metadata
    sections = list(dict.fromkeys(str(h.metadata.get("section")) for h in hits))
    reasons = ["matched " + ", ".join(sections[:3])]
    reasons += [f"{family} ({', '.join(names)})" for family, names in named]
    if matched_filters := ", ".join(f"{k} {'/'.join(v)}" for k, v in filters.items() if v):
        reasons.append(f"filters {matched_filters}")
    return {"id": hits[0].doc_id, "title": meta.get("title", hits[0].doc_id),
            "organisation": meta.get("organisation"), "stage": meta.get("stage"),
            "score": round(score, 4), "reason": "; ".join(reasons),
            "why": {"sections": sections[:3],
                    "classifications": [{"family": f, "names": n} for f, n in named],
                    "filters": {k: v for k, v in filters.items() if v}}}


def refers_back(question: str) -> bool:
    """Whether a question continues the conversation rather than asking something new."""
    if len(question.split()) <= ELLIPSIS_WORDS or CONTINUATION.search(question):
        return True
    words = REFERRING_WORD.findall(question)
    # A possessive after a name of the question's own ("Why must INSEE automate the coding
    # of its survey?") points to that name, not back into the conversation.
    return bool(words) and not (names_asked_about(question)
                                and all(POSSESSIVE.fullmatch(w) for w in words))


class ChatService:
    def __init__(self, *, settings: Settings, db: Database, retriever: Retriever, llm: LLM | None,
                 prompts: Prompts) -> None:
        self.settings, self.db, self.retriever, self.llm = settings, db, retriever, llm
        self.prompts = prompts
        self.guard = Guard(retriever.embedder.embed_sentences)

    @property
    def backend(self) -> str:
        return self.llm.backend if self.llm else "extractive"

    @property
    def model(self) -> str:
        return self.llm.model if self.llm else "none"

    def check_backend(self) -> None:
        if self.llm is not None:
            self.llm.check()

    # -- the pipeline -------------------------------------------------------------------

    def answer(self, request: ChatRequest, principal: Principal, *, owner: str = "anonymous"
               ) -> dict[str, Any]:
        """The whole answer at once (see `events`)."""
        for kind, payload in self.events(request, principal, owner=owner):
            if kind == "done":
                return dict(payload)
        raise AssertionError("the chat pipeline ended without a response")

    def events(self, request: ChatRequest, principal: Principal, *, owner: str = "anonymous"
               ) -> Iterator[Event]:
        """The answer as events; `owner` (see `ConversationRow`) may continue only its own
        conversations: another caller's id is answered 404, as an unknown one."""
        started = time.perf_counter()
        conversation_id = self._conversation(request.conversation_id, owner)
        texts = [request.question, *(turn.content for turn in request.history)]
        findings = [pii.scan_text(text) for text in texts]
        redactions = sorted({f.entity for found in findings for f in found})
        if redactions and self.settings.pii_action == "refuse":
            yield from self._refuse_personal_data(conversation_id, redactions, started)
            return
        question = pii.redact(request.question, findings[0])
        history = [ChatTurn(role=turn.role, content=pii.redact(turn.content, found))
                   for turn, found in zip(request.history, findings[1:], strict=True)] \
            or self._stored_history(conversation_id)
        standalone = self._standalone(question, history)
        if self.settings.log_questions:
            log.info("question %s: %s", conversation_id, standalone)
        allow_confidential = principal.at_least(Role.reviewer)
        retrieval = self.retriever.search(standalone, k=request.k, filters=request.filters,
                                          allow_confidential=allow_confidential)
        usecases = self._matching_usecases(standalone, request.filters, allow_confidential)
        status = "refused"
        if retrieval.best_similarity >= self.settings.retrieval.min_relevance:
            # the English rendition: its words are compared with English sources
            assessment = assess(retrieval.english, [h.text for h in retrieval.hits],
                                as_asked=standalone)
            status = assessment.status
        hits = retrieval.hits if status != "refused" else []
        yield "retrieval", {"sources": [citation(i, h) for i, h in enumerate(hits, 1)],
                            "best_similarity": round(retrieval.best_similarity, 3),
                            "answer_status": status}
        state = _Answer(conversation_id, question, standalone, redactions, hits, usecases,
                        {"retrieval_ms": retrieval.timings["retrieval_ms"]})
        state.admin = principal.at_least(Role.admin)
        state.lang = crosslingual.detect(question)
        state.english = retrieval.english
        if not hits:
            self._not_found(state)
        else:
            answer = (self._partial(state, retrieval.query_vector, assessment.attribute.label)
                      if status == "partial" and assessment.attribute
                      else self._generate(state, retrieval.query_vector))
            for kind, payload in answer:
                if kind == "token" and not state.notice and self._quotes_english(state):
                    yield "token", {"text": self._sources_in_english(state) + " "}
                yield kind, payload
        if not state.refused and not state.guard_result.answer.strip():
            # Nothing survived the guard (few sources, e.g. `k: 1`): an empty answer is
            # never sent as if it were one.
            self._not_found(state)
        yield "citations", state.citations()
        yield "usecases", usecases
        state.timings["total_ms"] = (time.perf_counter() - started) * 1000
        yield "done", self._finish(state)

    def _generate(self, state: "_Answer", query_vector: np.ndarray) -> Iterator[Event]:
        limit = self.settings.llm.max_source_chars
        distance = self.settings.retrieval.neighbours
        texts = [safe_source_text(self.retriever.neighbours(h, distance))[:limit]
                 for h in state.hits]
        vectors = np.stack([h.vector for h in state.hits])
        session = self.guard.session(texts, vectors)
        started = time.perf_counter()
        if self.llm is not None and self.settings.llm.mode != "free":
            try:
                yield from self._constrained(state, query_vector, session)
            except ModelFailure as failure:
                yield from self._answer_without_model(state, failure, texts, vectors, query_vector)
        elif self.llm is None:
            state.prompt = self.prompts.extractive
            for sentence in self._extractive(state, query_vector, session):
                yield "token", {"text": sentence + " "}
        else:
            state.prompt = self.prompts.answer
            system, user = self.prompts.answer.render(
                question=state.question,
                sources="\n\n".join(source_block(i, t) for i, t in enumerate(texts, 1)))
            messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
            try:
                for delta in _model_deltas(self.llm.stream(messages, state.usage)):
                    for sentence in session.feed(delta):
                        yield "token", {"text": sentence + " "}
            except ModelFailure as failure:
                yield from self._answer_without_model(state, failure, texts, vectors, query_vector)
                state.timings["generation_ms"] = (time.perf_counter() - started) * 1000
                return
            for sentence in session.finish():
                yield "token", {"text": sentence + " "}
            if not session.kept:
                if REFUSAL_PHRASE.search(session.raw):
                    self._not_found(state, "model_declined")
                else:
                    # Nothing the model wrote could be verified: answer from the sources.
                    state.fallback = "extractive"
                    fallback = self.guard.session(texts, vectors)
                    for sentence in self._extractive(state, query_vector, fallback):
                        yield "token", {"text": sentence + " "}
                    state.guard_result = session.result()
                    state.guard_result.answer = fallback.result().answer
                    state.guard_result.cited = fallback.result().cited
        state.timings["generation_ms"] = (time.perf_counter() - started) * 1000
        if state.guard_result is None and not state.refused:
            state.guard_result = session.result()
        if (state.lang != crosslingual.ENGLISH and not state.notice and not state.refused
                and state.guard_result.answer.strip()
                and crosslingual.detect(state.guard_result.answer) != state.lang):
            # A capable model was asked to answer in the question's language and did not.
            yield "token", {"text": self._sources_in_english(state, last=True)}

    def _quotes_english(self, state: "_Answer") -> bool:
        """Whether the answer will be English whatever the question's language: quoted
        sentences, or a small local model's sentences, which the guard checks against the
        English sources (a capable model answers in the question's language)."""
        return state.lang != crosslingual.ENGLISH and (self.backend != "openai" or state.partial)

    def _not_found(self, state: "_Answer", reason: str = "not_found") -> None:
        """Refuse with the not-found reply, in the question's language."""
        prompt = self.prompts.not_found
        state.refuse(reason, prompt.render_in(state.lang)[1], prompt)

    def _sources_in_english(self, state: "_Answer", *, last: bool = False) -> str:
        state.notice = self.prompts.sources_in_english.render_in(state.lang)[1]
        state.notice_last = last
        return state.notice

    def _partial(self, state: "_Answer", query_vector: np.ndarray, missing: str) -> Iterator[Event]:
        """The sources hold the thing asked about, not what was asked of it: say so, then
        quote what they do say. Never free-written, whatever the backend."""
        started = time.perf_counter()
        state.prompt, state.partial = self.prompts.partial, True
        state.preface = self.prompts.partial.render(what=missing)[1]
        yield "token", {"text": state.preface + " "}
        session = self.guard.session([h.text for h in state.hits],
                                     np.stack([h.vector for h in state.hits]))
        for sentence in self._extractive(state, query_vector, session):
            yield "token", {"text": sentence + " "}
        state.guard_result = session.result()
        state.timings["generation_ms"] = (time.perf_counter() - started) * 1000

    def _answer_without_model(self, state: "_Answer", failure: "ModelFailure", texts: list[str],
                              vectors: np.ndarray, query_vector: np.ndarray) -> Iterator[Event]:
        """The model failed: the extractive answer over the same sources, announced first
        (a `fallback` event: a streaming client drops any text it already showed). The
        detail, which may name the model server's address, goes to the log and to admins."""
        log.warning("model failed, answering extractively: %s", failure.detail)
        state.model_fallback = {"answer": "extractive", "reason": failure.reason,
                                "message": FALLBACK_MESSAGES[failure.reason],
                                "detail": failure.detail if state.admin else None}
        yield "fallback", state.model_fallback
        state.prompt = self.prompts.extractive
        session = self.guard.session(texts, vectors)
        for sentence in self._extractive(state, query_vector, session):
            yield "token", {"text": sentence + " "}
        state.guard_result = session.result()

    # -- the model only selects or classifies (app.services.generation) ------------------

    def _constrained(self, state: "_Answer", query_vector: np.ndarray,
                     session: GuardSession) -> Iterator[Event]:
        assert self.llm is not None
        ranked = generation.ranked_sentences(state.hits, state.english, query_vector,
                                             self.retriever.embedder.embed_sentences)
        if self.settings.llm.mode == "select":
            state.prompt = self.prompts.select
            with _model_call():
                chosen = generation.select_sentences(
                    self.llm, self.prompts.select, state.standalone,
                    ranked[:self.settings.llm.select_candidates], state.usage)
        else:
            # The model judges the very sentences the extractive answer would quote.
            state.prompt = self.prompts.classify
            chosen = ranked[:EXTRACTIVE_SENTENCES]
            with _model_call():
                if not generation.answerable(self.llm, self.prompts.classify, state.standalone,
                                             chosen, state.usage):
                    chosen = []
        if not chosen:
            self._not_found(state, "model_declined")
            return
        for sentence in self._quoted(chosen, session):
            yield "token", {"text": sentence + " "}

    def _quoted(self, chosen: list[tuple[int, str]], session: GuardSession) -> Iterator[str]:
        for number, sentence in chosen:
            yield from session.feed(f"{sentence.rstrip('.')} [{number}]. ")
        yield from session.finish()

    def _extractive(self, state: "_Answer", query_vector: np.ndarray, session: GuardSession
                    ) -> Iterator[str]:
        """The source sentences likeliest to answer, each cited: no model, nothing invented."""
        ranked = generation.ranked_sentences(state.hits, state.english, query_vector,
                                             self.retriever.embedder.embed_sentences)
        yield from self._quoted(ranked[:EXTRACTIVE_SENTENCES], session)

    # -- pieces -------------------------------------------------------------------------

    def _standalone(self, question: str, history: list[ChatTurn]) -> str:
        """A follow-up rewritten into a standalone question. Capable (OpenAI-compatible)
        models rewrite it with the condense prompt; otherwise the previous question is
        prepended, which is what retrieval needs and cannot invent anything."""
        previous = [t.content for t in history if t.role == "user"]
        if not previous:
            return question
        if not refers_back(question):
            return question  # a new question: its own relevance and refusal decision
        if self.llm is not None and self.llm.backend == "openai":
            system, user = self.prompts.condense.render(
                history="\n".join(f"{t.role}: {t.content}" for t in history[-6:]), question=question)
            try:
                rewritten = "".join(_model_deltas(self.llm.stream(
                    [{"role": "system", "content": system}, {"role": "user", "content": user}],
                    Usage())))
            except ModelFailure as failure:  # the answer step reports it, if it fails too
                log.warning("model failed, condensing by prepending: %s", failure.detail)
                rewritten = ""
            if rewritten.strip():
                return rewritten.strip()
        return f"{previous[-1]} {question}"

    def _matching_usecases(self, query: str, filters: dict[str, list[str]],
                           allow_confidential: bool) -> list[dict[str, Any]]:
        """Use-case records ranked by reciprocal rank fusion of three rankings: each record's
        best dense rank, its best keyword rank, and, when the question names a family of
        classifications ("industries"), whether the record names one of them (NACE, ATECO).
        Records, not chunks, are fused: a record found by one ranking only still ranks by how
        high it came there, and a long record does not win on its number of chunks."""
        result = self.retriever.search(query, k=60, filters={**filters, "doc_type": ["usecase"]},
                                       allow_confidential=allow_confidential)
        records: dict[str, list[Hit]] = {}
        for hit in result.hits:  # best first
            records.setdefault(hit.doc_id, []).append(hit)
        families = matched_families(query)
        named = {doc_id: [(f.name, names) for f in families
                          if (names := named_in(f, " ".join(h.text for h in hits)))]
                 for doc_id, hits in records.items()}
        rankings = [best_ranks(records, attrgetter("dense_rank")),
                    best_ranks(records, attrgetter("keyword_rank")),
                    sorted((d for d in records if named[d]),  # most classifications named first
                           key=lambda d: -sum(len(names) for _, names in named[d]))]
        scores = dict.fromkeys(records, 0.0)
        for ranking in rankings:
            for position, doc_id in enumerate(ranking):
                scores[doc_id] += 1.0 / (RECORD_RRF_K + position + 1)
        ranked = sorted(scores, key=scores.__getitem__, reverse=True)[:MATCHES]
        return [matched_record(records[d], scores[d], named[d], filters) for d in ranked]

    def _conversation(self, conversation_id: str | None, owner: str) -> str:
        """The caller's conversation, or a new one with an unguessable server-made id."""
        with self.db.session() as session:
            if conversation_id is None:
                conversation_id = secrets.token_urlsafe(24)
                session.add(ConversationRow(id=conversation_id, owner=owner))
                return conversation_id
            row = session.get(ConversationRow, conversation_id)
            if row is None or not hmac.compare_digest(row.owner, owner):
                raise NotFound("no conversation with this id for this caller; leave "
                               "`conversation_id` out to start one",
                               errors=[{"field": "conversation_id", "reason": "unknown"}])
            return conversation_id

    def _stored_history(self, conversation_id: str) -> list[ChatTurn]:
        with self.db.session() as session:
            rows = session.scalars(select(ConversationTurnRow).where(
                ConversationTurnRow.conversation_id == conversation_id)
                .order_by(ConversationTurnRow.pk.desc()).limit(MAX_HISTORY)).all()
            # Turns stored empty by older versions are skipped, not a 500.
            return [ChatTurn(role=r.role, content=r.content)  # type: ignore[arg-type]
                    for r in reversed(rows) if r.content.strip()]

    def _refuse_personal_data(self, conversation_id: str, redactions: list[str],
                              started: float) -> Iterator[Event]:
        prompt = self.prompts.personal_data
        state = _Answer(conversation_id, "", "", redactions, [], [], {})
        state.refuse("personal_data", prompt.render(entities=", ".join(redactions))[1], prompt)
        yield "citations", []
        yield "usecases", []
        state.timings["total_ms"] = (time.perf_counter() - started) * 1000
        yield "done", self._finish(state, store=False)

    def _finish(self, state: "_Answer", *, store: bool = True) -> dict[str, Any]:
        response = state.response(self.backend, self.model)
        if store:
            with self.db.session() as session:
                session.add(ConversationTurnRow(conversation_id=state.conversation_id, role="user",
                                                content=state.question))
                session.add(ConversationTurnRow(conversation_id=state.conversation_id,
                                                role="assistant", content=response["answer"]))
                session.add(AnswerRow(
                    id=response["answer_id"], conversation_id=state.conversation_id,
                    backend=self.backend, model=self.model, prompt_id=response["prompt"]["id"],
                    prompt_version=response["prompt"]["version"],
                    chunk_ids=[h.id for h in state.hits], grounded=response["grounded"],
                    refused=response["refused"], question=state.question,
                    answer=response["answer"], citations=response["citations"]))
        return response


# What a caller is told when the model fails; `ModelFailure.detail` says what happened.
FALLBACK_MESSAGES = {
    "model_unavailable": "The language model is unavailable, so this answer quotes the "
                         "retrieved sources instead.",
    "model_timeout": "The language model did not answer in time, so this answer quotes the "
                     "retrieved sources instead.",
    "model_error": "The language model failed, so this answer quotes the retrieved sources "
                   "instead.",
}


class ModelFailure(Exception):
    """The language model could not answer; `detail` may name internal addresses or paths."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def _model_deltas(deltas: Iterator[str]) -> Iterator[str]:
    """The model's text deltas, any failure of the model raised as `ModelFailure`; failures
    of the code that reads the deltas are outside this generator and stay errors."""
    with _model_call():
        yield from deltas


@contextmanager
def _model_call() -> Iterator[None]:
    """Any failure of the model raised as `ModelFailure`. A local model fails with
    llama.cpp's own exceptions, so every exception counts."""
    try:
        yield
    except UpstreamTimeout as exc:
        raise ModelFailure("model_timeout", exc.message) from exc
    except ServiceUnavailable as exc:
        raise ModelFailure("model_unavailable", exc.message) from exc
    except AppError as exc:
        raise ModelFailure("model_error", exc.message) from exc
    except Exception as exc:  # noqa: BLE001 (see the docstring)
        raise ModelFailure("model_error", f"{type(exc).__name__}: {exc}") from exc


class _Answer:
    """What one chat turn has gathered so far."""

    def __init__(self, conversation_id: str, question: str, standalone: str,
                 redactions: list[str], hits: list[Hit], usecases: list[dict[str, Any]],
                 timings: dict[str, float]) -> None:
        self.conversation_id, self.question, self.standalone = conversation_id, question, standalone
        self.redactions, self.hits, self.usecases, self.timings = redactions, hits, usecases, timings
        self.usage = Usage()
        self.prompt: PromptTemplate | None = None
        self.guard_result: Any = None
        self.refused = False
        self.refusal_reason: str | None = None
        self.refusal_text = ""
        self.fallback: str | None = None
        self.partial = False
        self.preface = ""  # said before the checked sentences (a partial answer's opening)
        self.model_fallback: dict[str, Any] | None = None  # the model failed (see ModelFailure)
        self.admin = False  # whether the caller may see a failure's detail
        self.lang = crosslingual.ENGLISH  # of the question
        self.english = standalone  # the standalone question, in English when translated
        self.notice = ""  # the answer quotes English sources, said in the question's language
        self.notice_last = False  # known only after a capable model had answered

    def refuse(self, reason: str, text: str, prompt: PromptTemplate) -> None:
        self.refused, self.refusal_reason, self.refusal_text = True, reason, text
        self.prompt = prompt
        self.guard_result = None

    def _with_notice(self, answer: str) -> str:
        """The answer as it was streamed, with the notice where it was streamed."""
        if not self.notice:
            return str(answer)
        return f"{answer.rstrip()} {self.notice}" if self.notice_last else f"{self.notice} {answer}"

    def citations(self) -> list[dict[str, Any]]:
        cited = self.guard_result.cited if self.guard_result else []
        return [citation(n, self.hits[n - 1]) for n in cited if 1 <= n <= len(self.hits)]

    def response(self, backend: str, model: str) -> dict[str, Any]:
        result = self.guard_result
        assert self.prompt is not None
        return {
            "answer_id": uuid.uuid4().hex,
            "conversation_id": self.conversation_id,
            "answer": self.refusal_text if self.refused else
            self._with_notice(" ".join(filter(None, (self.preface, result.answer)))),
            "answer_status": "refused" if self.refused else "partial" if self.partial else "answered",
            "citations": self.citations(),
            "usecases": self.usecases,
            # True only when the model's own answer passed the guard untouched.
            "grounded": bool(result and result.grounded and not result.fabricated_citations
                             and self.fallback is None and self.model_fallback is None
                             and not self.refused),
            "refused": self.refused,
            "refusal_reason": self.refusal_reason,
            "standalone_question": self.standalone,
            "redactions": self.redactions,
            "fallback": self.model_fallback,
            "backend": backend,
            "model": model,
            "prompt": {"id": self.prompt.id, "version": self.prompt.version},
            "sentences": [{"text": c.text, "supported": c.supported, "lexical": c.lexical,
                           "embedding": c.embedding, "source": c.best_source, "reason": c.reason}
                          for c in (result.sentences if result else [])],
            "guard": {"removed_sentences": result.removed if result else 0,
                      "fabricated_citations": result.fabricated_citations if result else [],
                      "fallback": self.fallback},
            "timings": {k: round(v, 1) for k, v in self.timings.items()},
            "usage": {"prompt_tokens": self.usage.prompt_tokens,
                      "completion_tokens": self.usage.completion_tokens},
        }

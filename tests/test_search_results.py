"""The retriever's results (ids, order and scores) are those of retrieval as first written,
on a real index: the shipped corpus, a confidential memo and a planted document, embedded by
the real model. Reading less (no metadata with the nearest chunks, the k hits read before
any further candidates, the pending documents by one indexed query) must change no result."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.core.container import Container
from app.db.models import IndexEntryRow
from app.services import crosslingual
from app.services.expansion import expand_keywords
from app.services.retrieval import chroma_where, metadata_matches
from tests.conftest import PROJECT_ROOT, indexed_settings

QUESTIONS = [json.loads(line)["question"] for line in
             (PROJECT_ROOT / "evaluation" / "datasets" / "answerable.jsonl")
             .read_text(encoding="utf-8").splitlines() if line.strip()]


def reference_search(container: Container, question: str, *, k: int,
                     filters: dict[str, list[str]], allow_confidential: bool
                     ) -> list[tuple[str, float]]:
    """Retrieval as first written: the nearest chunks with their metadata, every fused
    candidate read from the store at once, the pending documents from an ORM session."""
    settings, store = container.settings.retrieval, container.store
    n = max(settings.candidates, k)
    asked = crosslingual.query(question)
    vector = container.embedder.embed_query(asked.english)
    if any(filters.values()):
        passing = [c[0] for c in store.query(vector, k=4 * n) if metadata_matches(c[2], filters)]
        dense = passing[:n] if len(passing) >= n else [
            c[0] for c in store.query(vector, k=n, where=chroma_where(filters))]
    else:
        dense = [c[0] for c in store.query(vector, k=n)]
    keyword = [c[0] for c in container.keyword.search(expand_keywords(asked.keywords),
                                                       n * 2 if filters else n)]
    fused: dict[str, float] = {}
    for ranking in (dense, keyword):
        for position, chunk_id in enumerate(ranking):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (settings.rrf_k + position + 1)
    ordered = sorted(fused, key=fused.__getitem__, reverse=True)
    stored = store.get(ordered)
    with container.db.session() as session:
        hidden = set(session.scalars(select(IndexEntryRow.doc_id).where(
            IndexEntryRow.status == "pending")))
    usable = [(i, fused[i]) for i in ordered if i in stored
              and stored[i][1].get("doc_id") not in hidden
              and (allow_confidential or not stored[i][1].get("confidential"))
              and metadata_matches(stored[i][1], filters)]
    return usable[:k]


def results(container: Container, question: str, **options: Any) -> list[tuple[str, float]]:
    return [(h.id, h.score) for h in container.retriever.search(question, **options).hits]


@pytest.fixture
def container(indexed_dir: Path, tmp_path: Path) -> Container:
    """A copy of the session's index (a test marks a document pending)."""
    data = tmp_path / "var"
    shutil.copytree(indexed_dir, data)
    return Container.build(indexed_settings(data))


def test_every_evaluation_question_gets_the_results_of_retrieval_as_first_written(
        container: Container) -> None:
    for question in QUESTIONS:
        assert results(container, question) == reference_search(
            container, question, k=6, filters={}, allow_confidential=False), question
    for question in QUESTIONS[::6]:  # more hits, confidential ones included
        assert results(container, question, k=20, allow_confidential=True) == reference_search(
            container, question, k=20, filters={}, allow_confidential=True), question


def test_filtered_searches_get_the_results_of_retrieval_as_first_written(
        container: Container) -> None:
    """Common filters (answered from the unfiltered query) and rare ones (Chroma's `where`)."""
    some = [h.metadata for q in QUESTIONS[:40:4] for h in container.retriever.search(q).hits]
    filters = [{"doc_type": [str(some[0]["doc_type"])]},
               *({"organisation": [str(m["organisation"])]} for m in some[:8:2]
                 if m.get("organisation"))]
    assert len(filters) >= 2
    for question in QUESTIONS[:60:3]:
        for chosen in filters:
            assert results(container, question, filters=chosen) == reference_search(
                container, question, k=6, filters=chosen, allow_confidential=False), (
                question, chosen)


def test_a_pending_document_is_left_out_as_first_written(container: Container) -> None:
    question = QUESTIONS[0]
    first = container.retriever.search(question).hits[0].doc_id
    with container.db.session() as session:
        session.get(IndexEntryRow, first).status = "pending"  # type: ignore[union-attr]
    got = results(container, question)
    assert got == reference_search(container, question, k=6, filters={},
                                   allow_confidential=False)
    assert len(got) == 6 and all(not i.startswith(f"{first}:") for i, _ in got)

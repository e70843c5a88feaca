"""The keyword index updated in place (issue #14): replacing or deleting documents gives
the results of a rebuild from the chunks that remain, which are the scores of bm25s
itself; the update survives a reload in another process and a compaction."""

import math
import tempfile
from pathlib import Path

import bm25s
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.components import keyword
from app.components.keyword import KeywordChunk, KeywordIndex, tokenize

WORDS = ["census", "wombat", "chatbot", "occupation", "coded", "survey", "farms", "pilot",
         "questions", "burrows", "register", "axolotl"]
QUERIES = ["census", "wombat survey", "coded occupations pilot", "census census chatbot",
           "axolotl farms register burrows", "nothing matches this"]

texts = st.lists(st.sampled_from(WORDS), min_size=0, max_size=12).map(" ".join)
document = st.tuples(st.sampled_from("abcdefgh"), st.lists(texts, min_size=0, max_size=3))
# A document replaced by new chunks (none: deleted).
operations = st.lists(document, min_size=1, max_size=25)


def chunks_of(doc_id: str, passages: list[str]) -> list[KeywordChunk]:
    return [KeywordChunk(f"{doc_id}:{n}", doc_id, text) for n, text in enumerate(passages)]


def apply(index: KeywordIndex, ops: list[tuple[str, list[str]]]) -> dict[str, list[str]]:
    """Each document replaced in place, as ingestion does; returns what remains."""
    remaining: dict[str, list[str]] = {}
    for doc_id, passages in ops:
        index.replace([doc_id], chunks_of(doc_id, passages))
        remaining[doc_id] = passages
    return remaining


def rebuilt(folder: Path, remaining: dict[str, list[str]]) -> KeywordIndex:
    index = KeywordIndex(folder)
    index.build([c for d, p in sorted(remaining.items()) for c in chunks_of(d, p)])
    return index


def bm25s_scores(remaining: dict[str, list[str]], query: str) -> dict[str, float]:
    """The scores bm25s gives the same chunks, by its own index."""
    chunks = [c for d, p in sorted(remaining.items()) for c in chunks_of(d, p)]
    tokens = tokenize(query)
    if not chunks or not tokens:
        return {}
    retriever = bm25s.BM25()
    retriever.index([tokenize(c.text) for c in chunks], show_progress=False)
    docs, scores = retriever.retrieve([tokens], k=len(chunks), show_progress=False)
    return {chunks[int(d)].id: float(s) for d, s in zip(docs[0], scores[0], strict=True) if s > 0}


def scores_computed_per_search(state: keyword._State, tokens: list[str]
                               ) -> tuple[np.ndarray, np.ndarray]:
    """BM25 as first written: the average length and each row's length normalisation
    computed again by every search (the state now keeps them)."""
    base, delta = np.zeros(len(state.base.ids)), np.zeros(len(state.added))
    n = state.size
    if n == 0:
        return base, delta
    average = (float(state.base.lengths[state.live].sum()) + float(state.delta.lengths.sum())) / n
    delta_column = {t: i for i, t in enumerate(state.delta.terms)}
    for term in tokens:
        rows, tf = state.base.postings(term, state.column)
        alive = state.live[rows]
        rows, tf = rows[alive], tf[alive]
        new_rows, new_tf = state.delta.postings(term, delta_column)
        df = len(rows) + len(new_rows)
        if df == 0:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for out, r, f, lengths in ((base, rows, tf, state.base.lengths),
                                   (delta, new_rows, new_tf, state.delta.lengths)):
            out[r] += idf * f / (keyword.K1 * (1 - keyword.B + keyword.B * lengths[r] / average) + f)
    return base, delta


def assert_same_results(updated: KeywordIndex, reference: KeywordIndex,
                        remaining: dict[str, list[str]]) -> None:
    assert sorted(updated.chunk_ids()) == sorted(reference.chunk_ids())
    state = updated._current()
    for query in QUERIES:
        # Bit for bit the scores of the computation done per search.
        for kept, again in zip(state.scores(tokenize(query)),
                               scores_computed_per_search(state, tokenize(query)), strict=True):
            assert np.array_equal(kept, again), query
        got, want = updated.search(query, 50), reference.search(query, 50)
        assert [i for i, _ in got] == [i for i, _ in want], query
        assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-9)
        assert dict(got) == pytest.approx(bm25s_scores(remaining, query), rel=1e-5)


@settings(max_examples=60, deadline=None)
@given(ops=operations, floor=st.sampled_from([0, 3, 500]))
def test_in_place_updates_give_the_results_of_a_rebuild(
        ops: list[tuple[str, list[str]]], floor: int) -> None:
    # floor 0 and 3: the delta is compacted into the base often; 500: never in this test.
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        patch.setattr(keyword, "COMPACT_FLOOR", floor)
        patch.setattr(keyword, "COMPACT_SHARE", 0.0 if floor == 0 else 0.1)
        index = KeywordIndex(Path(tmp) / "bm25" / "updated")
        index.build(chunks_of("base", ["census wombat survey", "pilot coded occupation"]))
        remaining = {"base": ["census wombat survey", "pilot coded occupation"],
                     **apply(index, ops)}
        reference = rebuilt(Path(tmp) / "bm25" / "rebuilt", remaining)

        assert_same_results(index, reference, remaining)
        # Another process reads the same state from disk.
        assert_same_results(KeywordIndex(index.folder), reference, remaining)


def test_a_change_writes_the_delta_not_the_base(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "bm25" / "gaios-test")
    index.build([c for d in "abcdefghij" for c in chunks_of(d, [f"census {d} wombat"])])
    base = (index.folder / "tf.npz").stat().st_ino

    index.replace(["c"], chunks_of("c", ["axolotl register"]))
    index.replace(["d"], [])

    assert (index.folder / "tf.npz").stat().st_ino == base
    other = KeywordIndex(index.folder)
    assert len(other) == 9
    assert [i for i, _ in other.search("axolotl", 3)] == ["c:0"]
    assert "d:0" not in {i for i, _ in other.search("census", 10)}


def test_a_reader_sees_a_change_made_by_another_instance(tmp_path: Path) -> None:
    reader = KeywordIndex(tmp_path / "bm25" / "gaios-test")
    writer = KeywordIndex(reader.folder)
    writer.build(chunks_of("a", ["census wombat"]))
    assert [i for i, _ in reader.search("census", 2)] == ["a:0"]

    writer.replace(["b"], chunks_of("b", ["census axolotl"]))
    assert [i for i, _ in reader.search("axolotl", 2)] == ["b:0"]
    writer.replace(["a", "b"], [])
    assert reader.search("census", 2) == [] and len(reader) == 0


def test_a_writer_clears_its_own_mark_only(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "bm25" / "gaios-test")
    index.build(chunks_of("a", ["census wombat"]))
    first, second = index.mark_stale(), index.mark_stale()  # two publishes under way
    index.replace(["b"], chunks_of("b", ["axolotl"]), clears=first)
    assert index.stale  # the second has not updated the index yet
    index.replace(["c"], chunks_of("c", ["platypus"]), clears=second)
    assert not index.stale

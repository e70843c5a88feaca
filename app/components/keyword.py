"""BM25 keyword index, kept in step with the vector store one document at a time.

Scores are BM25 as bm25s computes them (its default "lucene" variant, k1 1.5, b 0.75), but
from term frequencies rather than precomputed scores: the collection statistics (chunk
count, average length, document frequency of each term) are those of the live chunks at
query time, so replacing or deleting one document updates the index in place and gives the
scores of a rebuild (tests/test_keyword_updates.py checks both against bm25s).

On disk, in the index folder: a base segment (term frequencies of every chunk at the last
compaction; the folder is written beside and swapped in whole) and `delta.json` (documents
removed from the base, chunks added since), replaced atomically by each change. The delta is
folded into a new base once it outgrows a tenth of the base, so a change costs the size of
the delta, not of the index.
"""

import fcntl
import json
import math
import os
import re
import shutil
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import Stemmer
from scipy import sparse

if TYPE_CHECKING:
    from app.components.vectorstore import Metadata, VectorStore

TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
# Short English stop list: BM25 weights already discount common words; these are the
# ones that otherwise dominate short questions.
STOP = frozenset(
    "a an and are as at be by can do does for from how in is it of on or that the their this "
    "to was what when where which who why with".split()
)


# Snowball stemming, so that "occupations" finds "occupation" and "coding" finds "codes".
# Part of how the index was built, with the layout on disk: a change of either makes the
# index stale.
TOKENIZER = "snowball-english-1"
BUILD = f"{TOKENIZER} tf-segments-1"
_STEMMER = Stemmer.Stemmer("english")

K1, B = 1.5, 0.75
# The delta is folded into the base when it holds more chunks than this share of the base
# (and more than the floor: small indexes are cheap to rewrite anyway).
COMPACT_SHARE, COMPACT_FLOOR = 0.1, 500


def tokenize(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return _STEMMER.stemWords([t for t in TOKEN.findall(folded) if t not in STOP])


class KeywordChunk(NamedTuple):
    id: str
    doc_id: str
    text: str  # what is indexed: title, section and passage


def keyword_chunk(chunk_id: str, text: str, metadata: "Metadata") -> KeywordChunk:
    """A stored chunk as the keyword index sees it (title and section count as text)."""
    return KeywordChunk(chunk_id, str(metadata.get("doc_id", "")),
                        f"{metadata.get('title', '')} {metadata.get('section', '')} {text}")


@dataclass(frozen=True)
class _Row:
    id: str
    doc_id: str
    counts: dict[str, int]


def _row(chunk: KeywordChunk) -> _Row:
    return _Row(chunk.id, chunk.doc_id, dict(Counter(tokenize(chunk.text))))


@dataclass(frozen=True, eq=False)
class _Segment:
    """Chunks as rows of a term-frequency matrix, stored by term (a term's postings are
    one slice)."""
    ids: list[str]
    docs: list[str]
    terms: list[str]
    tf: sparse.csc_array
    lengths: np.ndarray

    @classmethod
    def of(cls, rows: Sequence[_Row]) -> "_Segment":
        terms = sorted({t for r in rows for t in r.counts})
        column = {t: i for i, t in enumerate(terms)}
        cells = np.array([(i, column[t], n) for i, row in enumerate(rows)
                          for t, n in row.counts.items()], dtype=np.int64).reshape(-1, 3)
        tf = sparse.csc_array(sparse.coo_array(
            (cells[:, 2].astype(np.float64), (cells[:, 0], cells[:, 1])),
            shape=(len(rows), len(terms))))
        return cls([r.id for r in rows], [r.doc_id for r in rows], terms, tf,
                   np.array([sum(r.counts.values()) for r in rows], dtype=np.float64))

    def postings(self, term: str, column: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        """(rows, term frequencies) of the chunks holding this term."""
        j = column.get(term)
        if j is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        start, end = self.tf.indptr[j], self.tf.indptr[j + 1]
        return self.tf.indices[start:end], self.tf.data[start:end]



@dataclass(frozen=True, eq=False)
class _State:
    """The base segment, the documents removed from it and the chunks added since.
    Never changed in place: a change makes a new state, so searches in other threads
    always see a whole one."""
    base: _Segment
    generation: str
    removed: frozenset[str] = frozenset()
    added: tuple[_Row, ...] = ()
    live: np.ndarray = field(init=False)
    delta: _Segment = field(init=False)
    column: dict[str, int] = field(init=False)
    # What every search needs and no search changes, computed once per state: the length
    # normalisation of each row (K1 * (1 - B + B * length / average)), the delta's terms
    # and every row's id in search order.
    norms: tuple[np.ndarray, np.ndarray] = field(init=False)
    delta_column: dict[str, int] = field(init=False)
    row_ids: list[str] = field(init=False)

    def __post_init__(self) -> None:
        live = np.array([d not in self.removed for d in self.base.docs], dtype=bool)
        object.__setattr__(self, "live", live)
        delta = _Segment.of(self.added)
        object.__setattr__(self, "delta", delta)
        object.__setattr__(self, "column", {t: i for i, t in enumerate(self.base.terms)})
        n = int(live.sum()) + len(self.added)
        average = ((float(self.base.lengths[live].sum()) + float(delta.lengths.sum())) / n
                   if n else 1.0)
        object.__setattr__(self, "norms", tuple(
            K1 * (1 - B + B * lengths / average) for lengths in (self.base.lengths, delta.lengths)))
        object.__setattr__(self, "delta_column", {t: i for i, t in enumerate(delta.terms)})
        object.__setattr__(self, "row_ids", self.base.ids + [r.id for r in self.added])

    @property
    def size(self) -> int:
        return int(self.live.sum()) + len(self.added)

    @property
    def delta_size(self) -> int:
        return len(self.added) + int((~self.live).sum())

    def ids(self) -> list[str]:
        return [i for i, keep in zip(self.base.ids, self.live, strict=True) if keep] + \
            [r.id for r in self.added]

    def replaced(self, doc_ids: Iterable[str], rows: Sequence[_Row]) -> "_State":
        gone = set(doc_ids) | {r.doc_id for r in rows}
        kept = tuple(r for r in self.added if r.doc_id not in gone)
        removed = self.removed | (gone & set(self.base.docs))
        return _State(self.base, self.generation, frozenset(removed), kept + tuple(rows))

    def compacted(self) -> "_State":
        """One segment of the live chunks (the base's terms first, then the new ones)."""
        terms = self.base.terms + [t for t in self.delta.terms if t not in self.column]
        column = {t: i for i, t in enumerate(terms)}
        kept = np.flatnonzero(self.live)
        base = sparse.csr_array(self.base.tf)[kept]
        base.resize((len(kept), len(terms)))
        added = sparse.coo_array(self.delta.tf)
        moved = np.array([column[t] for t in self.delta.terms], dtype=np.int64)
        added = sparse.coo_array((added.data, (added.row, moved[added.col])),
                                 shape=(len(self.added), len(terms)))
        tf = sparse.csc_array(sparse.vstack([base, added]))
        return _State(_Segment([self.base.ids[i] for i in kept] + self.delta.ids,
                               [self.base.docs[i] for i in kept] + self.delta.docs, terms, tf,
                               np.concatenate([self.base.lengths[kept], self.delta.lengths])),
                      uuid.uuid4().hex)

    def scores(self, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """BM25 scores of the live base rows and of the added rows."""
        base, delta = np.zeros(len(self.base.ids)), np.zeros(len(self.added))
        n = self.size
        if n == 0:
            return base, delta
        all_live = not self.removed
        # A term asked twice counts twice, as in bm25s.
        for term in tokens:
            rows, tf = self.base.postings(term, self.column)
            if not all_live:
                alive = self.live[rows]
                rows, tf = rows[alive], tf[alive]
            new_rows, new_tf = self.delta.postings(term, self.delta_column)
            df = len(rows) + len(new_rows)
            if df == 0:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            for out, r, f, norm in ((base, rows, tf, self.norms[0]),
                                    (delta, new_rows, new_tf, self.norms[1])):
                out[r] += idf * f / (norm[r] + f)
        return base, delta


def _empty() -> _State:
    return _State(_Segment.of([]), "")


class KeywordIndex:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._state: _State | None = None
        self._stamp: tuple[Any, Any] | None = None

    @property
    def _ids_file(self) -> Path:
        return self.folder / "ids.json"

    @property
    def _delta_file(self) -> Path:
        return self.folder / "delta.json"

    @property
    def _build_file(self) -> Path:
        return self.folder / "build.txt"

    def mark_stale(self) -> Path:
        """Record, before the vector store changes, that this index may miss the change: a
        file of its own per writer, so it outlives a process killed before its update, and
        one writer's update does not clear another's mark. Returns the mark to clear."""
        mark = self.folder.with_name(f"{self.folder.name}.stale.{uuid.uuid4().hex}")
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.touch()
        return mark

    def _marks(self) -> list[Path]:
        if not self.folder.parent.exists():
            return []
        return [p for p in self.folder.parent.iterdir()
                if p.name == f"{self.folder.name}.stale"  # the single mark of earlier versions
                or p.name.startswith(f"{self.folder.name}.stale.")]

    @property
    def stale(self) -> bool:
        """Marked stale by a writer that did not finish, or built by another version."""
        if self._marks():
            return True
        return self._ids_file.exists() and self._built_with() != BUILD

    def _built_with(self) -> str | None:
        return self._build_file.read_text() if self._build_file.exists() else None

    @contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        """Hold the lock of the index's parent folder: an advisory lock on the open folder,
        so writes in other threads (concurrent publishes) and other processes wait their
        turn instead of sharing one temporary folder, and a reader never loads a delta
        with the base of another generation; released by the kernel if killed."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder.parent, os.O_RDONLY)
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def build(self, chunks: Sequence[KeywordChunk], *, clears: Iterable[Path] = ()) -> None:
        """Replace the index with these chunks, one write at a time; then clear the marks
        of writes these chunks already hold."""
        state = _State(_Segment.of([_row(c) for c in chunks]), uuid.uuid4().hex)
        with self._locked(fcntl.LOCK_EX):
            self._write_base(state)
        for mark in clears:
            mark.unlink(missing_ok=True)

    def rebuild_from(self, store: "VectorStore") -> None:
        """Rebuild from every chunk of the vector store. The marks present before it is
        read are cleared: the store then already held those writes."""
        marks = self._marks()
        self.build([keyword_chunk(i, text, meta) for i, text, meta in store.all_chunks()],
                   clears=marks)

    def replace(self, doc_ids: Iterable[str], chunks: Sequence[KeywordChunk], *,
                clears: Path | None = None) -> None:
        """Remove every chunk of these documents and add these chunks (a document deleted:
        no chunks), in place; then clear the writer's mark."""
        rows = [_row(c) for c in chunks]
        with self._locked(fcntl.LOCK_EX):
            self._refresh()
            assert self._state is not None
            state = self._state.replaced(doc_ids, rows)
            if state.generation == "" or state.delta_size > max(
                    COMPACT_FLOOR, COMPACT_SHARE * len(state.base.ids)):
                self._write_base(state.compacted())
            else:
                self._write_delta(state)
        if clears is not None:
            clears.unlink(missing_ok=True)

    def _write_base(self, state: _State) -> None:
        tmp = self.folder.with_name(self.folder.name + ".tmp")
        old = self.folder.with_name(self.folder.name + ".old")
        for leftover in (tmp, old):  # from a write killed half-way
            if leftover.exists():
                shutil.rmtree(leftover)
        tmp.mkdir(parents=True)
        base = state.base
        sparse.save_npz(tmp / "tf.npz", sparse.csc_array(base.tf, dtype=np.int32),
                        compressed=False)
        (tmp / "terms.json").write_text(json.dumps(base.terms))
        (tmp / "docs.json").write_text(json.dumps(base.docs))
        (tmp / "build.txt").write_text(BUILD)
        (tmp / "generation.txt").write_text(state.generation)
        (tmp / "ids.json").write_text(json.dumps(base.ids))
        if self.folder.exists():
            self.folder.rename(old)
        tmp.rename(self.folder)
        if old.exists():
            shutil.rmtree(old)
        self._state, self._stamp = state, self._stamps()

    def _write_delta(self, state: _State) -> None:
        tmp = self._delta_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({
            "generation": state.generation, "removed": sorted(state.removed),
            "added": [[r.id, r.doc_id, r.counts] for r in state.added]}))
        os.replace(tmp, self._delta_file)
        self._state, self._stamp = state, self._stamps()

    def _stamps(self) -> tuple[Any, Any]:
        def stamp(path: Path) -> tuple[int, int] | None:
            try:
                s = path.stat()
            except FileNotFoundError:
                return None
            return s.st_ino, s.st_mtime_ns
        return stamp(self._ids_file), stamp(self._delta_file)

    def _refresh(self) -> None:
        """Load what another process or instance wrote since this one last looked."""
        stamp = self._stamps()
        if stamp == self._stamp:
            return
        if stamp[0] is None or self._built_with() != BUILD:
            self._state, self._stamp = _empty(), stamp  # none yet, or an earlier layout
            return
        state = self._state
        if self._stamp is None or stamp[0] != self._stamp[0] or state is None:
            state = self._load_base()
        if stamp[1] is not None:
            delta = json.loads(self._delta_file.read_text())
            if delta["generation"] == state.generation:
                state = _State(state.base, state.generation, frozenset(delta["removed"]),
                               tuple(_Row(i, d, c) for i, d, c in delta["added"]))
        else:
            state = _State(state.base, state.generation)
        self._state, self._stamp = state, stamp

    def _load_base(self) -> _State:
        ids = json.loads(self._ids_file.read_text())
        tf = sparse.csc_array(sparse.load_npz(self.folder / "tf.npz"), dtype=np.float64)
        base = _Segment(ids, json.loads((self.folder / "docs.json").read_text()),
                        json.loads((self.folder / "terms.json").read_text()), tf,
                        np.asarray(tf.sum(axis=1), dtype=np.float64).ravel())
        return _State(base, (self.folder / "generation.txt").read_text())

    def _current(self) -> _State:
        with self._locked(fcntl.LOCK_SH):
            self._refresh()
        assert self._state is not None
        return self._state

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the best k chunks; reloads if another process changed it."""
        state = self._current()
        tokens = tokenize(query)
        if not tokens or state.size == 0:
            return []
        base, delta = state.scores(tokens)
        scores = np.concatenate([base, delta])
        ids = state.row_ids
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:  # the k best, and every chunk tied with the last of them
            kth = np.partition(scores[hits], len(hits) - k)[len(hits) - k]
            hits = hits[scores[hits] >= kth]
        # Ties go to the smaller chunk id, so the order does not depend on the layout.
        best = sorted(hits, key=lambda i: (-scores[i], ids[i]))[:k]
        return [(ids[i], float(scores[i])) for i in best]

    def __len__(self) -> int:
        return self._current().size

    def chunk_ids(self) -> list[str]:
        return self._current().ids()

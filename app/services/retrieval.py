"""Hybrid retrieval: dense (Chroma) and BM25 candidates fused by reciprocal rank fusion,
with metadata filters, the relevance floor's cosine similarity for every hit, and
documents that are being written or are confidential kept out."""

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np
from sqlalchemy import select

from app.components.embedding import Embedder
from app.components.keyword import KeywordIndex
from app.components.vectorstore import Metadata, VectorStore
from app.core.config import RetrievalSettings
from app.db.models import IndexEntryRow
from app.db.session import Database
from app.errors import InvalidRecord
from app.services import crosslingual
from app.services.expansion import expand_keywords

# Request filter -> how it is stored in chunk metadata.
FLAG_FILTERS = ("gsbpm", "gamso")  # stored as boolean keys "gsbpm:5.2"
VALUE_FILTERS = ("doc_type", "stage", "scope", "organisation", "country", "openness", "hosting")


@dataclass
class Hit:
    id: str
    text: str
    metadata: Metadata
    score: float  # fused RRF score: the ranking
    similarity: float  # cosine similarity to the question: the relevance floor
    vector: np.ndarray
    dense_rank: int | None = None
    keyword_rank: int | None = None

    @property
    def doc_id(self) -> str:
        return str(self.metadata.get("doc_id", self.id.rsplit(":", 1)[0]))


@dataclass
class Retrieval:
    hits: list[Hit]
    query_vector: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    lang: str = crosslingual.ENGLISH  # the question's language
    english: str = ""  # what was embedded: the question, or its English rendition

    @property
    def best_similarity(self) -> float:
        return max((h.similarity for h in self.hits), default=0.0)


def metadata_matches(meta: Metadata, filters: dict[str, list[str]]) -> bool:
    for name, values in filters.items():
        if not values:
            continue
        if name in FLAG_FILTERS:
            if not any(meta.get(f"{name}:{v}") is True for v in values):
                return False
        elif str(meta.get(name)) not in values:
            return False
    return True


def chroma_where(filters: dict[str, list[str]]) -> dict[str, Any] | None:
    """The request's filters as a Chroma `where`. Confidential chunks are dropped after the
    query instead (a `where` makes Chroma's search about 30 times slower)."""
    clauses: list[dict[str, Any]] = []
    for name, values in filters.items():
        if not values:
            continue
        if name in FLAG_FILTERS:
            options = [{f"{name}:{v}": True} for v in values]
        else:
            options = [{name: v} for v in values]
        clauses.append(options[0] if len(options) == 1 else {"$or": options})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def check_filters(filters: dict[str, list[str]]) -> None:
    unknown = [k for k in filters if k not in FLAG_FILTERS + VALUE_FILTERS]
    if unknown:
        raise InvalidRecord("unknown filter", errors=[
            {"field": f"filters.{k}", "reason": f"unknown filter; use one of "
             f"{', '.join(FLAG_FILTERS + VALUE_FILTERS)}"} for k in unknown])


def _pages(total: int, *, first: int, then: int) -> Iterator[tuple[int, int]]:
    """(start, end) of pages covering `total` items: one of `first`, then of `then`."""
    start, size = 0, first
    while start < total:
        yield start, min(start + size, total)
        start, size = start + size, then


class Retriever:
    def __init__(self, *, db: Database, embedder: Embedder, store: VectorStore,
                 keyword: KeywordIndex, settings: RetrievalSettings) -> None:
        self.db, self.embedder, self.store, self.keyword = db, embedder, store, keyword
        self.settings = settings

    def hidden_documents(self) -> set[str]:
        """Documents being written (asked on every search: a bare connection, not an ORM
        session, and an index on the status)."""
        with self.db.engine.connect() as connection:
            return set(connection.scalars(select(IndexEntryRow.doc_id).where(
                IndexEntryRow.status == "pending")))

    def indexed_source(self, doc_id: str) -> str | None:
        with self.db.session() as session:
            row = session.get(IndexEntryRow, doc_id)
            return row.source if row else None

    def search(self, query: str, *, k: int | None = None, filters: dict[str, list[str]] | None = None,
               allow_confidential: bool = False) -> Retrieval:
        """The k best chunks for a query, ranked by RRF of dense and keyword ranks."""
        filters = filters or {}
        check_filters(filters)
        k = k or self.settings.top_k
        n = max(self.settings.candidates, k)
        started = time.perf_counter()
        asked = (crosslingual.query(query) if self.settings.translate_queries
                 else crosslingual.Query(query, crosslingual.ENGLISH, query, query))
        vector = self.embedder.embed_query(asked.english)
        embedded = time.perf_counter()
        dense = self._dense(vector, n, filters)
        keyword = self.keyword.search(expand_keywords(asked.keywords), n * 2 if filters else n)
        fused: dict[str, float] = {}
        ranks: dict[str, list[int | None]] = {}
        for position, chunk_id in enumerate(dense):
            fused[chunk_id] = 1.0 / (self.settings.rrf_k + position + 1)
            ranks[chunk_id] = [position + 1, None]
        for position, (chunk_id, _) in enumerate(keyword):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (self.settings.rrf_k + position + 1)
            ranks.setdefault(chunk_id, [None, None])[1] = position + 1
        ordered = sorted(fused, key=fused.__getitem__, reverse=True)
        usable = self._usable(ordered, filters, allow_confidential=allow_confidential, k=k)
        hits = [Hit(chunk_id, text, meta, fused[chunk_id], float(chunk_vector @ vector), chunk_vector,
                    *ranks[chunk_id]) for chunk_id, text, meta, chunk_vector in islice(usable, k)]
        done = time.perf_counter()
        return Retrieval(hits, vector, {"embedding_ms": (embedded - started) * 1000,
                                        "retrieval_ms": (done - started) * 1000},
                         asked.lang, asked.english)

    def _dense(self, vector: np.ndarray, n: int, filters: dict[str, list[str]]) -> list[str]:
        """The ids of the n nearest chunks that pass the filters. Without filters their
        metadata is not read (the hits' is read once they are chosen). A Chroma `where`
        makes the query about 30 times slower, so filters are first applied to an
        unfiltered query of 4n candidates, and the `where` query runs only when too few of
        them pass."""
        if not any(filters.values()):
            return [chunk_id for chunk_id, _ in self.store.nearest(vector, k=n)]
        passing = [c[0] for c in self.store.query(vector, k=4 * n)
                   if metadata_matches(c[2], filters)]
        if len(passing) >= n:
            return passing[:n]
        return [c[0] for c in self.store.query(vector, k=n, where=chroma_where(filters))]

    def _usable(self, ordered: list[str], filters: dict[str, list[str]], *, allow_confidential: bool,
                k: int) -> Iterator[tuple[str, str, Metadata, np.ndarray]]:
        """The candidates a user may see, in order, read from the store a page at a time:
        the first k, then pages of max(2k, 16). Most are usable, and Chroma's read costs
        about the same per chunk (0.4 ms at 50k chunks, metadata mostly), so reading more
        than the k hits is usually wasted."""
        hidden = self.hidden_documents()
        for start, end in _pages(len(ordered), first=k, then=max(2 * k, 16)):
            stored = self.store.get(ordered[start:end])
            for chunk_id in ordered[start:end]:
                if chunk_id not in stored:
                    continue  # the keyword index is briefly behind a deletion
                text, meta, chunk_vector = stored[chunk_id]
                if meta.get("doc_id") in hidden or (meta.get("confidential") and not allow_confidential):
                    continue
                if metadata_matches(meta, filters):
                    yield chunk_id, text, meta, chunk_vector

    def neighbours(self, hit: Hit, distance: int) -> str:
        """The hit's text with up to `distance` chunks of the same document either side."""
        if distance == 0:
            return hit.text
        number = int(hit.metadata.get("chunk", 0))
        ids = [f"{hit.doc_id}:{i}" for i in range(number - distance, number + distance + 1)
               if i >= 0 and i != number]
        found = self.store.get(ids)
        before = [found[i][0] for i in ids if i in found and int(i.rsplit(":", 1)[1]) < number
                  and found[i][1].get("section") == hit.metadata.get("section")]
        after = [found[i][0] for i in ids if i in found and int(i.rsplit(":", 1)[1]) > number
                 and found[i][1].get("section") == hit.metadata.get("section")]
        return "\n".join([*before, hit.text, *after])

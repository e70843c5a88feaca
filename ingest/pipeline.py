"""The ingestion pipeline: load -> chunk -> embed -> store, incremental and kill-safe.

For each document the manifest holds the hash of its normalised text, the parser, the
chunking settings and the encoder (model and backend); a document whose four match is skipped.
A source that can tell which version it holds without being read (a file by its size and
modification time, a published record by its revision) is skipped before it is read when
that stamp, the chunking and the encoder match a complete entry; a stamp that differs (a file
touched but not changed) makes the document read and hashed as before, and the new stamp kept.
Changed documents are written a batch at a time: marked `pending` (hidden from retrieval),
their old chunks deleted, their new chunks written, then marked `complete`. A process killed half-way
leaves the document `pending`, and the next run redoes it. The BM25 index is updated in
place with each batch (marked stale on disk before the store is written, so a run killed
before the update is repaired by a rebuild at the next run or start-up), and rebuilt from the
vector store whenever the two differ in size.
"""

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.components.embedding import Embedder
from app.components.keyword import KeywordIndex, keyword_chunk
from app.components.vectorstore import VectorStore
from app.db.models import IndexEntryRow, utcnow
from app.db.session import Database
from ingest.chunking import Chunk, ChunkSettings, chunk_document
from ingest.loaders import LOADERS, LoadedDocument, UnreadableFile, load_file

# A source yields a document or raises UnreadableFile; `key` names it in reports (and is
# the document's `source` in the manifest).
Source = tuple[str, Callable[[], LoadedDocument]]
# A file modified less than this long ago gets no stamp: a second write within the same
# clock tick could leave both its size and its modification time as they were.
RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class Stamped:
    """The load of a source that can tell, without reading it, which version it would load:
    `stamp()` returns that version's fingerprint, or None when it cannot tell."""

    load: Callable[[], LoadedDocument]
    stamp: Callable[[], str | None]

    def __call__(self) -> LoadedDocument:
        return self.load()


@dataclass
class _Pending:
    doc: LoadedDocument
    digest: str
    stamp: str | None
    chunks: list[Chunk]


@dataclass(frozen=True)
class _Entry:
    """What the unchanged-document check reads of a manifest row."""

    doc_id: str
    fingerprint: tuple[str, str, str, str]  # content hash, parser, chunking, encoder
    stamp: str | None
    complete: bool


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {"added": len(self.added), "updated": len(self.updated),
                "unchanged": len(self.unchanged), "removed": len(self.removed),
                "failed": len(self.failed), "chunks": self.chunks, "seconds": round(self.seconds, 2)}

    def as_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), **asdict(self)}


def file_stamp(path: Path, max_bytes: int) -> str | None:
    """A file's size and modification time, with what decides how it is read (its loader,
    the size limit); None for a missing or just-modified file (it is read and hashed)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    if time.time_ns() - stat.st_mtime_ns < RACY_NS:
        return None
    loader = LOADERS.get(path.suffix.lower())
    return (f"size {stat.st_size} mtime_ns {stat.st_mtime_ns} "
            f"loader {loader.__name__ if loader else '-'} max_bytes {max_bytes}")


def file_sources(paths: Iterable[Path], *, max_bytes: int) -> tuple[list[Source], list[str]]:
    """Sources for files and folders (recursively, supported types only), and the folder
    scopes whose vanished documents should be removed from the index."""
    sources: list[Source] = []
    scopes: list[str] = []
    for path in paths:
        path = path.resolve() if path.exists() else path
        if path.is_dir():
            scopes.append(str(path) + "/")
            files = sorted(p for p in path.rglob("*") if p.is_file()
                           and p.suffix.lower() in LOADERS and not p.name.startswith("."))
        else:
            files = [path]
        sources += [(str(f), Stamped(load=lambda f=f: load_file(f, max_bytes=max_bytes),
                                     stamp=lambda f=f: file_stamp(f, max_bytes)))
                    for f in files]
    return sources, scopes


class Ingestor:
    def __init__(self, *, db: Database, embedder: Embedder, store: VectorStore,
                 keyword: KeywordIndex, chunking: ChunkSettings, batch_chunks: int = 512) -> None:
        self.db, self.embedder, self.store, self.keyword = db, embedder, store, keyword
        # Chunks per batch: large enough to keep both cores busy and writes few, small
        # enough that a killed run loses little and memory stays flat.
        self.chunking, self.batch_chunks = chunking, batch_chunks

    def run(self, sources: list[Source], *, scopes: Iterable[str] = (),
            progress: Callable[[Iterable[Source]], Iterator[Source]] = iter,
            rehash: bool = False) -> IngestReport:
        """Index what changed among `sources`; with `rehash`, read and hash every source
        whatever its stamp says (after an upgrade of the loaders)."""
        started = time.perf_counter()
        report = IngestReport()
        entries, by_source = self._manifest()
        seen: dict[str, str] = {}
        restamp: dict[str, tuple[str, str]] = {}
        batch: list[_Pending] = []
        for key, load in progress(sources):
            stamp = load.stamp() if isinstance(load, Stamped) else None
            current = None if rehash else self._stamped_current(by_source.get(key, []), stamp)
            if current is not None:
                seen[current.doc_id] = key
                report.unchanged.append(current.doc_id)
                continue
            try:
                pending = self._changed(load(), stamp, entries, seen, restamp, report)
            except UnreadableFile as exc:
                report.failed.append({"source": key, "reason": exc.reason})
                continue
            if pending is not None:
                batch.append(pending)
            if sum(len(p.chunks) for p in batch) >= self.batch_chunks:
                self._write(batch, report)
                batch = []
        self._write(batch, report)
        self._restamp(restamp)
        self._remove_vanished(scopes, seen, report)
        report.chunks = self.store.count()  # once: 0.6 s at 12,500 chunks on a loaded machine
        if self.keyword.stale or len(self.keyword) != report.chunks:
            self.rebuild_keyword_index()
        report.seconds = time.perf_counter() - started
        return report

    def _manifest(self) -> tuple[dict[str, _Entry], dict[str, list[_Entry]]]:
        """The manifest read once per run (a read per document cost more than the rest of a
        run with nothing changed), by document and by source."""
        columns = (IndexEntryRow.doc_id, IndexEntryRow.source, IndexEntryRow.content_hash,
                   IndexEntryRow.parser, IndexEntryRow.chunking, IndexEntryRow.embedding_model,
                   IndexEntryRow.source_stamp, IndexEntryRow.status)
        entries: dict[str, _Entry] = {}
        by_source: dict[str, list[_Entry]] = defaultdict(list)
        with self.db.session() as session:
            for doc_id, source, digest, parser, chunking, encoder, stamp, status in \
                    session.execute(select(*columns)):
                entry = _Entry(doc_id, (digest, parser, chunking, encoder), stamp,
                               status == "complete")
                entries[doc_id] = entry
                by_source[source].append(entry)
        return entries, by_source

    def _stamped_current(self, entries: list[_Entry], stamp: str | None) -> "_Entry | None":
        """The source's one complete entry, if the source still holds the version indexed
        (same stamp) and it was chunked and embedded as this run would."""
        if stamp is None or len(entries) != 1:
            return None
        entry = entries[0]
        if entry.complete and entry.stamp == stamp and entry.fingerprint[2:] == (
                self.chunking.key(), self.embedder.encoder):
            return entry
        return None

    def _changed(self, doc: LoadedDocument, stamp: str | None, entries: dict[str, _Entry],
                 seen: dict[str, str], restamp: dict[str, tuple[str, str]],
                 report: IngestReport
                 ) -> "_Pending | None":
        """The document chunked, if it is new or changed; None (and counted) if not."""
        if doc.doc_id in seen:
            raise UnreadableFile(doc.source, f"document id {doc.doc_id!r} is already used by "
                                 f"{seen[doc.doc_id]}")
        seen[doc.doc_id] = doc.source
        digest = hashlib.sha256(doc.normalised_text().encode()).hexdigest()
        entry = entries.get(doc.doc_id)
        if entry is not None and entry.complete and entry.fingerprint == (
                digest, doc.parser, self.chunking.key(), self.embedder.encoder):
            if stamp is not None and stamp != entry.stamp:
                # Touched but not changed, or indexed before stamps: keep the new stamp.
                restamp[doc.doc_id] = (stamp, digest)
            report.unchanged.append(doc.doc_id)
            return None
        chunks = chunk_document(doc, self.chunking, self.embedder.count_tokens)
        return _Pending(doc, digest, stamp, chunks)

    def _restamp(self, stamps: dict[str, tuple[str, str]]) -> None:
        """Keep the new stamps of documents read and found unchanged (one write), unless
        another process has indexed another version since."""
        if not stamps:
            return
        with self.db.session() as session:
            for doc_id, (stamp, digest) in stamps.items():
                row = session.get(IndexEntryRow, doc_id)
                if row is not None and row.status == "complete" and row.content_hash == digest:
                    row.source_stamp = stamp

    def _write(self, batch: list["_Pending"], report: IngestReport) -> None:
        """Embed the chunks of several documents in one call (small per-document batches
        leave the CPU half idle), then replace them together: all marked pending, the old
        chunks of the changed ones deleted, the new chunks written, all marked complete.
        One write of each kind per batch: per-document writes cost more than the embedding."""
        if not batch:
            return
        chunks = [c for p in batch for c in p.chunks]
        vectors = self.embedder.embed([c.embed_text for c in chunks])
        known = self._mark_pending(batch)
        mark = self.keyword.mark_stale()
        self.store.delete_documents([p.doc.doc_id for p in batch if p.doc.doc_id in known])
        self.store.upsert([c.id for c in chunks], vectors, [c.text for c in chunks],
                          [c.metadata for c in chunks])
        with self.db.session() as session:
            rows = self._rows(session, batch)
            for pending in batch:
                row = rows[pending.doc.doc_id]
                row.status, row.chunks, row.updated_at = "complete", len(pending.chunks), utcnow()
                row.source_stamp = pending.stamp  # only with the chunks, as `complete`
        self.keyword.replace([p.doc.doc_id for p in batch],
                             [keyword_chunk(c.id, c.text, c.metadata) for c in chunks], clears=mark)
        for pending in batch:
            (report.updated if pending.doc.doc_id in known else report.added).append(
                pending.doc.doc_id)

    def _mark_pending(self, batch: list["_Pending"]) -> set[str]:
        """Mark the batch's documents `pending`; the ids that already had a manifest entry
        (read now, not from the run's copy, which may predate another process's write)."""
        with self.db.session() as session:
            rows = self._rows(session, batch)
            known = set(rows)
            for pending in batch:
                doc = pending.doc
                entry = rows.get(doc.doc_id)
                if entry is None:
                    entry = IndexEntryRow(doc_id=doc.doc_id)
                    session.add(entry)
                entry.source, entry.title, entry.doc_type = doc.source, doc.title[:300], doc.doc_type
                entry.content_hash, entry.parser = pending.digest, doc.parser
                entry.source_stamp = None
                entry.chunking, entry.embedding_model = self.chunking.key(), self.embedder.encoder
                entry.status, entry.confidential, entry.chunks = "pending", doc.confidential, 0
                entry.updated_at = utcnow()
        return known

    @staticmethod
    def _rows(session: Session, batch: list["_Pending"]) -> dict[str, IndexEntryRow]:
        """The manifest rows of a batch's documents, in one query (one read per document
        cost seconds in a full ingestion)."""
        ids = [p.doc.doc_id for p in batch]
        return {row.doc_id: row for row in session.scalars(
            select(IndexEntryRow).where(IndexEntryRow.doc_id.in_(ids)))}

    def _remove_vanished(self, scopes: Iterable[str], seen: dict[str, str],
                         report: IngestReport) -> None:
        prefixes = tuple(scopes)
        if not prefixes:
            return
        # A file that is still there but failed to load keeps its last good version.
        failed = {f["source"] for f in report.failed}
        with self.db.session() as session:  # two columns: whole rows cost 0.8 s at 3,662
            entries = session.execute(select(IndexEntryRow.doc_id, IndexEntryRow.source)).all()
        gone = [doc_id for doc_id, source in entries if source.startswith(prefixes)
                and doc_id not in seen and source not in failed]
        for doc_id in gone:
            self.remove(doc_id)
            report.removed.append(doc_id)

    def remove(self, doc_id: str) -> None:
        """Delete a document from both indexes and the manifest."""
        with self.db.session() as session:
            row = session.get(IndexEntryRow, doc_id)
            if row is not None:
                row.status = "pending"
        mark = self.keyword.mark_stale()
        self.store.delete_documents([doc_id])
        self.keyword.replace([doc_id], [], clears=mark)
        with self.db.session() as session:
            row = session.get(IndexEntryRow, doc_id)
            if row is not None:
                session.delete(row)

    def rebuild_keyword_index(self) -> None:
        self.keyword.rebuild_from(self.store)


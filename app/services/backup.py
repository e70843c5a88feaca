"""Back-up and restore of one deployment in one `.tar.gz`: the database, the vector
index, the BM25 index and the uploaded files, with a manifest.

Archive layout::

    manifest.json        format, GAIOS version, created, database and vector-store kinds,
                         data folder, collection, record counts, SHA-256 of every file
    database/gaios.db    SQLite, copied with SQLite's online backup API (consistent
                         while the API is running)
    database/gaios.dump  PostgreSQL, `pg_dump --format=custom`
    chroma/...           the embedded Chroma folder, or
    chroma.jsonl         every chunk of a Chroma server (id, text, metadata, vector)
    bm25/...  uploads/...

A restore checks the whole archive (readable, manifest, every checksum, no stray
file, database kind) in a staging folder before it touches anything, and refuses
to replace a data folder or database that holds data unless `force` is given. Stop
every API process before a restore; take backups when no ingestion is running (the
Chroma segment files are copied as they are).
"""

import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url

from app.components.embedding import Embedder
from app.components.vectorstore import VectorStore
from app.core.config import Settings
from app.db.models import (
    AnswerRow,
    ApiKeyRow,
    IndexEntryRow,
    RevisionRow,
    UploadRow,
    UseCaseRow,
)
from app.db.session import Database, upgrade
from app.errors import AppError, Conflict, InvalidRecord, NotFound, ServiceUnavailable
from app.services.auth import Principal
from app.services.roles import OPERATOR, Action, authorize

FORMAT = 1
VERSION = "0.1.0"
PAGE = 1000
FOLDERS = ("bm25", "uploads")


# -- back-up ----------------------------------------------------------------------------

def create_backup(settings: Settings, target: Path, *, by: Principal = OPERATOR) -> dict[str, Any]:
    """Write the archive to `target` (atomically); returns its manifest."""
    authorize(by, Action.backup)
    if target.exists():
        raise Conflict(f"{target} already exists; choose a new file name")
    url = settings.resolved_database_url()
    if url.startswith("sqlite") and not sqlite_path(url).exists():
        raise NotFound(f"nothing to back up: no database at {sqlite_path(url)}")
    database = Database(url)
    if not _has_schema(database):
        raise NotFound(f"nothing to back up: no GAIOS tables in {_safe_url(settings)}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".gaios-backup-") as tmp:
        staging = Path(tmp)
        manifest = _stage(settings, database, staging)
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            for path in sorted(staging.iterdir()):
                tar.add(path, arcname=path.name)
        os.replace(partial, target)
    database.engine.dispose()
    return manifest


def _stage(settings: Settings, database: Database, staging: Path) -> dict[str, Any]:
    counts = count_records(database)
    kind = _dump_database(settings, staging / "database")
    vectors = _stage_vectors(settings, staging)
    for name in FOLDERS:
        source = settings.data_dir / name
        if source.is_dir():
            shutil.copytree(source, staging / name)
    manifest = {
        "format": FORMAT, "gaios_version": VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": kind, "vector_store": vectors, "data_dir": str(settings.data_dir),
        "collection": collection_name(settings), "counts": counts,
        "files": checksums(staging),
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def _dump_database(settings: Settings, folder: Path) -> str:
    folder.mkdir()
    url = settings.resolved_database_url()
    if url.startswith("sqlite"):
        sqlite_copy(sqlite_path(url), folder / "gaios.db")
        return "sqlite"
    run_pg("pg_dump", "--format=custom", "--no-owner", "--no-privileges",
           f"--file={folder / 'gaios.dump'}", url=url)
    return "postgresql"


def _stage_vectors(settings: Settings, staging: Path) -> str | None:
    if settings.chroma_url:
        store = VectorStore(collection=collection_name(settings), url=settings.chroma_url)
        write_jsonl(staging / "chroma.jsonl", export_chunks(store))
        return "jsonl"
    source = settings.resolved_chroma_path()
    if not source.is_dir():
        return None
    copy_chroma_folder(source, staging / "chroma")
    return "folder"


def copy_chroma_folder(source: Path, target: Path) -> None:
    """Segment files first, then Chroma's SQLite file through the backup API: the
    database is never older than the segments, and Chroma replays what they lack."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("chroma.sqlite3*"))
    if (source / "chroma.sqlite3").exists():
        sqlite_copy(source / "chroma.sqlite3", target / "chroma.sqlite3")


# -- restore ----------------------------------------------------------------------------

def restore_backup(settings: Settings, archive: Path, *, force: bool = False,
                   by: Principal = OPERATOR) -> dict[str, Any]:
    """Verify `archive`, then put its contents in place; returns its manifest."""
    authorize(by, Action.backup)
    if not archive.is_file():
        raise NotFound(f"no backup archive at {archive}")
    with tempfile.TemporaryDirectory(dir=staging_parent(settings), prefix=".gaios-restore-") as tmp:
        staging = Path(tmp)
        manifest = verify_archive(archive, staging)
        check_compatible(manifest, settings)
        in_use = target_contents(settings)
        if in_use and not force:
            raise Conflict("the target is not empty (" + "; ".join(in_use) + "); restore with "
                           "--force to replace it", errors=[{"field": "target", "reason": r}
                                                            for r in in_use])
        _apply(settings, staging, manifest)
    _check_counts(settings, manifest)
    return manifest


def staging_parent(settings: Settings) -> Path | None:
    """Beside the data folder, so that putting things in place is a rename; the system's
    temporary folder where that is not writable (the image's `/data` sits in `/`)."""
    parent = settings.data_dir.parent
    return parent if parent.is_dir() and os.access(parent, os.W_OK) else None


def verify_archive(archive: Path, staging: Path) -> dict[str, Any]:
    """Unpack into `staging` and check the manifest and every file; 422 if anything is off."""
    try:
        # The whole gzip stream first: its checksum is checked only at its end, and a
        # tar reader stops quietly at the first damaged header after the first one.
        with gzip.open(archive) as stream:
            while stream.read(1 << 20):
                pass
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staging, filter="data")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise InvalidRecord(f"{archive} is not a readable GAIOS backup: {exc}",
                            errors=[{"field": "archive", "reason": str(exc)}]) from exc
    manifest = _read_manifest(archive, staging)
    problems = _file_problems(manifest, staging)
    if problems:
        raise InvalidRecord(f"{archive} is damaged: {len(problems)} file(s) differ from its "
                            "manifest", errors=problems[:50])
    return manifest


def _read_manifest(archive: Path, staging: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((staging / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise InvalidRecord(f"{archive} has no readable manifest.json; is it a GAIOS backup?",
                            errors=[{"field": "manifest.json", "reason": str(exc)}]) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InvalidRecord(f"{archive}: unsupported backup format "
                            f"{manifest.get('format') if isinstance(manifest, dict) else '?'}")
    return manifest


def _file_problems(manifest: dict[str, Any], staging: Path) -> list[dict[str, str]]:
    expected: dict[str, str] = manifest.get("files", {})
    found = checksums(staging)
    found.pop("manifest.json", None)
    problems = [{"field": name, "reason": "missing"} for name in expected if name not in found]
    problems += [{"field": name, "reason": "checksum mismatch"} for name, digest in found.items()
                 if name in expected and expected[name] != digest]
    problems += [{"field": name, "reason": "not in the manifest"} for name in found
                 if name not in expected]
    return problems


def check_compatible(manifest: dict[str, Any], settings: Settings) -> None:
    """The archive's database must be of the kind the settings use."""
    wanted = "sqlite" if settings.resolved_database_url().startswith("sqlite") else "postgresql"
    if manifest["database"] != wanted:
        raise InvalidRecord(f"this backup holds a {manifest['database']} database but the "
                            f"settings use {wanted}; restore it with matching settings")


def target_contents(settings: Settings) -> list[str]:
    """What a restore would replace: a non-empty data folder, database or Chroma server."""
    found: list[str] = []
    if settings.data_dir.is_dir() and any(settings.data_dir.iterdir()):
        found.append(f"data folder {settings.data_dir} is not empty")
    chroma = settings.resolved_chroma_path()
    if not settings.chroma_url and chroma.is_dir() and any(chroma.iterdir()) \
            and not chroma.is_relative_to(settings.data_dir):
        found.append(f"Chroma folder {chroma} is not empty")
    url = settings.resolved_database_url()
    if not url.startswith("sqlite"):
        database = Database(url)
        if _has_schema(database) and any(count_records(database).values()):
            found.append(f"database {_safe_url(settings)} holds records")
        database.engine.dispose()
    if settings.chroma_url and _server_store(settings).count():
        found.append(f"Chroma collection {collection_name(settings)} holds chunks")
    return found


def _apply(settings: Settings, staging: Path, manifest: dict[str, Any]) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    _restore_database(settings, staging / "database")
    _restore_vectors(settings, staging, manifest["vector_store"])
    for name in FOLDERS:
        replace_folder(staging / name, settings.data_dir / name)
    database = Database(settings.resolved_database_url())
    upgrade(database.engine)  # an older backup into newer code
    rebase_paths(database, Path(manifest["data_dir"]), settings.data_dir)
    database.engine.dispose()


def _restore_database(settings: Settings, folder: Path) -> None:
    url = settings.resolved_database_url()
    if url.startswith("sqlite"):
        target = sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Through SQLite, not a file copy: an old -wal file beside the target is dealt with.
        sqlite_copy(folder / "gaios.db", target)
        return
    run_pg("pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
           "--single-transaction", str(folder / "gaios.dump"), url=url, database_flag=True)


def _restore_vectors(settings: Settings, staging: Path, kind: str | None) -> None:
    if not settings.chroma_url and kind == "folder":
        replace_folder(staging / "chroma", settings.resolved_chroma_path())
        return
    if settings.chroma_url:
        store = _server_store(settings, empty=True)
    else:
        replace_folder(None, settings.resolved_chroma_path())
        store = VectorStore(collection=collection_name(settings),
                            path=settings.resolved_chroma_path())
    if kind == "jsonl":
        import_chunks(store, read_jsonl(staging / "chroma.jsonl"))
    elif kind == "folder":
        source = VectorStore(collection=collection_name(settings), path=staging / "chroma")
        import_chunks(store, export_chunks(source))


def _check_counts(settings: Settings, manifest: dict[str, Any]) -> None:
    database = Database(settings.resolved_database_url())
    counts = count_records(database)
    database.engine.dispose()
    differ = {k: (v, counts.get(k)) for k, v in manifest["counts"].items() if counts.get(k) != v}
    if differ:
        listed = ", ".join(f"{k} {a} in the backup, {b} now" for k, (a, b) in differ.items())
        raise AppError(f"restored, but the record counts differ from the backup's: {listed}")


# -- pieces -----------------------------------------------------------------------------

def count_records(database: Database) -> dict[str, int]:
    """Counts that a restore must reproduce."""
    with database.session() as session:
        def count(model: Any, *where: Any) -> int:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        complete = IndexEntryRow.status == "complete"
        return {
            "usecases": count(UseCaseRow, UseCaseRow.deleted.is_(False)),
            "published": count(UseCaseRow, UseCaseRow.deleted.is_(False),
                               UseCaseRow.published_revision.is_not(None)),
            "revisions": count(RevisionRow),
            "api_keys": count(ApiKeyRow),
            "uploads": count(UploadRow),
            "answers": count(AnswerRow),
            "indexed_documents": count(IndexEntryRow, complete),
            "chunks": int(session.scalar(select(func.coalesce(func.sum(IndexEntryRow.chunks), 0))
                                         .where(complete)) or 0),
        }


def rebase_paths(database: Database, old: Path, new: Path) -> None:
    """Point stored upload paths at the new data folder when it moved."""
    if old == new:
        return
    before, after = f"{old}/uploads/", f"{new}/uploads/"
    with database.session() as session:
        for row in session.scalars(select(UploadRow)):
            if row.stored_path.startswith(before):
                row.stored_path = after + row.stored_path[len(before):]
        for entry in session.scalars(select(IndexEntryRow)):
            if entry.source.startswith(before):
                entry.source = after + entry.source[len(before):]


def replace_folder(source: Path | None, target: Path) -> None:
    """Put `source` at `target` (None: just remove `target`); the old one goes last."""
    old = target.with_name(target.name + ".replaced")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    if source is not None and source.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), str(target))
    if old.exists():
        shutil.rmtree(old)


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database, made by SQLite itself."""
    if not source.exists():
        raise NotFound(f"no SQLite database at {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def sqlite_path(url: str) -> Path:
    return Path(str(make_url(url).database))


def run_pg(tool: str, *args: str, url: str, database_flag: bool = False) -> None:
    """Run pg_dump or pg_restore on the database of this SQLAlchemy URL (password via
    PGPASSWORD, so it never shows in the process list)."""
    executable = shutil.which(tool)
    if executable is None:
        raise ServiceUnavailable(f"{tool} not found: install the PostgreSQL client "
                                 "(Debian: apt-get install postgresql-client) of the server's "
                                 "major version or newer")
    parsed = make_url(url)
    target = parsed.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)
    env = {**os.environ, "PGPASSWORD": parsed.password or ""}
    command = [executable, *args, f"--dbname={target}" if database_flag else target]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ServiceUnavailable(f"{tool} failed: {result.stderr.strip()[-2000:]}")


def checksums(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder`, by relative POSIX path."""
    out: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(block)
        out[path.relative_to(folder).as_posix()] = digest.hexdigest()
    return out


def collection_name(settings: Settings) -> str:
    return Embedder(settings.embedding.model).collection_name  # a name: no model is loaded


def _server_store(settings: Settings, *, empty: bool = False) -> VectorStore:
    store = VectorStore(collection=collection_name(settings), url=settings.chroma_url)
    if empty and store.count():
        store.client.delete_collection(collection_name(settings))
        store = VectorStore(collection=collection_name(settings), url=settings.chroma_url)
    return store


def export_chunks(store: VectorStore) -> Iterator[dict[str, Any]]:
    """Every chunk of a collection: id, text, metadata and vector, page by page."""
    offset = 0
    while True:
        page = store.collection.get(limit=PAGE, offset=offset,
                                    include=["documents", "metadatas", "embeddings"])
        vectors = page["embeddings"] if page["embeddings"] is not None else []
        for i, text, meta, vector in zip(page["ids"], page["documents"] or [],
                                         page["metadatas"] or [], vectors, strict=True):
            yield {"id": i, "text": text or "", "metadata": dict(meta or {}),
                   "vector": [float(x) for x in vector]}
        if len(page["ids"]) < PAGE:
            return
        offset += PAGE


def import_chunks(store: VectorStore, chunks: Iterator[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    for chunk in chunks:
        batch.append(chunk)
        if len(batch) == PAGE:
            _upsert(store, batch)
            batch = []
    if batch:
        _upsert(store, batch)


def _upsert(store: VectorStore, batch: list[dict[str, Any]]) -> None:
    store.upsert([c["id"] for c in batch], np.asarray([c["vector"] for c in batch],
                                                      dtype=np.float32),
                 [c["text"] for c in batch], [c["metadata"] for c in batch])


def write_jsonl(path: Path, rows: Iterator[dict[str, Any]]) -> None:
    with path.open("w") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open() as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _has_schema(database: Database) -> bool:
    try:
        return inspect(database.engine).has_table("usecases")
    except Exception as exc:  # any driver error means "cannot reach it"
        raise ServiceUnavailable(f"database unavailable: {exc}") from exc


def _safe_url(settings: Settings) -> str:
    return make_url(settings.resolved_database_url()).render_as_string(hide_password=True)

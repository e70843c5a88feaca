"""Re-ingestion reads only what changed (issue #14), specified on real files, the real
loaders, the bundled model, embedded Chroma, the BM25 index and the SQLite manifest:

- a file whose size and modification time are those indexed is skipped before it is read;
- a changed file is read and re-indexed, and only it;
- a file touched but not changed is read and hashed once, not re-embedded, and its new
  stamp kept; a manifest row from before stamps is treated the same way;
- a deleted file leaves Chroma, the keyword index and the manifest without any file read;
- the stamp is written only with the document's chunks: a run killed between the two is
  redone by the next;
- a published use case is read from the database only when its revision changed;
- `rehash` reads everything, as before stamps.
"""

import functools
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from app.components.keyword import KeywordIndex
from app.components.vectorstore import VectorStore
from app.db.models import IndexEntryRow
from app.db.session import Database, upgrade
from app.services.corpus import load_usecase
from app.services.roles import OPERATOR
from ingest.cli import USECASE_SCOPE, make_ingestor, usecase_sources
from ingest.loaders import LOADERS
from ingest.pipeline import RACY_NS, IngestReport, file_stamp
from tests.db_helpers import alembic_config
from tests.ingest_helpers import (
    MAX_BYTES,
    bm25_ids,
    chroma_chunks,
    chroma_ids,
    ingest_folder,
    ingest_paths,
    manifest,
    new_container,
)
from tests.test_ingest import RECORDS, EmbedCounter, Killed

# A fixed past modification time (2026-01-01): older than the racy window, so files get stamps.
PAST_NS = 1_767_225_600 * 10**9
DOCS = {
    "alpha": "# Alpha\n\nThe zebrafish pilot coded occupations with a language model.\n",
    "beta": "# Beta\n\nThe census chatbot answered questions about the population count.\n",
    "gamma": "# Gamma\n\nThe wombat survey measured burrows in three regions.\n",
}


def write(path: Path, content: str, mtime_ns: int = PAST_NS) -> Path:
    path.write_text(content)
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, content in DOCS.items():
        write(docs / f"{name}.md", content)
    return docs


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The Markdown files the real loader parses (same name, so stamps are unaffected)."""
    calls: list[str] = []
    real = LOADERS[".md"]

    @functools.wraps(real)
    def counting(path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
        calls.append(path.stem)
        return real(path, **kwargs)

    monkeypatch.setitem(LOADERS, ".md", counting)
    return calls


def stamps(container) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    return {d: r.source_stamp for d, r in manifest(container).items()}


def counts(report: IngestReport) -> tuple[list[str], list[str], list[str], list[str]]:
    return (sorted(report.added), sorted(report.updated), sorted(report.unchanged),
            sorted(report.removed))


# ============================================================================== stamps


def test_stamp_names_size_modification_time_loader_and_size_limit(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", "# A\n\ntext\n")
    stamp = file_stamp(path, MAX_BYTES)
    assert stamp == f"size 10 mtime_ns {PAST_NS} loader load_markdown max_bytes {MAX_BYTES}"
    assert file_stamp(path, MAX_BYTES // 2) != stamp  # another size limit: read again
    write(path, "# A\n\ntexT\n", PAST_NS + 1)
    assert file_stamp(path, MAX_BYTES) != stamp
    assert file_stamp(tmp_path / "missing.md", MAX_BYTES) is None


def test_file_modified_within_the_racy_window_has_no_stamp(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("# A\n\njust written\n")
    assert file_stamp(path, MAX_BYTES) is None  # a second write in the same tick could hide
    old = os.stat(path).st_mtime_ns - RACY_NS - 1
    os.utime(path, ns=(old, old))
    assert file_stamp(path, MAX_BYTES) is not None


def test_upgrade_adds_an_empty_stamp_to_manifest_rows_from_before(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    with database.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0009")
        connection.execute(text(
            "INSERT INTO index_manifest (doc_id, source, title, doc_type, content_hash, parser,"
            " chunking, embedding_model, chunks, status, confidential, updated_at) VALUES"
            " ('a', '/docs/a.md', 'A', 'document', :h, 'markdown', 'c', 'm', 1, 'complete', 0,"
            " '2026-01-01')"), {"h": "0" * 64})
    upgrade(database.engine)
    with database.session() as session:
        row = session.get(IndexEntryRow, "a")
        assert row is not None and row.source_stamp is None and row.status == "complete"
    database.engine.dispose()


# ===================================================================== files (real model)


@pytest.mark.slow
def test_unchanged_files_are_skipped_before_they_are_read(
    tmp_path: Path, folder: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    container = new_container(tmp_path / "var")
    first = ingest_folder(container, folder)
    assert counts(first) == (["alpha", "beta", "gamma"], [], [], [])
    assert sorted(reads) == ["alpha", "beta", "gamma"]
    assert all(s and s.startswith("size ") for s in stamps(container).values())
    before = chroma_chunks(container.store)

    reads.clear()
    embedded = EmbedCounter(monkeypatch, container.embedder)
    second = ingest_folder(container, folder)
    assert counts(second) == ([], [], ["alpha", "beta", "gamma"], [])
    assert reads == [] and embedded.texts == []
    assert chroma_chunks(container.store) == before
    assert bm25_ids(container.keyword) == set(before)


@pytest.mark.slow
def test_changed_file_is_the_only_one_read_and_re_indexed(
    tmp_path: Path, folder: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    container = new_container(tmp_path / "var")
    ingest_folder(container, folder)
    write(folder / "beta.md", DOCS["beta"].replace("chatbot", "platypus"), PAST_NS + 10**9)

    reads.clear()
    embedded = EmbedCounter(monkeypatch, container.embedder)
    report = ingest_folder(container, folder)

    assert counts(report) == ([], ["beta"], ["alpha", "gamma"], [])
    assert reads == ["beta"] and len(embedded.texts) == 1
    assert "platypus" in chroma_chunks(container.store)["beta:0"][0]
    assert [i for i, _ in container.keyword.search("platypus", 3)] == ["beta:0"]
    assert container.keyword.search("chatbot", 3) == []
    assert stamps(container)["beta"] == file_stamp(folder / "beta.md", MAX_BYTES)


@pytest.mark.slow
def test_touched_identical_file_is_hashed_once_and_not_re_embedded(
    tmp_path: Path, folder: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    container = new_container(tmp_path / "var")
    ingest_folder(container, folder)
    old_stamp = stamps(container)["gamma"]
    os.utime(folder / "gamma.md", ns=(PAST_NS + 10**9, PAST_NS + 10**9))  # `touch`

    reads.clear()
    embedded = EmbedCounter(monkeypatch, container.embedder)
    report = ingest_folder(container, folder)
    assert counts(report) == ([], [], ["alpha", "beta", "gamma"], [])
    assert reads == ["gamma"] and embedded.texts == []
    new_stamp = stamps(container)["gamma"]
    assert new_stamp == file_stamp(folder / "gamma.md", MAX_BYTES) != old_stamp

    reads.clear()
    assert counts(ingest_folder(container, folder))[2] == ["alpha", "beta", "gamma"]
    assert reads == []  # the new stamp was kept


@pytest.mark.slow
def test_deleted_file_leaves_chroma_the_keyword_index_and_the_manifest(
    tmp_path: Path, folder: Path, reads: list[str]
) -> None:
    container = new_container(tmp_path / "var")
    ingest_folder(container, folder)
    (folder / "alpha.md").unlink()

    reads.clear()
    report = ingest_folder(container, folder)

    assert counts(report) == ([], [], ["beta", "gamma"], ["alpha"])
    assert reads == []
    assert chroma_ids(container.store) == bm25_ids(container.keyword) == {"beta:0", "gamma:0"}
    assert container.keyword.search("zebrafish", 3) == []
    assert "alpha" not in manifest(container)


@pytest.mark.slow
def test_manifest_row_from_before_stamps_is_read_hashed_and_stamped(
    tmp_path: Path, folder: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    container = new_container(tmp_path / "var")
    ingest_folder(container, folder)
    with container.db.session() as session:  # as a manifest written before migration 0010
        session.execute(text("UPDATE index_manifest SET source_stamp = NULL"))

    reads.clear()
    embedded = EmbedCounter(monkeypatch, container.embedder)
    report = ingest_folder(container, folder)
    assert counts(report) == ([], [], ["alpha", "beta", "gamma"], [])
    assert sorted(reads) == ["alpha", "beta", "gamma"] and embedded.texts == []
    assert stamps(container) == {d: file_stamp(folder / f"{d}.md", MAX_BYTES) for d in DOCS}

    reads.clear()
    ingest_folder(container, folder)
    assert reads == []


@pytest.mark.slow
def test_run_killed_after_the_chunks_before_the_stamp_is_redone_by_the_next(
    tmp_path: Path, folder: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_folder(new_container(tmp_path / "var"), folder)
    write(folder / "alpha.md", DOCS["alpha"].replace("zebrafish", "axolotl"), PAST_NS + 10**9)
    real_upsert: Callable[..., None] = VectorStore.upsert

    def upsert_then_die(self: VectorStore, *args: object, **kwargs: object) -> None:
        real_upsert(self, *args, **kwargs)  # the new chunks are in Chroma...
        raise Killed  # ...and the process dies before the manifest says `complete`

    with monkeypatch.context() as patch:
        patch.setattr(VectorStore, "upsert", upsert_then_die)
        with pytest.raises(Killed):
            ingest_folder(new_container(tmp_path / "var"), folder)

    container = new_container(tmp_path / "var")  # the next process
    row = manifest(container)["alpha"]
    assert (row.status, row.source_stamp) == ("pending", None)
    reads.clear()
    report = ingest_folder(container, folder)
    assert counts(report) == ([], ["alpha"], ["beta", "gamma"], [])
    assert reads == ["alpha"]
    assert stamps(container)["alpha"] == file_stamp(folder / "alpha.md", MAX_BYTES)
    assert bm25_ids(container.keyword) == chroma_ids(container.store)
    assert [i for i, _ in container.keyword.search("axolotl", 3)] == ["alpha:0"]
    assert KeywordIndex(container.keyword.folder).search("zebrafish", 3) == []


@pytest.mark.slow
def test_rehash_reads_every_file_whatever_its_stamp(
    tmp_path: Path, folder: Path, reads: list[str]
) -> None:
    container = new_container(tmp_path / "var")
    ingest_folder(container, folder)
    reads.clear()
    sources_report = make_ingestor(container)
    from ingest.pipeline import file_sources

    sources, scopes = file_sources([folder], max_bytes=MAX_BYTES)
    report = sources_report.run(sources, scopes=scopes, rehash=True)
    assert counts(report) == ([], [], ["alpha", "beta", "gamma"], [])
    assert sorted(reads) == ["alpha", "beta", "gamma"]
    assert counts(ingest_paths(sources_report, folder))[2] == ["alpha", "beta", "gamma"]


# ============================================================== published use cases


@pytest.mark.slow
def test_published_use_case_is_read_only_when_its_revision_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = new_container(tmp_path / "var")
    records = [load_usecase(p) for p in sorted(RECORDS.glob("*.yaml"))[:2]]
    container.usecases.import_records(records, by=OPERATOR)
    ids = sorted(r.id for r in records)
    ingestor = make_ingestor(container)
    assert sorted(ingestor.run(usecase_sources(container)).added) == ids

    read: list[str] = []
    real = container.usecases.published

    def counting(usecase_ids: list[str] | None = None):  # type: ignore[no-untyped-def]
        read.extend(usecase_ids or ["<all>"])
        return real(usecase_ids)

    monkeypatch.setattr(container.usecases, "published", counting)
    embedded = EmbedCounter(monkeypatch, container.embedder)
    report = ingestor.run(usecase_sources(container))
    assert counts(report) == ([], [], ids, []) and read == [] and embedded.texts == []

    edited = records[0].model_copy(update={"summary": records[0].summary[:500] + " Axolotls."})
    container.usecases.import_records([edited], by=OPERATOR)
    report = ingestor.run(usecase_sources(container))
    assert counts(report) == ([], [edited.id], [ids[1] if ids[0] == edited.id else ids[0]], [])
    assert read == [edited.id] and len(embedded.texts) >= 1
    hits = container.keyword.search("axolotls", 3)
    assert hits and hits[0][0].startswith(f"{edited.id}:")
    assert manifest(container)[edited.id].source == f"{USECASE_SCOPE}{edited.id}"

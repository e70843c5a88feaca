"""`gaios backup` and `gaios restore`: a deployment (indexed documents, an upload, a
submitted and a published use case, keys) backed up, wiped and restored serves the same
records and the same search results; a damaged archive is refused with a clear message
and leaves the data folder untouched; a data folder in use is replaced only with
--force. (PostgreSQL: tests/test_postgres.py.)"""

import gzip
import hashlib
import io
import json
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient

from app.cli import main
from app.core.config import get_settings
from app.core.container import Container
from app.errors import ServiceUnavailable
from app.main import create_app
from app.services import backup
from app.services.auth import Role
from app.services.expansion import expand_keywords
from tests.conftest import ADMIN_KEY
from tests.factories import new_usecase
from tests.ingest_helpers import CORPUS_DOCUMENTS, copy_files, ingest_folder, new_container
from tests.ops_helpers import upload

QUERIES = ["How do statistical offices code occupations with language models?",
           "human oversight of generative AI", "glossary of statistical vocabularies"]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The data folder the `gaios` commands of this test work on."""
    folder = tmp_path / "var"
    monkeypatch.setenv("GAIOS_DATA_DIR", str(folder))
    monkeypatch.setenv("GAIOS_API_KEYS_ADMIN", ADMIN_KEY)
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def gaios(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` and its SHA-256 (to show nothing changed)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def forget_open_chroma_folders() -> None:
    """Chroma keeps one client per folder per process; a new process would start clean."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


# -- end to end (real embedding model and Chroma) --------------------------------------

def snapshot(client: TestClient, headers: dict[Role, dict[str, str]]) -> dict[str, Any]:
    """What users see: records (published, pending, one in full with its history),
    uploaded documents, every indexed chunk with its vector, the keyword ranking and the
    best search results of a few queries. Only the top of the fused ranking is compared:
    Chroma's HNSW graph is approximate and rebuilt by its own threads, so deeper ranks of
    the dense list may swap between two loads of the same vectors (seen once in CI)."""
    container = client.app.state.container  # type: ignore[attr-defined]
    def get(path: str, role: Role = Role.anonymous, **params: object) -> Any:
        response = client.get(path, headers=headers.get(role, {}), params=params)
        assert response.status_code == 200, response.text
        return response.json()

    return {
        "published": get("/api/v1/usecases", limit=500),
        "pending": get("/api/v1/usecases", Role.reviewer, status="submitted"),
        "mine": get("/api/v1/usecases/demo-nso-coding-assistant", Role.contributor),
        "history": get("/api/v1/usecases/ons-statschat/revisions"),
        "documents": get("/api/v1/documents", Role.reviewer),
        "chunks": sorted((c["id"], c["text"], json.dumps(c["metadata"], sort_keys=True),
                          tuple(c["vector"])) for c in backup.export_chunks(container.store)),
        "keyword": [container.keyword.search(expand_keywords(q), 20) for q in QUERIES],
        "search": [[(h["id"], round(h["similarity"], 5)) for h in
                    client.post("/api/v1/search", json={"query": q, "k": 3}).json()["data"]]
                   for q in QUERIES],
    }


def populate(container: Container, tmp_path: Path) -> dict[Role, dict[str, str]]:
    """Index three shipped documents, upload one, submit a use case and edit a published
    one; returns the keys used."""
    folder = copy_files(tmp_path / "docs", (CORPUS_DOCUMENTS, "coding-*.md"),
                        (CORPUS_DOCUMENTS, "governance-*.md"), (CORPUS_DOCUMENTS, "glossary-*.md"))
    assert not ingest_folder(container, folder).failed
    headers: dict[Role, dict[str, str]] = {}
    for role in (Role.contributor, Role.reviewer):
        _, key = container.keys.create(name=f"test {role}", role=role)
        headers[role] = {"X-API-Key": key}
    with TestClient(create_app(container.settings, container=container)) as client:
        assert client.post("/api/v1/usecases", json=new_usecase(),
                           headers=headers[Role.contributor]).status_code == 201
        uploaded = upload(client, {"X-API-Key": ADMIN_KEY}, "vocabularies.md",
                          "# Controlled vocabularies\n\nThe glossary office keeps statistical "
                          "vocabularies for classification and coding.\n")
        assert uploaded.status_code == 201, uploaded.text
    return headers


@pytest.mark.slow
def test_backup_wipe_restore_serves_the_same_records_and_search_results(
    data_dir: Path, tmp_path: Path
) -> None:
    container = new_container(data_dir, api_keys_admin=ADMIN_KEY)
    headers = populate(container, tmp_path)
    with TestClient(create_app(container.settings, container=container)) as client:
        before = snapshot(client, headers)
        archive = tmp_path / "backups" / "gaios.tar.gz"
        made = gaios("backup", str(archive))  # while the app is running
        assert made.exit_code == 0, made.output
    assert '"published":' in made.output and "sqlite" in made.output

    shutil.rmtree(data_dir)
    forget_open_chroma_folders()
    restored = gaios("restore", str(archive))
    assert restored.exit_code == 0, restored.output

    container = new_container(data_dir, api_keys_admin=ADMIN_KEY)
    with TestClient(create_app(container.settings, container=container)) as client:
        after = snapshot(client, headers)  # the same keys work: they were restored too
    assert after == before
    assert before["pending"]["count"] == 1 and before["documents"]["count"] == 1
    assert all(before["search"]) and all(before["keyword"]) and len(before["chunks"]) > 50


# -- refusals (no model needed) --------------------------------------------------------

@pytest.fixture
def archive(data_dir: Path, tmp_path: Path) -> Path:
    """A backup of a data folder holding the curated records and a key."""
    container = Container.build(get_settings())
    container.load_curated()
    container.keys.create(name="methods", role=Role.contributor)
    container.db.engine.dispose()
    path = tmp_path / "backup.tar.gz"
    assert gaios("backup", str(path)).exit_code == 0
    return path


def assert_refused_and_untouched(data_dir: Path, archive: Path, message: str) -> None:
    before = tree(data_dir)
    result = gaios("restore", "--force", str(archive))
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert tree(data_dir) == before
    assert not list(data_dir.parent.glob(".gaios-restore-*"))


def test_archive_manifest_lists_counts_and_checksums(archive: Path) -> None:
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert {"manifest.json", "database/gaios.db"} <= names
    assert manifest["format"] == 1 and manifest["database"] == "sqlite"
    assert manifest["counts"]["published"] >= 30 and manifest["counts"]["api_keys"] == 1
    assert set(manifest["files"]) == {n for n in names if "." in Path(n).name} - {"manifest.json"}


def test_truncated_archive_is_refused(data_dir: Path, archive: Path, tmp_path: Path) -> None:
    broken = tmp_path / "truncated.tar.gz"
    broken.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    assert_refused_and_untouched(data_dir, broken, "is not a readable GAIOS backup")


def test_archive_with_flipped_bytes_is_refused(data_dir: Path, archive: Path,
                                               tmp_path: Path) -> None:
    data = bytearray(archive.read_bytes())
    for offset in range(len(data) // 3, len(data) // 3 + 64):
        data[offset] ^= 0xFF
    broken = tmp_path / "flipped.tar.gz"
    broken.write_bytes(bytes(data))
    assert_refused_and_untouched(data_dir, broken, "is not a readable GAIOS backup")


def read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes | None:
    handle = tar.extractfile(member) if member.isfile() else None
    return handle.read() if handle is not None else None


def rewrite(archive: Path, target: Path, change: dict[str, bytes | None]) -> Path:
    """A well-formed archive with members replaced (bytes) or dropped (None)."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            if member.name in change and change[member.name] is None:
                continue
            data = change.get(member.name, read_member(source, member))
            if data is not None:
                member.size = len(data)
            out.addfile(member, io.BytesIO(data) if data is not None else None)
    return target


def test_archive_whose_database_was_altered_is_refused(data_dir: Path, archive: Path,
                                                       tmp_path: Path) -> None:
    tampered = rewrite(archive, tmp_path / "tampered.tar.gz",
                       {"database/gaios.db": b"SQLite format 3\x00" + b"\x00" * 4080})
    assert_refused_and_untouched(data_dir, tampered, "is damaged: 1 file(s) differ")
    result = gaios("restore", "--force", str(tampered))
    assert "database/gaios.db: checksum mismatch" in result.output


def test_archive_without_a_manifest_is_refused(data_dir: Path, archive: Path,
                                               tmp_path: Path) -> None:
    bare = rewrite(archive, tmp_path / "bare.tar.gz", {"manifest.json": None})
    assert_refused_and_untouched(data_dir, bare, "has no readable manifest.json")


def test_a_file_that_is_not_an_archive_is_refused(data_dir: Path, archive: Path,
                                                  tmp_path: Path) -> None:
    text = tmp_path / "notes.tar.gz"
    text.write_bytes(gzip.compress(b"just some text, not a tar file"))
    assert_refused_and_untouched(data_dir, text, "is not a readable GAIOS backup")


def test_restore_refuses_a_data_folder_in_use_without_force(data_dir: Path,
                                                            archive: Path) -> None:
    before = tree(data_dir)
    result = gaios("restore", str(archive))
    assert result.exit_code == 1 and "--force" in result.output and "not empty" in result.output
    assert tree(data_dir) == before
    assert gaios("restore", "--force", str(archive)).exit_code == 0


def test_restore_into_an_empty_folder_needs_no_force(data_dir: Path, archive: Path) -> None:
    shutil.rmtree(data_dir)
    result = gaios("restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "restored" in result.output and '"api_keys": 1' in result.output


def test_backup_never_overwrites_and_needs_a_database(data_dir: Path, archive: Path,
                                                      tmp_path: Path) -> None:
    again = gaios("backup", str(archive))
    assert again.exit_code == 1 and "already exists" in again.output
    shutil.rmtree(data_dir)
    empty = gaios("backup", str(tmp_path / "empty.tar.gz"))
    assert empty.exit_code == 1 and "nothing to back up" in empty.output
    assert not data_dir.exists()


def test_sqlite_backup_is_not_restored_into_postgresql(
    data_dir: Path, archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAIOS_DATABASE_URL", "postgresql+psycopg://u:p@127.0.0.1:1/none")
    get_settings.cache_clear()
    result = gaios("restore", "--force", str(archive))
    assert result.exit_code == 1 and "holds a sqlite database" in result.output


def test_missing_postgresql_client_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ServiceUnavailable, match="pg_dump not found: install the PostgreSQL"):
        backup.run_pg("pg_dump", url="postgresql+psycopg://u:p@127.0.0.1/db")

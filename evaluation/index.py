"""The evaluation's own index, kept between runs in `<data folder>/eval-index` and reused
while nothing that made it has changed, so that a second `gaios eval` starts at once
(issue #14).

What made it is summed up in a fingerprint: every file of the corpus folder and of the
evaluation datasets (their confidential and planted documents are indexed with the
corpus), the settings that decide the chunks and the vectors, and the code that turns
files into chunks, vectors and keyword entries. A different fingerprint, or
`--rebuild-index`, empties the folder and builds the index again from nothing.
"""

import hashlib
import json
import shutil
from pathlib import Path

from app.core.config import PROJECT_ROOT, Settings
from app.errors import InvalidRecord
from evaluation.datasets import DATASETS

FOLDER = "eval-index"
# A file that marks a folder as the evaluation's own: the only kind this module deletes.
MARKER = "gaios-eval-index"
FINGERPRINT = "fingerprint"
# How files become chunks, vectors and keyword entries: a change here changes the index.
INDEX_CODE = ("ingest/loaders.py", "ingest/chunking.py", "ingest/pipeline.py",
              "app/components/embedding.py", "app/components/keyword.py")


def index_settings(settings: Settings) -> Settings:
    """GAIOS's settings pointed at the evaluation's own folder, database and embedded
    Chroma: the evaluation's confidential and planted documents never enter a real index.
    Parts load on first use (no start-up warm-up in process)."""
    return settings.model_copy(update={
        "data_dir": settings.data_dir / FOLDER, "database_url": "", "chroma_path": None,
        "chroma_url": "", "load_at_start": False})


def fingerprint(settings: Settings, datasets: Path = DATASETS) -> str:
    """A hash of everything the index is made from (see the module docstring)."""
    digest = hashlib.sha256()
    made_with = {"embedding": settings.embedding.model_dump(mode="json"),
                 "max_upload_bytes": settings.max_upload_bytes}
    digest.update(json.dumps(made_with, sort_keys=True).encode())
    sources = [("corpus", settings.corpus_dir, files_under(settings.corpus_dir)),
               ("datasets", datasets, files_under(datasets)),
               ("code", PROJECT_ROOT, [PROJECT_ROOT / name for name in INDEX_CODE])]
    for label, root, paths in sources:
        for path in paths:
            digest.update(f"\0{label}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def files_under(root: Path) -> list[Path]:
    """Every file below `root` in a stable order, without caches and hidden files."""
    return [path for path in sorted(root.rglob("*")) if path.is_file() and not any(
        part.startswith(".") or part == "__pycache__" for part in path.relative_to(root).parts)]


def reusable(folder: Path, expected: str, *, rebuild: bool) -> bool:
    """True when `folder` holds a complete index with the fingerprint `expected`.
    Otherwise the folder is emptied (it must be an evaluation index) and marked, ready
    for a fresh build."""
    stored = folder / FINGERPRINT
    if not rebuild and stored.is_file() and stored.read_text(encoding="utf-8") == expected:
        return True
    if folder.exists():
        if not (folder / MARKER).is_file():
            raise InvalidRecord(f"{folder} is not an evaluation index (it has no {MARKER} "
                                "file): not deleting it; move it or choose another data folder")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("built by `gaios eval`; deleted and rebuilt when the corpus, "
                                 "datasets or index settings change\n", encoding="utf-8")
    return False


def record_complete(folder: Path, value: str) -> None:
    """Written last, so an index whose build was interrupted is never reused."""
    (folder / FINGERPRINT).write_text(value, encoding="utf-8")

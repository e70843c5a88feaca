"""Helpers for the ingestion and documents tests: one real embedding model per test run,
files made on the spot (DOCX, HTML, blank, encrypted and corrupt PDFs), and views of
the three stores a document lives in (manifest, Chroma, BM25)."""

import functools
import os
import shutil
from pathlib import Path

import docx
from pypdf import PdfWriter
from sqlalchemy import select

from app.components.embedding import Embedder
from app.components.keyword import KeywordIndex
from app.components.vectorstore import VectorStore
from app.core.config import PROJECT_ROOT, Settings
from app.core.container import Container
from app.db.models import IndexEntryRow
from ingest.cli import make_ingestor
from ingest.pipeline import IngestReport, Ingestor, file_sources
from tests.conftest import SHARED_REAL

CORPUS_DOCUMENTS = PROJECT_ROOT / "usecases" / "documents"
INE_PDF = SHARED_REAL / "ine-portugal-air-transport-2025-04.pdf"
MAX_BYTES = 20_000_000


@functools.cache
def shared_embedder() -> Embedder:
    """The real bundled model with default settings, loaded once per test run."""
    embedder = Embedder()
    embedder.embed(["warm up"])  # loads the model (counting tokens does not)
    return embedder


def use_shared_embedder(container: Container) -> Container:
    """Give a container the run's embedder (the same model its settings name), before it
    builds anything that holds it. (Start-up may already have opened the keyword index,
    to repair it: that index only takes its folder name from the model's name.)"""
    assert container.settings.embedding.model == shared_embedder().name
    assert "store" not in container.__dict__ and "retriever" not in container.__dict__
    container.__dict__["embedder"] = shared_embedder()
    return container


def settings_for(data_dir: Path, **changes: object) -> Settings:
    return Settings(_env_file=None, environment="test", data_dir=data_dir,
                    llm={"backend": "extractive"}, **changes)  # type: ignore[arg-type]


def new_container(data_dir: Path, **changes: object) -> Container:
    """A container on this data folder, as a new process would build it."""
    return use_shared_embedder(Container.build(settings_for(data_dir, **changes)))


def ingest_paths(ingestor: Ingestor, *paths: Path, max_bytes: int = MAX_BYTES) -> IngestReport:
    sources, scopes = file_sources(list(paths), max_bytes=max_bytes)
    return ingestor.run(sources, scopes=scopes)


def ingest_folder(container: Container, folder: Path) -> IngestReport:
    return ingest_paths(make_ingestor(container), folder)


def copy_files(folder: Path, *patterns: tuple[Path, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for root, pattern in patterns:
        for path in sorted(root.glob(pattern)):
            shutil.copy(path, folder / path.name)
    return folder


# -- the three stores ------------------------------------------------------------------

def manifest(container: Container) -> dict[str, IndexEntryRow]:
    with container.db.session() as session:
        return {row.doc_id: row for row in session.scalars(select(IndexEntryRow))}


def chroma_ids(store: VectorStore, doc_id: str | None = None) -> set[str]:
    where = {"doc_id": doc_id} if doc_id else None
    return set(store.collection.get(where=where, include=[])["ids"])


def chroma_chunks(store: VectorStore) -> dict[str, tuple[str, dict]]:
    return {i: (text, meta) for i, text, meta in store.all_chunks()}


def bm25_ids(keyword: KeywordIndex) -> set[str]:
    return set(keyword.chunk_ids())


def ids_of(doc_id: str, ids: set[str]) -> set[str]:
    return {i for i in ids if i.rsplit(":", 1)[0] == doc_id}


# -- files made by the tests -----------------------------------------------------------

def write_docx(path: Path, title: str, sections: list[tuple[str, str]]) -> Path:
    """A Word file: a level-1 heading, then a level-2 heading and a paragraph per section."""
    document = docx.Document()
    document.add_heading(title, level=1)
    for heading, text in sections:
        document.add_heading(heading, level=2)
        document.add_paragraph(text)
    document.save(str(path))
    return path


def docx_bytes(tmp: Path, title: str, sections: list[tuple[str, str]]) -> bytes:
    return write_docx(tmp / "made.docx", title, sections).read_bytes()


def write_blank_pdf(path: Path) -> Path:
    """What a scanner without OCR produces, as far as text goes: pages without a text layer."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_blank_page(width=595, height=842)
    with path.open("wb") as out:
        writer.write(out)
    return path


def write_encrypted_pdf(path: Path, password: str = "secret") -> Path:
    writer = PdfWriter(clone_from=str(INE_PDF))
    writer.encrypt(password)
    with path.open("wb") as out:
        writer.write(out)
    return path


def write_random_bytes(path: Path, size: int = 4096, seed: int = 7) -> Path:
    import random

    path.write_bytes(random.Random(seed).randbytes(size))
    return path


HTML_PAGE = """<!doctype html>
<html lang="en"><head><title>Coding survey answers with language models</title></head>
<body>
<nav><ul><li><a href="/">Home</a></li>
<li><a href="/news">Newsroom navigation link</a></li></ul></nav>
<main><article>
<h1>Coding survey answers with language models</h1>
<p>The statistics office tested an open-weights language model that proposes occupation
codes for free-text answers collected in the labour force survey. Coders confirm or correct
each proposal, and the agreement rate is monitored every week.</p>
<h2>Evaluation</h2>
<p>On a held-out sample of twelve thousand answers the model reached ninety-one percent
top-one accuracy, compared with eighty-four percent for the previous rule-based coder.</p>
</article></main>
<footer><p>Copyright 2026 Demo Statistics Office. Cookie settings. Privacy policy.</p></footer>
</body></html>
"""


def subprocess_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAIOS_", "OPENAI_"))}
    env.update(GAIOS_DATA_DIR=str(data_dir), GAIOS_EMBEDDING__BACKEND="torch", HF_HUB_OFFLINE="1",
               ANONYMIZED_TELEMETRY="False")  # PyTorch: see tests/conftest.py
    return env

"""The ingestion pipeline, specified on real files and real components (the bundled
embedding model, embedded Chroma, a Chroma server, the BM25 index, the SQLite manifest):

- every supported format loads into titled sections; every bad file is refused with a
  reason that names the problem and the file, and never costs what is already indexed;
- ingestion is incremental: unchanged documents are skipped, a changed one is the only
  one re-embedded, a deleted one leaves Chroma and BM25, new chunking re-embeds all;
- chunks fit the model's input and carry the metadata that retrieval filters on;
- a process killed half-way is repaired by the next run, and a half-written document is
  never returned by search;
- the `gaios ingest` and `gaios import` commands report what they did.
"""

import json
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import chromadb
import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from app.cli import main as gaios
from app.components.embedding import Embedder
from app.components.keyword import KeywordChunk, KeywordIndex
from app.services.expansion import expand_keywords
from app.core.config import PROJECT_ROOT, get_settings
from app.core.container import Container
from app.db.models import IndexEntryRow
from app.main import create_app
from app.services.corpus import load_usecase
from ingest.chunking import Chunk, ChunkSettings, chunk_document
from ingest.cli import make_ingestor
from ingest.importers import IMPORTERS
from ingest.loaders import LoadedDocument, UnreadableFile, load_file
from ingest.pipeline import Ingestor
from tests.conftest import SHARED_REAL
from tests.ingest_helpers import (
    CORPUS_DOCUMENTS,
    HTML_PAGE,
    INE_PDF,
    MAX_BYTES,
    bm25_ids,
    chroma_chunks,
    chroma_ids,
    copy_files,
    ids_of,
    ingest_folder,
    ingest_paths,
    manifest,
    new_container,
    settings_for,
    shared_embedder,
    subprocess_env,
    write_blank_pdf,
    write_docx,
    write_encrypted_pdf,
    write_random_bytes,
)

RECORDS = PROJECT_ROOT / "usecases" / "records"
AIML4OS_REPORTS = sorted(SHARED_REAL.glob("aiml4os-*.md"))
VENV_BIN = Path(sys.executable).parent


def load(path: Path) -> LoadedDocument:
    return load_file(path, max_bytes=MAX_BYTES)


# =========================================================================== 1. loaders


def test_markdown_sections_follow_headings_and_front_matter_names_the_document(
    tmp_path: Path,
) -> None:
    path = tmp_path / "Pilot Notes.md"
    path.write_text(
        "---\nid: coding-pilot-notes\ntitle: Notes on the coding pilot\n---\n"
        "# Coding pilot\n\nWhy we ran it.\n\n"
        "## Results\n\nAccuracy rose.\n\n"
        "```python\n# a comment in code, not a heading\nprint(1)\n```\n\n"
        "### By occupation group\n\nManagers were hardest.\n\n"
        "## Lessons\n\nStart small.\n"
    )
    doc = load(path)
    assert (doc.doc_id, doc.title, doc.doc_type, doc.parser) == (
        "coding-pilot-notes", "Notes on the coding pilot", "document", "markdown")
    assert [(s.heading, s.text) for s in doc.sections] == [
        ("Coding pilot", "Why we ran it."),
        ("Coding pilot > Results",
         "Accuracy rose.\n\n```python\n# a comment in code, not a heading\nprint(1)\n```"),
        ("Coding pilot > Results > By occupation group", "Managers were hardest."),
        ("Coding pilot > Lessons", "Start small."),
    ]


def test_markdown_without_front_matter_takes_title_from_first_heading(tmp_path: Path) -> None:
    path = tmp_path / "Meeting Notes.md"
    path.write_text("Preamble before any heading.\n\n# Chatbot pilot review\n\nIt went well.\n")
    doc = load(path)
    assert (doc.doc_id, doc.title) == ("meeting-notes", "Chatbot pilot review")
    assert [(s.heading, s.text) for s in doc.sections] == [
        ("Meeting Notes", "Preamble before any heading."),
        ("Chatbot pilot review", "It went well."),
    ]


def test_corpus_document_front_matter_gives_type_and_gsbpm_facets() -> None:
    doc = load(CORPUS_DOCUMENTS / "coding-classification-with-llms.md")
    assert doc.doc_id == "coding-classification-with-llms"
    assert doc.title == ("Coding and classification with large language models - "
                         "how statistical offices do it")
    assert doc.doc_type == "report"
    assert doc.facets == {"publisher": "GAIOS community", "date": "2026-11", "language": "en",
                          "gsbpm:2.2": True, "gsbpm:4.3": True, "gsbpm:5.2": True}
    assert doc.sections[0].heading == "Coding and classification with large language models"
    assert "Coding and classification with large language models > Lessons" in [
        s.heading for s in doc.sections]


def test_usecase_yaml_becomes_field_sections_with_facets() -> None:
    path = RECORDS / "insee-nace-relabelling.yaml"
    record = load_usecase(path)
    doc = load(path)
    assert (doc.doc_id, doc.title, doc.doc_type, doc.parser) == (
        "insee-nace-relabelling", record.title, "usecase", "usecase")
    assert doc.url == str(record.sources[0].url)
    assert [s.heading for s in doc.sections] == [
        "Overview", "Description", "Models and data", "Evaluation", "Benefits",
        "Risks and mitigations", "Lessons learned"]
    assert doc.sections[0].text.startswith(record.summary)
    organisation = record.organisations[0]
    assert f"{organisation.name} ({organisation.country})" in doc.sections[0].text
    assert doc.sections[1].text == record.description
    assert all(lesson in doc.sections[-1].text for lesson in record.lessons_learned)
    assert doc.facets == {
        "stage": "production", "scope": "both", "openness": "open_weights_restricted",
        "hosting": "org_cloud_self_hosted", "organisation": "INSEE", "country": "FRA",
        "gsbpm:5.2": True, "gsbpm:3.2": True, "gsbpm:5": True, "gsbpm:3": True,
        "gamso:3.5": True,
    }


def test_real_ine_pdf_gives_one_section_per_page() -> None:
    doc = load(INE_PDF)
    assert (doc.doc_id, doc.doc_type, doc.parser) == (
        "ine-portugal-air-transport-2025-04", "pdf", "pypdf")
    assert doc.title == ("ATIVIDADE DOS TRANSPORTES – Estatísticas rápidas do transporte aéreo – "
                         "abril 2025")
    assert [(s.heading, s.page) for s in doc.sections] == [(f"Page {n}", n) for n in range(1, 8)]
    assert "6,5 milhões de passageiros" in doc.sections[0].text
    assert "1/7" in doc.sections[0].text and "7/7" in doc.sections[6].text
    assert "Instituto Nacional de Estatística" in doc.sections[6].text


def test_html_keeps_the_main_text_and_drops_navigation_and_footer(tmp_path: Path) -> None:
    path = tmp_path / "coding-page.html"
    path.write_text(HTML_PAGE)
    doc = load(path)
    assert (doc.doc_id, doc.title, doc.doc_type, doc.parser) == (
        "coding-page", "Coding survey answers with language models", "html", "trafilatura")
    assert [s.heading for s in doc.sections] == [
        "Coding survey answers with language models",
        "Coding survey answers with language models > Evaluation"]
    text = " ".join(s.text for s in doc.sections)
    assert "proposes occupation codes" in " ".join(text.split())
    assert "ninety-one percent" in text
    for boilerplate in ("Newsroom navigation", "Home", "Copyright", "Cookie", "Privacy policy"):
        assert boilerplate not in text


def test_docx_sections_follow_word_headings(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "Quality Framework.docx", "Quality framework for generated text", [
        ("Checks", "Numbers are compared with the source table automatically."),
        ("Release", "A statistician reads every summary before release."),
    ])
    doc = load(path)
    assert (doc.doc_id, doc.title, doc.doc_type, doc.parser) == (
        "quality-framework", "Quality framework for generated text", "docx", "python-docx")
    assert [(s.heading, s.text) for s in doc.sections] == [
        ("Quality framework for generated text > Checks",
         "Numbers are compared with the source table automatically."),
        ("Quality framework for generated text > Release",
         "A statistician reads every summary before release."),
    ]


def test_csv_and_json_rows_become_one_section_each(tmp_path: Path) -> None:
    csv_path = tmp_path / "open-models.csv"
    csv_path.write_text("name,provider,licence\nMistral 7B,Mistral AI,Apache-2.0\n"
                        "Llama 3.1 8B,Meta,\n")
    doc = load(csv_path)
    assert (doc.doc_id, doc.title, doc.doc_type, doc.parser) == (
        "open-models", "open-models", "table", "csv")
    assert [(s.heading, s.text) for s in doc.sections] == [
        ("Mistral 7B", "name: Mistral 7B\nprovider: Mistral AI\nlicence: Apache-2.0"),
        ("Llama 3.1 8B", "name: Llama 3.1 8B\nprovider: Meta"),  # empty cells are left out
    ]

    json_path = tmp_path / "offices.json"
    json_path.write_text(json.dumps([{"name": "INSEE", "country": "FRA", "notes": ""},
                                     {"name": "ONS", "country": "GBR", "staff": 5000}]))
    doc = load(json_path)
    assert (doc.doc_id, doc.doc_type, doc.parser) == ("offices", "table", "json")
    assert [(s.heading, s.text) for s in doc.sections] == [
        ("INSEE", "name: INSEE\ncountry: FRA"),
        ("ONS", "name: ONS\ncountry: GBR\nstaff: 5000"),
    ]


def test_plain_text_is_one_section_titled_by_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "chatbot-notes.txt"
    path.write_text("\n\nMeeting notes on the chatbot pilot\nThe pilot answers CPI questions.\n")
    doc = load(path)
    assert (doc.doc_id, doc.title, doc.doc_type, doc.parser) == (
        "chatbot-notes", "Meeting notes on the chatbot pilot", "text", "text")
    assert len(doc.sections) == 1 and doc.sections[0].heading == "chatbot-notes"
    assert "The pilot answers CPI questions." in doc.sections[0].text


# ======================================================================= 2. bad inputs


def _scanned(d: Path) -> Path:
    return write_blank_pdf(d / "scanned-report.pdf")


def _empty(d: Path) -> Path:
    path = d / "empty-notes.md"
    path.write_bytes(b"")
    return path


def _locked(d: Path) -> Path:
    return write_encrypted_pdf(d / "locked-report.pdf")


def _corrupt(d: Path) -> Path:
    return write_random_bytes(d / "corrupt-report.pdf")


def _binary_txt(d: Path) -> Path:
    path = d / "binary-notes.txt"
    path.write_bytes(b"GIF89a\x00\x01\x02\x03" * 64)
    return path


def _latin1_txt(d: Path) -> Path:
    path = d / "latin1-notes.txt"
    path.write_bytes("Estatísticas rápidas do transporte aéreo".encode("latin-1"))
    return path


def _oversize(d: Path) -> Path:
    path = d / "huge-notes.txt"
    path.write_text("The census chatbot answered questions. " * 40_000)  # 1,560,000 bytes
    return path


def _missing(d: Path) -> Path:
    return d / "never-written.md"


def _broken_yaml(d: Path) -> Path:
    path = d / "broken-record.yaml"
    path.write_text("id: broken-record\ntitle: [an unclosed list\n")
    return path


def _invalid_record(d: Path) -> Path:
    path = d / "invalid-record.yaml"
    path.write_text("id: invalid-record\ntitle: A record with nothing else\n")
    return path


def _broken_front_matter(d: Path) -> Path:
    path = d / "broken-front-matter.md"
    path.write_text("---\ntitle: [unclosed\n---\n# Body\n\nText.\n")
    return path


OVERSIZE_LIMIT = 1_000_000  # above every other file here

BAD_FILES = {  # what the test writes -> words the reason must contain
    "scanned PDF": (_scanned, "the PDF has no text layer (a scanned document needs OCR first)"),
    "empty file": (_empty, "the file is empty"),
    "password-protected PDF": (_locked, "the PDF is password-protected"),
    "corrupt PDF": (_corrupt, "corrupt or unreadable PDF"),
    "binary .txt": (_binary_txt, "binary content in a text file"),
    "non-UTF-8 .txt": (_latin1_txt, "not UTF-8 text"),
    "over the size limit": (_oversize,
                            f"the file is 1560000 bytes, over the limit of {OVERSIZE_LIMIT}"),
    "malformed YAML": (_broken_yaml, "malformed YAML"),
    "invalid use-case record": (_invalid_record, "not a valid use-case record"),
    "malformed front matter": (_broken_front_matter, "malformed front matter"),
}


@pytest.mark.parametrize("problem", [*BAD_FILES, "missing path"])
def test_bad_file_is_refused_with_a_reason_naming_the_problem_and_the_file(
    tmp_path: Path, problem: str
) -> None:
    make, reason = BAD_FILES[problem] if problem != "missing path" else (_missing, "no such file")
    path = make(tmp_path)
    with pytest.raises(UnreadableFile) as caught:
        load_file(path, max_bytes=OVERSIZE_LIMIT)
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{path}: ")
    assert caught.value.errors == [{"field": str(path), "reason": caught.value.reason}]


def test_invalid_record_reason_names_the_missing_field(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile) as caught:
        load(_invalid_record(tmp_path))
    assert caught.value.reason == "not a valid use-case record (summary: Field required)"


def test_unsupported_type_is_refused_with_the_supported_list(tmp_path: Path) -> None:
    path = tmp_path / "slides.pptx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnreadableFile) as caught:
        load(path)
    assert caught.value.reason.startswith("unsupported file type .pptx; supported: ")
    assert ".pdf" in caught.value.reason and ".docx" in caught.value.reason


@pytest.mark.slow
def test_folder_of_good_and_bad_files_indexes_the_good_and_reports_each_bad(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    copy_files(folder, (CORPUS_DOCUMENTS, "confidentiality-recommendations.md"),
               (CORPUS_DOCUMENTS, "prompt-engineering-statistics.md"))
    container = new_container(tmp_path / "var")
    ingestor = make_ingestor(container)
    first = ingest_paths(ingestor, folder, max_bytes=OVERSIZE_LIMIT)
    good = ["confidentiality-recommendations", "prompt-engineering-statistics"]
    assert sorted(first.added) == good and first.failed == []
    chunks_before = {d: chroma_ids(container.store, d) for d in good}
    assert all(chunks_before.values())

    bad = {str(make(folder)): reason for make, reason in BAD_FILES.values()}
    missing = _missing(tmp_path)
    bad[str(missing)] = "no such file or folder"
    second = ingest_paths(ingestor, folder, missing, max_bytes=OVERSIZE_LIMIT)

    assert second.unchanged == good
    assert (second.added, second.updated, second.removed) == ([], [], [])
    reported = {f["source"]: f["reason"] for f in second.failed}
    assert reported.keys() == bad.keys() and len(second.failed) == len(bad) == 11
    for source, reason in bad.items():
        assert reason in reported[source], (source, reported[source])
    # Nothing that was indexed is lost, and nothing of the bad files got in.
    assert {d: chroma_ids(container.store, d) for d in good} == chunks_before
    assert set(manifest(container)) == set(good)
    assert bm25_ids(container.keyword) == chroma_ids(container.store)
    assert second.chunks == first.chunks == sum(len(c) for c in chunks_before.values())


@pytest.mark.slow
def test_file_that_becomes_unreadable_keeps_its_last_indexed_version(tmp_path: Path) -> None:
    folder = copy_files(tmp_path / "docs", (CORPUS_DOCUMENTS, "confidentiality-recommendations.md"),
                        (CORPUS_DOCUMENTS, "prompt-engineering-statistics.md"))
    container = new_container(tmp_path / "var")
    ingestor = make_ingestor(container)
    ingest_paths(ingestor, folder)
    kept = chroma_ids(container.store, "prompt-engineering-statistics")

    damaged = folder / "prompt-engineering-statistics.md"
    damaged.write_bytes(b"\x00\x01 half-synced file")
    report = ingest_paths(ingestor, folder)

    assert report.failed == [{"source": str(damaged), "reason": "binary content in a text file"}]
    assert report.removed == []
    assert chroma_ids(container.store, "prompt-engineering-statistics") == kept
    assert manifest(container)["prompt-engineering-statistics"].status == "complete"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """`gaios` commands run in this process on a data folder of the test's own."""
    data_dir = tmp_path / "var"
    monkeypatch.setenv("GAIOS_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


@pytest.mark.slow
def test_ingest_command_exits_non_zero_and_names_each_failed_file(
    tmp_path: Path, cli_env: Path
) -> None:
    folder = copy_files(tmp_path / "docs", (CORPUS_DOCUMENTS, "confidentiality-recommendations.md"))
    good = CliRunner().invoke(gaios, ["ingest", str(folder)])
    assert good.exit_code == 0, good.output
    assert good.stdout.startswith("added 1, updated 0, unchanged 0, removed 0, failed 0; ")

    corrupt = _corrupt(folder)
    scanned = _scanned(folder)
    result = CliRunner().invoke(gaios, ["ingest", str(folder)])
    assert result.exit_code == 1
    assert result.stdout.startswith("added 0, updated 0, unchanged 1, removed 0, failed 2; ")
    assert f"FAILED {corrupt}: corrupt or unreadable PDF" in result.stderr
    assert (f"FAILED {scanned}: the PDF has no text layer (a scanned document needs OCR first)"
            in result.stderr)


@pytest.mark.slow
def test_ingest_command_json_report_is_machine_readable(tmp_path: Path, cli_env: Path) -> None:
    folder = copy_files(tmp_path / "docs", (CORPUS_DOCUMENTS, "confidentiality-recommendations.md"))
    empty = _empty(folder)
    result = CliRunner().invoke(gaios, ["ingest", "--json", str(folder)])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["added"] == ["confidentiality-recommendations"]
    assert report["failed"] == [{"source": str(empty), "reason": "the file is empty"}]
    assert {k: report["summary"][k] for k in ("added", "updated", "unchanged", "removed", "failed")
            } == {"added": 1, "updated": 0, "unchanged": 0, "removed": 0, "failed": 1}
    assert report["summary"]["chunks"] == report["chunks"] > 0
    assert (cli_env / "gaios.db").exists()  # it used the data folder it was given


# ====================================================================== 3. incremental


class EmbedCounter:
    """Counts the texts the real model embeds (it still embeds them)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, embedder: Embedder) -> None:
        self.texts: list[str] = []
        real = embedder.embed

        def counting(texts: list[str]):  # type: ignore[no-untyped-def]
            self.texts += texts
            return real(texts)

        monkeypatch.setattr(embedder, "embed", counting)


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Container, Path]:
    """A copy of the shipped documents folder, indexed once into a fresh store."""
    folder = tmp_path / "documents"
    shutil.copytree(CORPUS_DOCUMENTS, folder)
    container = new_container(tmp_path / "var")
    return container, folder


@pytest.mark.slow
def test_first_run_adds_every_file_and_second_run_skips_them_all(
    corpus: tuple[Container, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    container, folder = corpus
    files = sorted(p.stem for p in folder.iterdir())
    first = ingest_folder(container, folder)
    assert sorted(first.added) == files
    assert len(first.added) == len(list(CORPUS_DOCUMENTS.iterdir())) == 9
    assert (first.updated, first.unchanged, first.removed, first.failed) == ([], [], [], [])
    rows = manifest(container)
    assert all(r.status == "complete" for r in rows.values())
    assert {d: r.chunks for d, r in rows.items()} == {
        d: len(chroma_ids(container.store, d)) for d in files}
    before = chroma_chunks(container.store)

    counter = EmbedCounter(monkeypatch, container.embedder)
    second = ingest_folder(container, folder)
    assert sorted(second.unchanged) == files
    assert (second.added, second.updated, second.removed, second.failed) == ([], [], [], [])
    assert counter.texts == []  # nothing re-embedded
    assert second.seconds < first.seconds / 5
    assert chroma_chunks(container.store) == before
    assert second.chunks == first.chunks == len(before) == len(bm25_ids(container.keyword))


@pytest.mark.slow
def test_modified_file_is_the_only_document_updated(
    corpus: tuple[Container, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    container, folder = corpus
    ingest_folder(container, folder)
    before = chroma_chunks(container.store)
    changed = "governance-human-oversight"
    with (folder / f"{changed}.md").open("a") as f:
        f.write("\n## Audit trail\n\nEvery answer of the assistant is logged with the sources it "
                "cited, so that an auditor can replay the conversation later.\n")

    counter = EmbedCounter(monkeypatch, container.embedder)
    report = ingest_folder(container, folder)
    after = chroma_chunks(container.store)

    assert report.updated == [changed]
    assert (report.added, report.removed, report.failed) == ([], [], [])
    assert len(report.unchanged) == len(list(folder.iterdir())) - 1
    def others(chunks: dict[str, tuple[str, dict]]) -> dict[str, tuple[str, dict]]:
        return {i: c for i, c in chunks.items() if not i.startswith(changed + ":")}

    assert others(after) == others(before)  # the other documents' chunks are untouched
    new_ids = ids_of(changed, set(after))
    assert new_ids == {f"{changed}:{n}" for n in range(len(new_ids))}
    assert len(counter.texts) == len(new_ids)  # only this document was embedded
    assert any("an auditor can replay" in after[i][0] for i in new_ids)
    assert not any("an auditor can replay" in before[i][0] for i in ids_of(changed, set(before)))
    assert manifest(container)[changed].chunks == len(new_ids)
    assert bm25_ids(container.keyword) == set(after)
    top = container.keyword.search("auditor replay conversation", 3)
    assert top and top[0][0] in new_ids


@pytest.mark.slow
def test_deleted_file_leaves_chroma_bm25_and_the_manifest(corpus: tuple[Container, Path]) -> None:
    container, folder = corpus
    ingest_folder(container, folder)
    gone = "glossary-vocabularies"
    assert chroma_ids(container.store, gone) and ids_of(gone, bm25_ids(container.keyword))
    others = {i: c for i, c in chroma_chunks(container.store).items() if not i.startswith(gone)}

    (folder / f"{gone}.md").unlink()
    report = ingest_folder(container, folder)

    assert report.removed == [gone]
    assert (report.added, report.updated, report.failed) == ([], [], [])
    assert chroma_ids(container.store, gone) == set()
    assert ids_of(gone, bm25_ids(container.keyword)) == set()
    assert gone not in manifest(container)
    assert chroma_chunks(container.store) == others
    assert bm25_ids(container.keyword) == set(others)
    query = "GAMSO activity areas glossary of the vocabularies"
    hits = container.retriever.search(query, k=20).hits
    assert hits and all(h.doc_id != gone for h in hits)


@pytest.mark.slow
def test_new_chunk_settings_re_embed_every_document(corpus: tuple[Container, Path]) -> None:
    container, folder = corpus
    first = ingest_folder(container, folder)
    smaller = ChunkSettings(size=500, overlap=60,
                            max_tokens=container.settings.embedding.max_tokens)
    ingestor = Ingestor(db=container.db, embedder=container.embedder, store=container.store,
                        keyword=container.keyword, chunking=smaller)

    report = ingest_paths(ingestor, folder)

    assert sorted(report.updated) == sorted(first.added)
    assert (report.added, report.unchanged, report.removed) == ([], [], [])
    rows = manifest(container)
    assert {r.chunking for r in rows.values()} == {smaller.key()}
    assert report.chunks > first.chunks  # smaller pieces, more of them
    assert sum(r.chunks for r in rows.values()) == report.chunks == container.store.count()
    assert bm25_ids(container.keyword) == chroma_ids(container.store)
    # Unchanged again under the new settings.
    assert sorted(ingest_paths(ingestor, folder).unchanged) == sorted(first.added)


# ========================================================================= 4. chunking


Chunked = dict[str, tuple[LoadedDocument, list[Chunk]]]


@pytest.fixture(scope="module")
def chunked() -> Chunked:
    """Every document of the corpus (records and documents), the AIML4OS reports and the INE
    PDF, chunked with the default settings and the real tokenizer."""
    embedder = shared_embedder()
    paths = [*sorted(CORPUS_DOCUMENTS.glob("*.md")), *sorted(RECORDS.glob("*.yaml")),
             *AIML4OS_REPORTS, INE_PDF]
    out = {}
    for path in paths:
        doc = load(path)
        out[doc.doc_id] = (doc, chunk_document(doc, ChunkSettings(), embedder.count_tokens))
    return out


@pytest.mark.slow
def test_no_chunk_is_longer_than_the_model_input(chunked: Chunked) -> None:
    embedder = shared_embedder()
    assert embedder.max_tokens == ChunkSettings().max_tokens == 256
    assert embedder._model.max_seq_length == 256
    assert len(AIML4OS_REPORTS) == 5 and len(chunked) >= 50
    longest = max((embedder.count_tokens(c.embed_text), c.id)
                  for _, chunks in chunked.values() for c in chunks)
    assert longest[0] <= 256, longest


@pytest.mark.slow
def test_chunk_ids_count_up_per_document_and_metadata_names_the_source(chunked: Chunked) -> None:
    for doc_id, (doc, chunks) in chunked.items():
        assert chunks, doc_id
        assert [c.id for c in chunks] == [f"{doc_id}:{n}" for n in range(len(chunks))]
        for n, chunk in enumerate(chunks):
            meta = chunk.metadata
            assert meta["doc_id"] == doc_id and meta["chunk"] == n
            assert meta["title"] == doc.title and meta["doc_type"] == doc.doc_type
            assert meta["source"] == doc.source and meta["confidential"] is False
            assert meta["section"] in [s.heading for s in doc.sections]
            assert chunk.embed_text == f"{doc.title} | {meta['section']}\n{chunk.text}"
            assert all(isinstance(v, str | int | float | bool) for v in meta.values())


@pytest.mark.slow
def test_usecase_chunks_carry_the_record_facets(chunked: Chunked) -> None:
    _, chunks = chunked["insee-nace-relabelling"]
    for chunk in chunks:
        meta = chunk.metadata
        assert meta["doc_type"] == "usecase"
        assert meta["gsbpm:5.2"] is True and meta["gsbpm:5"] is True and meta["gamso:3.5"] is True
        assert (meta["stage"], meta["country"], meta["organisation"]) == (
            "production", "FRA", "INSEE")
        assert meta["url"] == "https://ssphub.netlify.app/en/project/2026_recodification_nace/"
        assert "gsbpm:4.3" not in meta
    assert {c.metadata["section"] for c in chunks} >= {"Overview", "Description", "Lessons learned"}


@pytest.mark.slow
def test_pdf_chunks_carry_their_page(chunked: Chunked) -> None:
    _, chunks = chunked["ine-portugal-air-transport-2025-04"]
    assert {c.metadata["page"] for c in chunks} == set(range(1, 8))
    assert all(c.metadata["section"] == f"Page {c.metadata['page']}" for c in chunks)


@pytest.mark.slow
def test_long_sections_are_split_with_every_word_kept(chunked: Chunked) -> None:
    doc, chunks = chunked["aiml4os-news-corner-report"]
    assert len(chunks) > len(doc.sections)  # some sections needed several chunks
    for section in doc.sections:
        joined = " ".join(c.text for c in chunks if c.metadata["section"] == section.heading)
        assert set(section.text.split()) <= set(joined.split())


# ====================================================================== 5. kill safety


def complete_rows(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1) as connection:
            return connection.execute(
                "SELECT count(*) FROM index_manifest WHERE status = 'complete'").fetchone()[0]
    except sqlite3.Error:  # the schema is still being created
        return 0


@pytest.mark.slow
def test_killed_ingestion_is_repaired_by_the_next_run(tmp_path: Path, cli_env: Path) -> None:
    folder = copy_files(tmp_path / "docs", (SHARED_REAL, "*.md"), (SHARED_REAL, "*.pdf"),
                        (CORPUS_DOCUMENTS, "*.md"))
    expected_ids = {load(p).doc_id for p in folder.iterdir()}
    assert len(expected_ids) == len(list(folder.iterdir())) == 15

    # Small batches, so that the kill lands after some documents are complete.
    env = {**subprocess_env(cli_env), "GAIOS_EMBEDDING__INGEST_BATCH_CHUNKS": "16"}
    process = subprocess.Popen([str(VENV_BIN / "gaios"), "ingest", str(folder)],
                               env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while complete_rows(cli_env / "gaios.db") == 0 and process.poll() is None:
            assert time.monotonic() < deadline, "no document was completed within 120 s"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert process.returncode == -signal.SIGKILL, f"ingestion ended before the kill: {stderr}"
    killed_at = manifest(new_container(cli_env))
    assert 1 <= sum(r.status == "complete" for r in killed_at.values()) < len(expected_ids)

    rerun = CliRunner().invoke(gaios, ["ingest", "--json", str(folder)])
    assert rerun.exit_code == 0, rerun.output
    report = json.loads(rerun.stdout)
    assert report["failed"] == []
    assert set(report["added"]) | set(report["updated"]) | set(report["unchanged"]) == expected_ids

    container = new_container(cli_env)
    rows = manifest(container)
    assert set(rows) == expected_ids
    assert {r.status for r in rows.values()} == {"complete"}
    for doc_id, row in rows.items():
        ids = chroma_ids(container.store, doc_id)
        assert row.chunks == len(ids) > 0, doc_id
        assert ids == {f"{doc_id}:{n}" for n in range(row.chunks)}
    assert container.store.count() == len(container.keyword) == sum(r.chunks for r in rows.values())
    assert bm25_ids(container.keyword) == chroma_ids(container.store)
    hits = container.retriever.search("passengers at Portuguese airports in April 2025", k=5).hits
    assert "ine-portugal-air-transport-2025-04" in {h.doc_id for h in hits}


@pytest.mark.slow
def test_pending_document_is_never_returned_by_search(tmp_path: Path) -> None:
    folder = copy_files(tmp_path / "docs", (CORPUS_DOCUMENTS, "hallucination-recommendations.md"),
                        (CORPUS_DOCUMENTS, "confidentiality-recommendations.md"))
    container = new_container(tmp_path / "var")
    ingest_folder(container, folder)
    query = "hallucinated numbers in generated statistical text"

    def found() -> set[str]:
        return {h.doc_id for h in container.retriever.search(query, k=30).hits}

    assert found() == {"hallucination-recommendations", "confidentiality-recommendations"}
    with container.db.session() as session:
        row = session.get(IndexEntryRow, "hallucination-recommendations")
        assert row is not None
        row.status = "pending"  # as a writer in another process leaves it while it works
    assert found() == {"confidentiality-recommendations"}
    # Its chunks are still in both indexes; only the manifest hides them.
    assert chroma_ids(container.store, "hallucination-recommendations")
    keyword_hits = {i for i, _ in container.keyword.search(query, 30)}
    assert ids_of("hallucination-recommendations", keyword_hits)

    report = ingest_folder(container, folder)  # the next run finishes the document
    assert report.updated == ["hallucination-recommendations"]
    assert "hallucination-recommendations" in found()


class Killed(BaseException):
    """The process dies here (not an Exception: nothing may catch it)."""


@pytest.mark.slow
def test_run_killed_before_the_keyword_update_is_completed_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "alpha.md").write_text("# Alpha\n\nThe zebrafish pilot coded occupations.\n")
    (folder / "beta.md").write_text("# Beta\n\nThe census chatbot answered questions.\n")
    (folder / "gamma.md").write_text("# Gamma\n\nThe wombat survey measured burrows.\n")
    ingest_folder(new_container(tmp_path / "var"), folder)

    # Same number of chunks, other text; and one document swapped for another.
    (folder / "alpha.md").write_text("# Alpha\n\nThe platypus pilot coded occupations.\n")
    (folder / "gamma.md").unlink()
    (folder / "delta.md").write_text("# Delta\n\nThe axolotl register counted farms.\n")

    def die(*args: object, **kwargs: object) -> None:
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(KeywordIndex, "replace", die)
        with pytest.raises(Killed):
            ingest_folder(new_container(tmp_path / "var"), folder)

    container = new_container(tmp_path / "var")  # the next process
    report = ingest_folder(container, folder)
    assert sorted(report.unchanged) == ["alpha", "beta", "delta"]
    assert bm25_ids(container.keyword) == chroma_ids(container.store) == {
        "alpha:0", "beta:0", "delta:0"}
    assert [i for i, _ in container.keyword.search("platypus", 3)] == ["alpha:0"]
    assert container.keyword.search("zebrafish", 3) == []
    assert [i for i, _ in container.keyword.search("axolotl", 3)] == ["delta:0"]


def chunks(*texts: str) -> list[KeywordChunk]:
    """One chunk per document: a:0, b:0, ..."""
    return [KeywordChunk(f"{chr(97 + i)}:0", chr(97 + i), t) for i, t in enumerate(texts)]


def test_bm25_build_recovers_from_a_swap_killed_half_way(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "bm25" / "gaios-test")
    index.build(chunks("zebrafish pilot"))
    # Killed after the new folder was moved in, before the old one was deleted; and an
    # earlier build killed while writing its temporary folder.
    shutil.copytree(index.folder, index.folder.with_name("gaios-test.old"))
    index.folder.with_name("gaios-test.tmp").mkdir()
    (index.folder.with_name("gaios-test.tmp") / "partial.npz").write_bytes(b"\x00" * 10)

    index.build(chunks("zebrafish pilot", "census chatbot"))

    assert len(index) == 2
    assert [i for i, _ in index.search("census chatbot", 2)] == ["b:0"]
    assert sorted(p.name for p in index.folder.parent.iterdir()) == ["gaios-test"]
    assert [i for i, _ in KeywordIndex(index.folder).search("zebrafish", 2)] == ["a:0"]


def test_keyword_search_matches_word_forms_and_classification_names(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "bm25" / "gaios-test")
    index.build([KeywordChunk(f"{d}:0", d, text) for d, text in [
        ("nace", "Relabelling business descriptions from NACE 2.0 to NACE 2.1"),
        ("isco", "The classifier assigns an occupation code"),
        ("other", "A chatbot for census questions")]])

    assert [i for i, _ in index.search("occupations", 3)] == ["isco:0"]  # stemmed
    assert [i for i, _ in index.search("industries", 3)] == []
    assert index.search(expand_keywords("industries"), 3)[0][0] == "nace:0"
    assert expand_keywords("chatbots") == "chatbots"  # no family named: unchanged


def test_index_built_by_another_tokenizer_is_stale_until_rebuilt(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "bm25" / "gaios-test")
    index.build(chunks("zebrafish pilot"))
    assert not index.stale
    (index.folder / "build.txt").write_text("an-older-tokenizer")
    assert index.stale  # `gaios ingest` rebuilds a stale index
    assert KeywordIndex(index.folder).search("zebrafish", 1) == []  # not read as this layout
    index.build(chunks("zebrafish pilot"))
    assert not index.stale


# ===================================================================== 6. Chroma server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real Chroma server on loopback, stopped after the test."""
    executable = VENV_BIN / "chroma"
    if not executable.exists():
        executable = Path(shutil.which("chroma") or executable)
    if not executable.exists():
        pytest.skip("the `chroma` executable (chromadb's server) is not installed")
    port, path = free_port(), tmp_path / "chroma-server"
    log = (tmp_path / "chroma.log").open("wb")
    process = subprocess.Popen(
        [str(executable), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=subprocess_env(tmp_path / "unused"))
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # up to ~30 s
            assert process.poll() is None, (tmp_path / "chroma.log").read_text()[-2000:]
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("the Chroma server did not answer its heartbeat within 30 s")
        yield url, path
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.mark.slow
def test_ingestion_and_search_against_a_chroma_server(
    tmp_path: Path, chroma_server: tuple[str, Path]
) -> None:
    url, server_path = chroma_server
    folder = copy_files(tmp_path / "docs", (CORPUS_DOCUMENTS, "confidentiality-recommendations.md"),
                        (CORPUS_DOCUMENTS, "coding-classification-with-llms.md"))
    container = new_container(tmp_path / "var", chroma_url=url)

    report = ingest_folder(container, folder)

    assert sorted(report.added) == ["coding-classification-with-llms",
                                    "confidentiality-recommendations"]
    assert not (tmp_path / "var" / "chroma").exists()  # nothing went to an embedded store
    assert (server_path / "chroma.sqlite3").exists()
    on_server = chromadb.HttpClient(host="127.0.0.1", port=int(url.rsplit(":", 1)[1]))
    assert on_server.get_collection("gaios-all-minilm-l6-v2").count() == report.chunks > 0
    container.store.heartbeat()
    hits = container.retriever.search("statistical disclosure control of confidential microdata",
                                      k=3).hits
    assert hits[0].doc_id == "confidentiality-recommendations"
    hits = container.retriever.search("NACE coding with language models", k=3).hits
    assert hits[0].doc_id == "coding-classification-with-llms"
    assert container.store.count() == len(container.keyword) == report.chunks


# =============================================================== 7. one collection per model


def test_each_embedding_model_has_its_own_collection_name() -> None:
    bundled = Embedder("bundled:all-MiniLM-L6-v2")
    multilingual = Embedder("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2")
    assert bundled.collection_name == "gaios-all-minilm-l6-v2"
    assert multilingual.collection_name == "gaios-paraphrase-multilingual-minilm-l12-v2"
    assert Embedder("/models/e5-small-v2").collection_name == "gaios-e5-small-v2"


def test_the_container_stores_vectors_in_the_collection_of_its_model(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    default = Container.build(settings_for(data_dir))
    other = Container.build(settings_for(data_dir, embedding={"model": "/models/e5-small-v2"}))
    assert default.store.collection.name == default.embedder.collection_name
    assert default.embedder.collection_name == "gaios-all-minilm-l6-v2"
    assert other.store.collection.name == "gaios-e5-small-v2"
    assert default.keyword.folder.name == "gaios-all-minilm-l6-v2"
    assert other.keyword.folder.name == "gaios-e5-small-v2"
    names = {c.name for c in default.store.client.list_collections()}
    assert names == {"gaios-all-minilm-l6-v2", "gaios-e5-small-v2"}  # side by side, never mixed
    assert "_model" not in default.embedder.__dict__  # naming the collection loads no model


# ========================================================================= 10. importers


def test_import_atrs_command_stores_the_records_and_prints_the_counts(cli_env: Path) -> None:
    path = SHARED_REAL / "uk-atrs-records.json"
    records, expected = IMPORTERS["atrs"](path)

    result = CliRunner().invoke(gaios, ["import", "atrs", str(path)])

    assert result.exit_code == 0, result.output
    first_line = result.stdout.splitlines()[0]
    assert first_line == (f"{path}: {json.dumps(expected.summary())}; stored "
                          f"{json.dumps({'added': len(records), 'updated': 0, 'unchanged': 0})}")
    assert expected.summary()["rows"] == 136 and len(records) == 130
    for issue in expected.failed:
        assert f"FAILED row {issue.row} {issue.id or ''}: {issue.reason}" in result.stdout

    again = CliRunner().invoke(gaios, ["import", "atrs", str(path)])
    assert again.exit_code == 0
    unchanged = {"added": 0, "updated": 0, "unchanged": len(records)}
    assert f"stored {json.dumps(unchanged)}" in again.stdout

    with TestClient(create_app(settings_for(cli_env))) as client:
        body = client.get("/api/v1/usecases", params={"origin": "import", "limit": 500}).json()
    assert body["count"] == len(records)
    assert {item["record"]["id"] for item in body["data"]} == {r.id for r in records}
    assert {(item["origin"], item["status"]) for item in body["data"]} == {("import", "published")}

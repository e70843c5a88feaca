"""Loaders: one per file format, registered by suffix, each turning a file into a
`LoadedDocument` of titled sections (headings, record fields or PDF pages).

Every failure raises `UnreadableFile` naming the file and the reason (empty, scanned PDF
without text, password-protected, corrupt, binary, too large).

Every loader is bounded, because files come from anonymous uploads too: the content a
file expands to (DOCX XML, PDF streams, text extracted, YAML with its aliases expanded)
may not exceed the same byte limit as the file itself, nesting is limited (JSON, YAML,
front matter), and the loops over pages, paragraphs and rows stop after
`MAX_PARSE_SECONDS`. Each loader does linear work in the size of its input.
"""

import csv
import io
import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
from pydantic import ValidationError

from app.errors import InvalidRecord
from app.parsing import Limits, ParseError, load_json, load_yaml
from app.schemas.records import Document, UseCase, slugify

Metadata = dict[str, str | int | float | bool]


class UnreadableFile(InvalidRecord):
    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}", errors=[{"field": str(path), "reason": reason}])
        self.reason = reason


@dataclass
class Section:
    heading: str
    text: str
    page: int | None = None


@dataclass
class LoadedDocument:
    doc_id: str
    title: str
    doc_type: str
    source: str
    parser: str
    sections: list[Section]
    url: str | None = None
    confidential: bool = False
    facets: Metadata = field(default_factory=dict)

    def normalised_text(self) -> str:
        """What the content hash is computed on: metadata that reaches the index, and text."""
        head = json.dumps([self.doc_id, self.title, self.doc_type, self.url, self.confidential,
                           sorted(self.facets.items())], default=str)
        body = "\n".join(f"{s.heading}\n{s.page}\n{' '.join(s.text.split())}" for s in self.sections)
        return head + "\n" + body


# A loader reads `path`, expanding it to at most `max_bytes` of content.
Loader = Callable[..., LoadedDocument]
LOADERS: dict[str, Loader] = {}
MAX_PARSE_SECONDS = 60.0
MAX_ZIP_MEMBERS = 10_000
MAX_TITLE = 300
DEFAULT_MAX_BYTES = 20_000_000
# trafilatura's extraction cannot be interrupted and takes seconds per megabyte of HTML.
MAX_HTML_BYTES = 2_000_000


class Deadline:
    """The parse-time limit of one file, checked between pages, paragraphs and rows."""

    def __init__(self, path: Path) -> None:
        self.path, self.seconds = path, MAX_PARSE_SECONDS
        self.end = time.monotonic() + self.seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise UnreadableFile(self.path, f"reading the file took more than {self.seconds:g} s")


def register(*suffixes: str) -> Callable[[Loader], Loader]:
    def decorator(loader: Loader) -> Loader:
        for suffix in suffixes:
            LOADERS[suffix] = loader
        return loader
    return decorator


def load_file(path: Path, *, max_bytes: int) -> LoadedDocument:
    """Load any supported file, after the checks every format shares."""
    if not path.exists():
        raise UnreadableFile(path, "no such file or folder")
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise UnreadableFile(path, f"unsupported file type {path.suffix or '(none)'}; supported: "
                             + ", ".join(sorted(LOADERS)))
    size = path.stat().st_size
    if size == 0:
        raise UnreadableFile(path, "the file is empty")
    if size > max_bytes:
        raise UnreadableFile(path, f"the file is {size} bytes, over the limit of {max_bytes}")
    document = loader(path, max_bytes=max_bytes)
    if not any(s.text.strip() for s in document.sections):
        raise UnreadableFile(path, "no text found in the file")
    return document


def read_text(path: Path) -> str:
    """UTF-8 text, or an error for a binary file that only has a text extension."""
    raw = path.read_bytes()
    if b"\x00" in raw[:8192]:
        raise UnreadableFile(path, "binary content in a text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def split_markdown(text: str, default_heading: str) -> tuple[str | None, list[Section]]:
    """Sections by Markdown heading, each headed by its heading path ("A > B")."""
    title: str | None = None
    path: list[str] = []
    sections: list[Section] = []
    lines: list[str] = []

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body:
            sections.append(Section(" > ".join(path) or default_heading, body))
        lines.clear()

    in_code = False
    for line in text.splitlines():
        in_code ^= line.strip().startswith("```")
        stripped = line.lstrip("#")
        level = len(line) - len(stripped)
        if not in_code and 1 <= level <= 4 and stripped.startswith(" "):
            flush()
            heading = stripped.strip()
            title = title or (heading if level == 1 else None)
            path[:] = path[: level - 1] + [heading]
            continue
        lines.append(line)
    flush()
    return title, sections


def front_matter(path: Path, text: str, max_bytes: int) -> tuple[dict[str, Any], str]:
    """The YAML front matter of a Markdown text (bounded: no alias amplification, no
    deep nesting) and the text after it."""
    handler = frontmatter.YAMLHandler()
    if not handler.detect(text):
        return {}, text
    head, content = handler.split(text)
    try:
        metadata = load_yaml(head, Limits(max_bytes=max_bytes))
    except ParseError as exc:
        raise UnreadableFile(path, f"malformed front matter: {exc.reason}") from exc
    return (metadata if isinstance(metadata, dict) else {}), content


@register(".md", ".markdown")
def load_markdown(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDocument:
    metadata, content = front_matter(path, read_text(path), max_bytes)
    heading_title, sections = split_markdown(content, path.stem)
    meta: Document | None = None
    if metadata:
        try:
            meta = Document.model_validate(metadata)
        except ValidationError:
            meta = None  # ordinary front matter of a non-GAIOS document: keep the text only
    title = (meta.title if meta else str(metadata.get("title") or "")[:MAX_TITLE]) \
        or heading_title or path.stem
    doc_id = meta.id if meta else slugify(str(metadata.get("id") or path.stem)[:MAX_TITLE])
    facets: Metadata = {"publisher": meta.publisher, "date": meta.date, "language": meta.language} \
        if meta else {}
    if meta:
        facets.update({f"gsbpm:{c}": True for c in meta.gsbpm})
    return LoadedDocument(
        doc_id=doc_id, title=title, doc_type=meta.doc_type if meta else "document",
        source=str(path), parser="markdown", sections=sections,
        url=str(meta.url) if meta and meta.url else None,
        confidential=bool(meta.confidential) if meta else bool(metadata.get("confidential")),
        facets=facets,
    )


@register(".yaml", ".yml")
def load_usecase_yaml(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDocument:
    try:
        data = load_yaml(read_text(path), Limits(max_bytes=max_bytes))
        record = UseCase.model_validate(data)
    except ParseError as exc:
        raise UnreadableFile(path, f"malformed YAML: {exc.reason}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UnreadableFile(path, f"not a valid use-case record ({where}: {first['msg']})") from exc
    return usecase_document(record, source=str(path))


def _words(value: str) -> str:
    return value.replace("_", " ")


def usecase_document(record: UseCase, *, source: str, provenance: str | None = None
                     ) -> LoadedDocument:
    """A use-case record as prose sections, with its facets as filterable metadata;
    `provenance` (a harvested record's origin) is added to its title, so citations show it."""
    orgs = ", ".join(f"{o.name} ({o.country})" for o in record.organisations)
    overview = (
        f"{record.summary}\n{record.title} is a use case of {orgs}, at the "
        f"{_words(record.lifecycle_stage)} stage. GSBPM: {', '.join(record.gsbpm) or 'none'}. "
        f"GAMSO: {', '.join(record.gamso) or 'none'}. Tasks: "
        f"{', '.join(_words(t) for t in record.task_types)}. Techniques: "
        f"{', '.join(_words(p) for p in record.genai_patterns)}."
    )
    models = " ".join(
        f"The {_words(m.role)} model is {m.name}" + (f" from {m.provider}" if m.provider else "")
        + f" ({_words(m.openness)}, hosted as {_words(m.hosting)})." for m in record.models)
    data = (f"{models} Model openness overall: {_words(record.model_openness)}; hosting: "
            f"{_words(record.hosting)}. Data used: {record.data_inputs or 'not stated'} Data "
            f"sensitivity: {_words(record.data_sensitivity)}. Human oversight: "
            f"{_words(record.human_oversight)}.")
    evaluation = record.evaluation
    evaluation_text = " ".join(f"{_words(k).capitalize()}: {v}." for k, v in
                               (evaluation.model_dump() if evaluation else {}).items() if v)
    parts = [
        ("Overview", overview),
        ("Description", record.description or ""),
        ("Models and data", data),
        ("Evaluation", evaluation_text),
        ("Benefits", "\n".join(f"{b.text}" for b in record.benefits)),
        ("Risks and mitigations", "\n".join(
            f"Risk of {_words(r.risk)}: {r.mitigation or r.note or 'no mitigation stated'}."
            for r in record.risks)),
        ("Lessons learned", "\n".join(record.lessons_learned)),
    ]
    facets: Metadata = {
        "stage": record.lifecycle_stage, "scope": record.scope, "openness": record.model_openness,
        "hosting": record.hosting, "organisation": record.organisations[0].acronym
        or record.organisations[0].name, "country": record.organisations[0].country,
    }
    facets.update({f"gsbpm:{c}": True for c in [*record.gsbpm, *record.gsbpm_phases()]})
    facets.update({f"gamso:{c}": True for c in record.gamso})
    return LoadedDocument(
        doc_id=record.id, title=f"{record.title} ({provenance})" if provenance else record.title,
        doc_type="usecase", source=source, parser="usecase",
        sections=[Section(h, t) for h, t in parts if t.strip()],
        url=str(record.sources[0].url), facets=facets,
    )


def pdf_pages(path: Path, reader: Any, max_bytes: int) -> list[str]:
    """The text of each page, within the time limit and `max_bytes` of text in all."""
    deadline, pages, total = Deadline(path), [], 0
    for page in reader.pages:
        deadline.check()
        pages.append(page.extract_text() or "")
        total += len(pages[-1])
        if total > max_bytes:
            raise UnreadableFile(path, f"the PDF holds more than {max_bytes} characters of text")
    return pages


@register(".pdf")
def load_pdf(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDocument:
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PdfReadError

    # pypdf's own decompression limits, lowered to this file's byte limit.
    limits = {name: max_bytes for name in (
        "maximum_declared_stream_length", "array_based_stream_maximum_output_length",
        "jbig2_maximum_output_length", "lzw_maximum_output_length",
        "run_length_maximum_output_length", "zlib_maximum_output_length",
        "brotli_maximum_output_length", "image_maximum_buffer_size",
        "stream_decoding_work_maximum_length")}
    try:
        with apply_configuration(**limits):
            reader = PdfReader(str(path))
            if reader.is_encrypted and not reader.decrypt(""):
                raise UnreadableFile(path, "the PDF is password-protected")
            pages = pdf_pages(path, reader, max_bytes)
            title = (reader.metadata.title if reader.metadata else None) or ""
    except UnreadableFile:
        raise
    except LimitReachedError as exc:
        raise UnreadableFile(path, f"the PDF expands beyond the limit of {max_bytes} bytes "
                             f"({exc})") from exc
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise UnreadableFile(path, f"corrupt or unreadable PDF ({exc})") from exc
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        raise UnreadableFile(path, f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from exc
    if not any(p.strip() for p in pages):
        raise UnreadableFile(path, "the PDF has no text layer (a scanned document needs OCR first)")
    first_line = next((ln.strip() for p in pages for ln in p.splitlines() if ln.strip()), path.stem)
    return LoadedDocument(
        doc_id=slugify(path.stem), title=str(title).strip() or first_line[:150], doc_type="pdf",
        source=str(path), parser="pypdf",
        sections=[Section(f"Page {n}", text, page=n) for n, text in enumerate(pages, 1) if text.strip()],
    )


@register(".html", ".htm")
def load_html(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDocument:
    import trafilatura

    if path.stat().st_size > min(max_bytes, MAX_HTML_BYTES):
        raise UnreadableFile(path, f"the HTML page is over {min(max_bytes, MAX_HTML_BYTES)} "
                             "bytes; save the main text as Markdown or PDF instead")
    html = read_text(path)
    # trafilatura keeps the main text and drops navigation, footers and boilerplate.
    text = trafilatura.extract(html, output_format="markdown", include_comments=False,
                               include_tables=True, favor_recall=True) or ""
    meta = trafilatura.extract_metadata(html)
    heading_title, sections = split_markdown(text, path.stem)
    title = (meta.title if meta and meta.title else None) or heading_title or path.stem
    return LoadedDocument(doc_id=slugify(path.stem), title=title, doc_type="html",
                          source=str(path), parser="trafilatura", sections=sections,
                          url=meta.url if meta and meta.url else None)


def check_zip(path: Path, max_bytes: int) -> None:
    """Refuse a ZIP package (DOCX) that decompresses to more than `max_bytes` (a "zip
    bomb"), by the sizes in its directory (zipfile never yields more than they say)."""
    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(path, f"corrupt or unreadable DOCX ({exc})") from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise UnreadableFile(path, f"the DOCX holds {len(members)} parts, over the limit of "
                             f"{MAX_ZIP_MEMBERS}")
    expanded = sum(m.file_size for m in members)
    if expanded > max_bytes:
        raise UnreadableFile(path, f"the DOCX decompresses to {expanded} bytes, over the limit "
                             f"of {max_bytes}")


def docx_lines(path: Path, document: Any) -> list[str]:
    """Paragraphs (headings as Markdown) and table rows, in linear time: styles are
    looked up once by id, and cells read from the XML (python-docx's `style` and
    `row.cells` are slow per call, quadratic over a long document)."""
    from docx.table import _Cell

    deadline = Deadline(path)
    names = {style.style_id: style.name for style in document.styles}
    lines = []
    for n, paragraph in enumerate(document.paragraphs):
        if n % 1000 == 0:
            deadline.check()
        style = names.get(paragraph._p.style or "", "") or ""
        level = int(style.split()[-1]) if style.startswith("Heading") and style[-1].isdigit() else 0
        lines.append(("#" * level + " " if level else "") + paragraph.text)
    for table in document.tables:
        for tr in table._tbl.tr_lst:
            deadline.check()
            lines.append(" | ".join(_Cell(tc, table).text for tc in tr.tc_lst))
    return lines


@register(".docx")
def load_docx(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDocument:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    check_zip(path, max_bytes)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise UnreadableFile(path, f"corrupt or unreadable DOCX ({exc})") from exc
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise UnreadableFile(path, f"corrupt or unreadable DOCX ({type(exc).__name__})") from exc
    heading_title, sections = split_markdown("\n".join(docx_lines(path, document)), path.stem)
    title = document.core_properties.title or heading_title or path.stem
    return LoadedDocument(doc_id=slugify(path.stem), title=title, doc_type="docx",
                          source=str(path), parser="python-docx", sections=sections)


@register(".txt", ".text")
def load_text(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDocument:
    text = read_text(path)
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), path.stem)
    return LoadedDocument(doc_id=slugify(path.stem), title=first[:150], doc_type="text",
                          source=str(path), parser="text", sections=[Section(path.stem, text)])


def _rows_document(path: Path, rows: list[dict[str, Any]], parser: str) -> LoadedDocument:
    def row_text(row: dict[str, Any]) -> str:
        return "\n".join(f"{k}: {v}" for k, v in row.items() if v not in (None, "", [], {}))

    sections = [Section(str(next(iter(r.values()), f"Row {n}"))[:120] or f"Row {n}", row_text(r))
                for n, r in enumerate(rows, 1)]
    return LoadedDocument(doc_id=slugify(path.stem), title=path.stem, doc_type="table",
                          source=str(path), parser=parser, sections=sections)


@register(".csv")
def load_csv(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDocument:
    try:
        rows = list(csv.DictReader(io.StringIO(read_text(path))))
    except csv.Error as exc:
        raise UnreadableFile(path, f"malformed CSV: {exc}") from exc
    return _rows_document(path, rows, "csv")


@register(".json")
def load_json_rows(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDocument:
    try:
        data = load_json(read_text(path), Limits(max_bytes=max_bytes))
    except ParseError as exc:
        raise UnreadableFile(path, f"malformed JSON: {exc.reason}") from exc
    items = data if isinstance(data, list) else [data]
    rows = [i if isinstance(i, dict) else {"value": i} for i in items]
    return _rows_document(path, rows, "json")

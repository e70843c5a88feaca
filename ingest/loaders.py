"""Loaders: one per file format, registered by suffix, each turning a file into a
`LoadedDocument` of titled sections (headings, record fields or PDF pages).

Every failure raises `UnreadableFile` naming the file and the reason (empty, scanned PDF
without text, password-protected, corrupt, binary, too large).
"""

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from pydantic import ValidationError

from app.errors import InvalidRecord
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


Loader = Callable[[Path], LoadedDocument]
LOADERS: dict[str, Loader] = {}


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
    document = loader(path)
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


@register(".md", ".markdown")
def load_markdown(path: Path) -> LoadedDocument:
    try:
        post = frontmatter.loads(read_text(path))
    except yaml.YAMLError as exc:
        raise UnreadableFile(path, f"malformed front matter: {exc}") from exc
    heading_title, sections = split_markdown(post.content, path.stem)
    meta: Document | None = None
    if post.metadata:
        try:
            meta = Document.model_validate(post.metadata)
        except ValidationError:
            meta = None  # ordinary front matter of a non-GAIOS document: keep the text only
    title = (meta.title if meta else str(post.metadata.get("title") or "")) or heading_title or path.stem
    doc_id = meta.id if meta else slugify(str(post.metadata.get("id") or path.stem))
    facets: Metadata = {"publisher": meta.publisher, "date": meta.date, "language": meta.language} \
        if meta else {}
    if meta:
        facets.update({f"gsbpm:{c}": True for c in meta.gsbpm})
    return LoadedDocument(
        doc_id=doc_id, title=title, doc_type=meta.doc_type if meta else "document",
        source=str(path), parser="markdown", sections=sections,
        url=str(meta.url) if meta and meta.url else None,
        confidential=bool(meta.confidential) if meta else bool(post.metadata.get("confidential")),
        facets=facets,
    )


@register(".yaml", ".yml")
def load_usecase_yaml(path: Path) -> LoadedDocument:
    try:
        data = yaml.safe_load(read_text(path))
        record = UseCase.model_validate(data)
    except yaml.YAMLError as exc:
        raise UnreadableFile(path, f"malformed YAML: {exc}") from exc
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


@register(".pdf")
def load_pdf(path: Path) -> LoadedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile(path, "the PDF is password-protected")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or ""
    except UnreadableFile:
        raise
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
def load_html(path: Path) -> LoadedDocument:
    import trafilatura

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


@register(".docx")
def load_docx(path: Path) -> LoadedDocument:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise UnreadableFile(path, f"corrupt or unreadable DOCX ({exc})") from exc
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise UnreadableFile(path, f"corrupt or unreadable DOCX ({type(exc).__name__})") from exc
    lines = []
    for paragraph in document.paragraphs:
        style = paragraph.style.name if paragraph.style is not None else ""
        level = int(style.split()[-1]) if style.startswith("Heading") and style[-1].isdigit() else 0
        lines.append(("#" * level + " " if level else "") + paragraph.text)
    for table in document.tables:
        lines += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    heading_title, sections = split_markdown("\n".join(lines), path.stem)
    title = document.core_properties.title or heading_title or path.stem
    return LoadedDocument(doc_id=slugify(path.stem), title=title, doc_type="docx",
                          source=str(path), parser="python-docx", sections=sections)


@register(".txt", ".text")
def load_text(path: Path) -> LoadedDocument:
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
def load_csv(path: Path) -> LoadedDocument:
    try:
        rows = list(csv.DictReader(io.StringIO(read_text(path))))
    except csv.Error as exc:
        raise UnreadableFile(path, f"malformed CSV: {exc}") from exc
    return _rows_document(path, rows, "csv")


@register(".json")
def load_json(path: Path) -> LoadedDocument:
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise UnreadableFile(path, f"malformed JSON: {exc}") from exc
    items = data if isinstance(data, list) else [data]
    rows = [i if isinstance(i, dict) else {"value": i} for i in items]
    return _rows_document(path, rows, "json")

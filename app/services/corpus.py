"""Reading the curated corpus shipped in `usecases/`: use-case records (one YAML file
each, in `records/`) and documents (Markdown with YAML front matter, in `documents/`).

Every error names the file and the field, so a curator can fix a record without
guessing. `python -m app.services.corpus [DIR]` checks a corpus folder.
"""

import sys
from dataclasses import dataclass
from pathlib import Path

import frontmatter
import yaml
from pydantic import ValidationError

from app.errors import InvalidRecord
from app.schemas.records import Document, UseCase


@dataclass(frozen=True)
class CorpusDocument:
    meta: Document
    body: str
    path: Path


def format_validation_error(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic errors as [{field, reason}] with dotted field paths."""
    return [
        {"field": ".".join(str(p) for p in err["loc"]) or "(record)", "reason": err["msg"]}
        for err in exc.errors()
    ]


def parse_yaml(text: str, *, source: str) -> object:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidRecord(f"{source}: malformed YAML: {exc}") from exc


def load_usecase(path: Path) -> UseCase:
    data = parse_yaml(path.read_text(encoding="utf-8"), source=str(path))
    try:
        record = UseCase.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecord(f"{path}: invalid use case", errors=format_validation_error(exc)) from exc
    if record.id != path.stem:
        raise InvalidRecord(f"{path}: id {record.id!r} must match the file name {path.stem!r}")
    return record


def load_document(path: Path) -> CorpusDocument:
    try:
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidRecord(f"{path}: malformed front matter: {exc}") from exc
    try:
        meta = Document.model_validate(post.metadata)
    except ValidationError as exc:
        raise InvalidRecord(f"{path}: invalid document", errors=format_validation_error(exc)) from exc
    if meta.id != path.stem:
        raise InvalidRecord(f"{path}: id {meta.id!r} must match the file name {path.stem!r}")
    if not post.content.strip():
        raise InvalidRecord(f"{path}: the document has no body text")
    return CorpusDocument(meta=meta, body=post.content, path=path)


def load_usecases(folder: Path) -> list[UseCase]:
    return [load_usecase(p) for p in sorted((folder / "records").glob("*.yaml"))]


def load_documents(folder: Path) -> list[CorpusDocument]:
    return [load_document(p) for p in sorted((folder / "documents").glob("*.md"))]


def check_corpus(folder: Path) -> list[str]:
    """All problems in a corpus folder, one line each (empty when it is valid)."""
    problems: list[str] = []
    ids: set[str] = set()
    for path in sorted((folder / "records").glob("*.yaml")):
        try:
            ids.add(load_usecase(path).id)
        except InvalidRecord as exc:
            problems.append(exc.describe())
    for path in sorted((folder / "documents").glob("*.md")):
        try:
            load_document(path)
        except InvalidRecord as exc:
            problems.append(exc.describe())
    return problems


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "usecases")
    found = check_corpus(root)
    print("\n".join(found) or f"{root}: all records and documents are valid")
    sys.exit(1 if found else 0)

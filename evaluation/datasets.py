"""The evaluation datasets (JSON Lines, schema version 1.0, documented in
`evaluation/datasets/README.md`), loaded into typed models. A malformed line or a gold
label naming a document the corpus does not hold is an error naming file and line."""

import json
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.errors import InvalidRecord

DATASETS = Path(__file__).parent / "datasets"
# The suites run over these datasets (each a method of `evaluation.runner.Evaluation`);
# named here so that `gaios eval --help` lists them without loading the runner.
SUITES = ("retrieval", "answers", "hallucination", "confidentiality")
Lang = Literal["en", "fr", "de", "es"]


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Turn(_Line):
    role: Literal["user", "assistant"]
    content: str


class Answerable(_Line):
    id: str
    question: str
    lang: Lang
    type: Literal["keyword", "natural", "followup", "new_topic", "filter", "multi_doc"]
    relevant: list[str] = Field(min_length=1)
    key_facts: list[str] = []
    history: list[Turn] = []
    filters: dict[str, list[str]] = {}


Attribute = Literal["model", "count", "cost", "accuracy", "date", "vendor", "parameter",
                    "hardware", "hosting", "time"]


class Unanswerable(_Line):
    id: str
    question: str
    lang: Lang
    type: Literal["figure", "person", "event", "near_corpus", "out_of_domain", "follow_up"]
    history: list[Turn] = []
    # near_corpus: the record the question is about, and the attribute it asks for that
    # no source states (to count records and attributes, and to read failures by kind)
    record: str | None = None
    asks: Attribute | None = None


class Probe(_Line):
    id: str
    kind: Literal["pii_question", "injection", "planted_injection", "secret_extraction"]
    question: str
    pii: list[str] = []
    expect: Literal["redact", "no_leak", "refuse"]


Family = Literal["exfiltration_image", "exfiltration_link", "ignore_instructions",
                 "system_prompt_extraction", "planted_instruction", "fake_source_block",
                 "hidden_in_html", "hidden_in_docx", "hidden_in_pdf"]
# Families whose success would send data to an outside address: their target is zero.
EXFILTRATION: tuple[str, ...] = ("exfiltration_image", "exfiltration_link")


class InjectionProbe(_Line):
    """A garak-style prompt-injection probe: the attack is in the question or in a planted
    document (datasets/planted/) the question retrieves; it succeeds when the answer
    carries one of its markers, the system prompt, or markup that could fetch a URL."""

    id: str
    family: Family
    lang: Lang
    question: str
    markers: list[str] = []


class Submission(_Line):
    id: str
    changes: dict[str, Any]
    has_personal_data: bool
    entities: list[str] = []


Row = TypeVar("Row", bound=BaseModel)


def load_jsonl(path: Path, model: type[Row]) -> list[Row]:
    rows: list[Row] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = model.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise InvalidRecord(f"{path}:{number}: malformed dataset line: {exc}") from exc
        row_id = getattr(row, "id")
        if row_id in seen:
            raise InvalidRecord(f"{path}:{number}: duplicate id {row_id!r}")
        seen.add(row_id)
        rows.append(row)
    return rows


def check_gold_ids(rows: list[Answerable], known: set[str], path: Path) -> None:
    for row in rows:
        unknown = [d for d in row.relevant if d not in known]
        if unknown:
            raise InvalidRecord(f"{path}: question {row.id} names unknown document ids "
                                f"{', '.join(unknown)} (not in the index)")


def load_markers(name: str) -> list[str]:
    return list(json.loads((DATASETS / name).read_text())["markers"])

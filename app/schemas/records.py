"""The GAIOS record schema (version 1.0): a use case of generative AI in an official
statistics organisation, and a document (white paper, report, guideline...).

Both are pydantic v2 models with `extra="forbid"`, so a misspelt field is an error,
not silently dropped. Their JSON Schema is published at `/api/v1/schema` and in
`docs/schema/`.
"""

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    field_validator,
    model_validator,
)

from app import vocabularies as v

SCHEMA_VERSION = "1.0"

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=3, max_length=80),
    Field(description="Stable lowercase-kebab identifier, e.g. `ons-statschat`."),
]
def _date_to_text(value: object) -> object:
    # YAML reads an unquoted 2024-12-06 as a date; the record keeps dates as text.
    return value.isoformat() if isinstance(value, date) else value


PartialDate = Annotated[
    str,
    BeforeValidator(_date_to_text),
    StringConstraints(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$", max_length=10),
    Field(description="ISO 8601 partial date: YYYY, YYYY-MM or YYYY-MM-DD."),
]
# Every string and list has a maximum length, so the largest valid record is small
# enough to check (schema, personal-data screen) in well under the validation time limit.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Short = Annotated[str, StringConstraints(max_length=300)]
Paragraph = Annotated[str, StringConstraints(max_length=4000)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
MAX_DESCRIPTION = 20_000
MAX_ITEMS = 30
CountryCode = Annotated[
    str,
    StringConstraints(pattern=r"^([A-Z]{3})$", max_length=3),
    Field(description="ISO 3166-1 alpha-3 country code, or INT for international bodies."),
]


def _gsbpm_code(value: str) -> str:
    return v.normalise_code(value, v.gsbpm(), "GSBPM")


def _gamso_code(value: str) -> str:
    return v.normalise_code(value, v.gamso(), "GAMSO")


# A code may be written with its name ("5.2 Classify and code"), hence the room.
GsbpmCode = Annotated[str, StringConstraints(max_length=200), AfterValidator(_gsbpm_code)]
GamsoCode = Annotated[str, StringConstraints(max_length=200), AfterValidator(_gamso_code)]


class _Model(BaseModel):
    # allow_inf_nan=False: JSON `NaN` and YAML `.inf` parse as floats, but standard JSON
    # has no way to write them back (exports would be invalid), so they are refused here.
    model_config = ConfigDict(extra="forbid", use_enum_values=True, allow_inf_nan=False)


class Organisation(_Model):
    name: Text
    acronym: Short | None = None
    type: v.OrganisationType
    country: CountryCode


class ModelUsed(_Model):
    name: Text
    provider: Short | None = None
    version: Short | None = None
    openness: v.ModelOpenness = v.ModelOpenness.unknown
    hosting: v.Hosting = v.Hosting.unknown
    role: v.ModelRole = v.ModelRole.generator


class Evaluation(_Model):
    method: Paragraph | None = None
    metrics: list[Short] = Field(default=[], max_length=MAX_ITEMS)
    baseline: Paragraph | None = None
    dataset_size: Short | None = None
    results: Paragraph | None = None


class Benefit(_Model):
    type: v.BenefitType
    text: LongText
    value: float | None = None
    unit: Short | None = None


class RiskEntry(_Model):
    risk: v.Risk
    mitigation: Paragraph | None = None
    note: Paragraph | None = None


class Source(_Model):
    url: HttpUrl
    title: Short | None = None
    publisher: Short | None = None
    date: PartialDate | None = None
    kind: v.SourceKind = v.SourceKind.primary
    confidence: v.Confidence = v.Confidence.V


class RecordMeta(_Model):
    created: date
    updated: date
    curator: Text
    licence: Short = "CC-BY-4.0"


class UseCase(_Model):
    """One use case: a service, prototype or deployment in one organisation (or one
    collaboration of several)."""

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    id: Slug
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
    summary: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=20, max_length=600)
    ] = Field(description="Plain-language summary, at most 600 characters.")
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION,
                                    description="Detailed Markdown description.")
    organisations: list[Organisation] = Field(min_length=1, max_length=MAX_ITEMS)
    partners: list[Short] = Field(default=[], max_length=MAX_ITEMS)
    year_started: PartialDate | None = None
    year_reported: PartialDate | None = None
    lifecycle_stage: v.LifecycleStage
    stage_as_reported: Short | None = None
    scope: v.Scope
    gsbpm: list[GsbpmCode] = Field(default=[], max_length=60,
                                   description="GSBPM 5.1 codes, e.g. 5.2.")
    gamso: list[GamsoCode] = Field(default=[], max_length=60,
                                   description="GAMSO activity codes, e.g. 3.4.")
    task_types: list[v.TaskType] = Field(min_length=1, max_length=MAX_ITEMS)
    genai_patterns: list[v.GenAIPattern] = Field(min_length=1, max_length=MAX_ITEMS)
    ai_classification: v.AIClassification = v.AIClassification.generative_ai
    models: list[ModelUsed] = Field(default=[], max_length=MAX_ITEMS)
    model_openness: v.ModelOpenness
    hosting: v.Hosting
    data_inputs: Paragraph | None = None
    data_sensitivity: v.DataSensitivity
    personal_data: bool | None = None
    human_oversight: v.HumanOversight
    evaluation: Evaluation | None = None
    quality_dimensions: list[v.QualityDimension] = Field(default=[], max_length=MAX_ITEMS)
    benefits: list[Benefit] = Field(default=[], max_length=MAX_ITEMS)
    risks: list[RiskEntry] = Field(default=[], max_length=MAX_ITEMS)
    lessons_learned: list[Paragraph] = Field(default=[], max_length=MAX_ITEMS)
    code_url: HttpUrl | None = None
    code_licence: Short | None = None
    contact: Short | None = Field(
        default=None, description="A public, functional mailbox only; never a person's address."
    )
    sources: list[Source] = Field(min_length=1, max_length=MAX_ITEMS,
                                  description="At least one public source.")
    related: list[Annotated[str, StringConstraints(max_length=80)]] = Field(
        default=[], max_length=MAX_ITEMS)
    record_meta: RecordMeta

    @field_validator("gsbpm", "gamso", "task_types", "genai_patterns", "related")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))

    @model_validator(mode="after")
    def _dates_and_scope(self) -> "UseCase":
        if not (self.year_started or self.year_reported):
            raise ValueError("one of year_started or year_reported is required")
        if self.scope in ("production", "both") and not self.gsbpm:
            raise ValueError("gsbpm: a production use case needs at least one GSBPM code")
        if self.scope in ("corporate", "both") and not self.gamso:
            raise ValueError("gamso: a corporate use case needs at least one GAMSO code")
        return self

    def gsbpm_phases(self) -> list[str]:
        return sorted({code.split(".")[0] for code in self.gsbpm})

    def search_text(self) -> str:
        """The text a keyword filter looks in."""
        orgs = " ".join(f"{o.name} {o.acronym or ''}" for o in self.organisations)
        return f"{self.title} {self.summary} {orgs}"


class Section(_Model):
    id: Short
    heading: Short
    text: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)]


class Document(_Model):
    """A white paper, report, guideline, recommendation or other reference text."""

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    id: Slug
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]
    publisher: Text
    date: PartialDate
    doc_type: v.DocumentType
    url: HttpUrl | None = None
    licence: Short = "CC-BY-4.0"
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$", max_length=2)] = "en"
    summary: Paragraph | None = None
    topics: list[Short] = Field(default=[], max_length=100)
    gsbpm: list[GsbpmCode] = Field(default=[], max_length=60)
    mentions_use_cases: list[Annotated[str, StringConstraints(max_length=80)]] = Field(
        default=[], max_length=200)
    confidential: bool = Field(
        default=False,
        description="Restricted document: its text is never returned to users without access.",
    )
    sources: list[Source] = Field(default=[], max_length=MAX_ITEMS)


SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = 80) -> str:
    """A record id from free text: lowercase, ASCII letters and digits joined by '-'."""
    slug = SLUG_RE.sub("-", text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "record"

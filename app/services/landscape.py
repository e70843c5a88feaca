"""The landscape of the repository: how many use cases per GSBPM phase and lifecycle
stage, organisation type, country, year, model openness, hosting and task, for the
records matching the browser's filters. Figures only; `app/web/landscape.py` draws them
and names them in the reader's language."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from app import vocabularies as v
from app.schemas.records import UseCase

STAGES = [s.value for s in v.LifecycleStage]


@dataclass
class Bar:
    value: str  # the filter value a link to the browser uses
    label: str
    count: int


@dataclass
class Chart:
    param: str  # the browser's filter parameter
    vocabulary: str | None  # the vocabulary of the bars' values, None for countries and years
    bars: list[Bar]


@dataclass
class Landscape:
    total: int
    phases: list[Bar]  # GSBPM phases: value is the code, count the records in it
    stages: list[str]
    heatmap: dict[tuple[str, str], int]  # (phase code, stage) -> records
    charts: list[Chart] = field(default_factory=list)


def words(code: str) -> str:
    """A vocabulary code as words ("on_premise" -> "On premise"), for a code the interface's
    catalogues do not name."""
    return code.replace("_", " ").capitalize()


def build_landscape(records: list[UseCase], *, top: int = 15) -> Landscape:
    """Count the records along each dimension; a record counts once per value it has."""
    phases = {t.code: t.name for t in v.gsbpm().values() if not t.parent}
    heatmap: Counter[tuple[str, str]] = Counter()
    for record in records:
        for phase in record.gsbpm_phases():
            heatmap[phase, record.lifecycle_stage] += 1
    per_phase = Counter(p for r in records for p in r.gsbpm_phases())

    return Landscape(
        total=len(records),
        phases=[Bar(code, f"{code} {name}", per_phase[code]) for code, name in phases.items()],
        stages=STAGES,
        heatmap=dict(heatmap),
        charts=[
            _chart("org_type", "organisation_type",
                   [[o.type for o in r.organisations] for r in records], top=top),
            _chart("country", None, [[o.country for o in r.organisations] for r in records],
                   top=top),
            _chart("year", None, [[_year(r)] for r in records if _year(r)], by_value=True,
                   top=top),
            _chart("openness", "model_openness", [[r.model_openness] for r in records], top=top),
            _chart("hosting", "hosting", [[r.hosting] for r in records], top=top),
            _chart("task_type", "task_types", [list(r.task_types) for r in records], top=top),
        ],
    )


def _year(record: UseCase) -> str:
    return (record.year_reported or record.year_started or "")[:4]


def _chart(param: str, vocabulary: str | None, values: list[list[str]], *, top: int,
           by_value: bool = False) -> Chart:
    """Records per value (each record once per value), most frequent first (or in value
    order, for years), at most `top` bars."""
    counts = Counter(x for vs in values for x in dict.fromkeys(vs))
    items = sorted(counts.items(), key=(lambda kv: kv[0]) if by_value else (lambda kv: (-kv[1], kv[0])))
    label: Callable[[str], str] = words if vocabulary else str
    return Chart(param, vocabulary, [Bar(k, label(k), n) for k, n in items[:top]])

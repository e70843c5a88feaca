"""The landscape of the repository: how many use cases per GSBPM phase and lifecycle
stage, organisation type, country, year, model openness, hosting and task, for the
records matching the browser's filters. Figures only; `app/web/landscape.py` draws them."""

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
    title: str
    bars: list[Bar]


@dataclass
class Landscape:
    total: int
    phases: list[Bar]  # GSBPM phases: value is the code, count the records in it
    stages: list[str]
    heatmap: dict[tuple[str, str], int]  # (phase code, stage) -> records
    charts: list[Chart] = field(default_factory=list)


LABELS = {"nso": "National statistical office", "international_org": "International organisation",
          "government_other": "Other government body", "closed_api": "Closed model (API)",
          "public_saas": "Public SaaS", "org_cloud_self_hosted": "Own cloud, self-hosted"}


def words(code: str) -> str:
    """A vocabulary code as words ("on_premise" -> "On premise")."""
    return LABELS.get(code) or code.replace("_", " ").capitalize()


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
            _chart("org_type", "Organisation type",
                   [[o.type for o in r.organisations] for r in records], top=top),
            _chart("country", "Country", [[o.country for o in r.organisations] for r in records],
                   label=str, top=top),
            _chart("year", "Year reported", [[_year(r)] for r in records if _year(r)],
                   label=str, by_value=True, top=top),
            _chart("openness", "Model openness", [[r.model_openness] for r in records], top=top),
            _chart("hosting", "Hosting", [[r.hosting] for r in records], top=top),
            _chart("task_type", "Task", [list(r.task_types) for r in records], top=top),
        ],
    )


def _year(record: UseCase) -> str:
    return (record.year_reported or record.year_started or "")[:4]


def _chart(param: str, title: str, values: list[list[str]], *, top: int,
           label: Callable[[str], str] = words, by_value: bool = False) -> Chart:
    """Records per value (each record once per value), most frequent first (or in value
    order, for years), at most `top` bars."""
    counts = Counter(x for vs in values for x in dict.fromkeys(vs))
    items = sorted(counts.items(), key=(lambda kv: kv[0]) if by_value else (lambda kv: (-kv[1], kv[0])))
    return Chart(param, title, [Bar(k, label(k), n) for k, n in items[:top]])

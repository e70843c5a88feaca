"""The personal-data screen: every probe of the evaluation set is redacted before a model
could see it, and ordinary statistical text is left alone."""

import pytest

from app.services import pii
from evaluation.datasets import DATASETS, Probe, load_jsonl

PROBES = [p for p in load_jsonl(DATASETS / "confidentiality.jsonl", Probe) if p.kind == "pii_question"]


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: p.id)
def test_personal_data_in_a_question_does_not_survive_redaction(probe: Probe) -> None:
    redacted = pii.redact(probe.question)
    assert [s for s in probe.pii if s in redacted] == []


@pytest.mark.parametrize("text", [
    "Stress Testing Scenarios with Deep Learning",
    "Passport Anomaly Model",
    "Dr. NAICS suggests codes for business descriptions",
    "GSBPM 5.2 and NACE 2.1: 78% agreement on 33,544 queries, Hit@5 > 0.82",
    "The ONS tested Gemini on Google Cloud in 2025; see https://example.org/a/1234567.",
    "The Irving Fisher Committee met in Abu Dhabi.",
])
def test_ordinary_text_has_no_findings(text: str) -> None:
    assert pii.scan_text(text) == []


def test_public_mailbox_is_not_personal_but_a_named_one_is() -> None:
    assert pii.scan_record({"contact": "statistics@stat.example.org"}) == []
    assert [f.entity for f in pii.scan_record({"contact": "jane.doe@stat.example.org"})] == ["EMAIL_ADDRESS"]

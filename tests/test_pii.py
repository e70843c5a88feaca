"""The personal-data screen: every probe of the evaluation set is redacted before a model
could see it, and ordinary statistical text is left alone."""

import pytest

from app.services import pii
from evaluation.datasets import DATASETS, Probe, load_jsonl
from tests.process_helpers import fresh_python

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


@pytest.mark.parametrize("address", [
    "statistics@stat.example.org", "methods@stat.example.org", "press-office@stat.example.org",
    "ai-register@statcan.example.ca", "datasciencecampus@ons.example.gov.uk",
    "statschat@ons.example.gov.uk", "kontakt@destatis.example.de", "presse@insee.example.fr",
    "prensa@ine.example.es", "helpdesk@stat.example.org", "enquiries@stat.example.org",
])
def test_functional_mailboxes_are_published_in_any_field(address: str) -> None:
    assert pii.scan_record({"contact": address, "description": f"Write to {address}."}) == []


@pytest.mark.parametrize("address", [
    "jdoe@stat.example.org", "jane.doe@stat.example.org", "anna@destatis.example.de",
    "mdupont@insee.example.fr", "data.jane@stat.example.org",
])
def test_a_personal_mailbox_is_found_with_or_without_digits(address: str) -> None:
    assert [f.entity for f in pii.scan_record({"contact": address})] == ["EMAIL_ADDRESS"]


def test_sources_title_and_publisher_are_screened() -> None:
    record = {"sources": [{"title": "Notes by Dr. Jane Whitfield", "publisher": "jdoe@stat.example.org",
                           "url": "https://stat.example.org/notes"}]}
    assert {(f.field, f.entity) for f in pii.scan_record(record)} == {
        ("sources.0.title", "PERSON"), ("sources.0.publisher", "EMAIL_ADDRESS")}


def test_url_query_strings_are_screened_but_paths_are_not() -> None:
    record = {"code_url": "https://git.example.org/repo?email=jane.doe%40stat.example.org&ref=main",
              "sources": [{"url": "https://stat.example.org/a/1234567?page=2",
                           "title": "Quarterly bulletin"}]}
    assert [(f.field, f.entity) for f in pii.scan_record(record)] == [("code_url", "EMAIL_ADDRESS")]


def test_digit_runs_of_a_record_id_are_not_phone_numbers() -> None:
    from app.services.pii import scan_record

    assert scan_record({"id": "soak-01-00002", "related": ["survey-2024-01-15"]}) == []
    assert {f.field for f in scan_record({"id": "x", "summary": "Ring +44 20 7946 0958 now."})} \
        == {"summary"}


def test_screening_loads_neither_pytorch_nor_transformers_and_they_still_import_after() -> None:
    # presidio's package would import both (seconds) for a pipe GAIOS does not use
    script = ("import sys\n"
              "from app.services import pii\n"
              "print(bool(pii.redact('Write to jane.doe@example.org').count('jane.doe')))\n"
              "print('torch' in sys.modules, 'transformers' in sys.modules)\n"
              "import torch, transformers\n"
              "print(torch.tensor([1.0]).sum().item())\n")
    assert fresh_python(script).split("\n")[:3] == ["False", "False False", "1.0"]

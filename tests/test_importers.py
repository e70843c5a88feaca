"""The two real-world inventory importers: the US federal AI use-case inventory (CSV) and
the UK ATRS records (JSON), end to end on the real files and on small hand-made files
that reproduce their quirks. Every row is accounted for: mapped, held back or failed."""

import csv
import json
import re
from datetime import date
from pathlib import Path

import pytest

from app.errors import InvalidRecord
from app.schemas.records import UseCase
from ingest.importers import (
    IMPORTERS,
    ImportReport,
    import_atrs,
    import_us_inventory,
)
from tests.conftest import SHARED_REAL

US_CSV = SHARED_REAL / "us-federal-ai-use-cases-2025.csv"
ATRS_JSON = SHARED_REAL / "uk-atrs-records.json"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
TODAY = date(2026, 1, 15)


def assert_accounted(report: ImportReport, records: list[UseCase]) -> None:
    counts = report.summary()
    assert set(counts) == {"rows", "mapped", "redacted", "held_back", "failed"}
    assert counts["rows"] == counts["mapped"] + counts["held_back"] + counts["failed"]
    assert [r.id for r in records] == report.mapped
    assert len(set(report.mapped)) == len(report.mapped)
    produced = set(report.mapped)
    assert all(issue.id in produced for issue in report.redacted)
    assert not produced & {i.id for i in report.held_back + report.failed if i.id}


@pytest.fixture(scope="module")
def us_import() -> tuple[list[UseCase], ImportReport]:
    return import_us_inventory(US_CSV, today=TODAY)


@pytest.fixture(scope="module")
def atrs_import() -> tuple[list[UseCase], ImportReport]:
    return import_atrs(ATRS_JSON, today=TODAY)


# --------------------------------------------------------------------------- real US file


def test_us_inventory_every_row_is_accounted_for(us_import) -> None:
    records, report = us_import
    assert report.rows == 3611
    assert report.source == str(US_CSV)
    assert_accounted(report, records)
    assert len(records) > 3000
    assert all(issue.reason for issue in report.failed + report.held_back)
    assert {"no use-case name"} <= {issue.reason for issue in report.failed}


def test_us_inventory_records_are_valid_and_carry_provenance(us_import) -> None:
    records, _ = us_import
    for record in records[:: 97]:
        UseCase.model_validate(record.model_dump())
        assert record.id.startswith("us-")
        assert record.year_reported == "2025"
        assert record.organisations[0].country == "USA"
        assert record.sources[0].publisher == "US Office of Management and Budget"
        assert record.record_meta.created == TODAY
        assert record.record_meta.curator == "gaios import us-inventory"
        assert len(record.summary) <= 600
    stages = {r.lifecycle_stage for r in records}
    assert stages == {"idea", "experiment", "pilot", "production", "retired"}
    assert {r.stage_as_reported for r in records if r.lifecycle_stage == "idea"} == {
        "(blank in source)"
    }


def test_us_inventory_leaks_no_email_address(us_import) -> None:
    records, report = us_import
    dump = json.dumps([r.model_dump(mode="json") for r in records])
    assert EMAIL.findall(dump) == []
    assert all(r.contact is None for r in records)
    removed = [i for i in report.redacted if "contact e-mail removed" in i.reason]
    assert len(removed) > 2000
    assert all("contact_email" in i.fields for i in removed)


def test_us_inventory_census_rows_are_an_nso(us_import) -> None:
    records, _ = us_import
    census = [r for r in records if r.organisations[0].name == "U.S. Census Bureau"]
    assert len(census) >= 10
    assert all(r.organisations[0].type == "nso" for r in census)
    assert any("5.2" in r.gsbpm and r.scope in ("production", "both") for r in census)
    bls = [r for r in records if r.organisations[0].acronym == "BLS"]
    assert bls and all(r.organisations[0].type == "nso" for r in bls)
    nasa = [r for r in records if r.organisations[0].acronym == "NASA"]
    assert nasa and all(r.organisations[0].type == "government_other" for r in nasa)


def test_us_inventory_multiline_name_becomes_one_line_title(us_import) -> None:
    records, _ = us_import
    with US_CSV.open(encoding="utf-8-sig", newline="") as handle:
        multiline = [row["use_case_name"] for row in csv.DictReader(handle)
                     if "\n" in row["use_case_name"]]
    assert multiline
    titles = {r.title for r in records}
    assert " ".join(multiline[0].split()) in titles
    assert not any("\n" in t or "  " in t for t in titles)


# --------------------------------------------------------------------------- real ATRS file


def test_atrs_every_record_is_accounted_for(atrs_import) -> None:
    records, report = atrs_import
    assert report.rows == 136
    assert_accounted(report, records)
    assert len(records) > 120
    assert {issue.reason for issue in report.failed} <= {"no publishing body"}
    assert all(r.record_meta.licence == "OGL-UK-3.0" for r in records)
    assert all(r.sources[0].url.host == "www.gov.uk" for r in records)


def test_atrs_ons_survey_assist_is_an_nso_record(atrs_import) -> None:
    records, _ = atrs_import
    [survey_assist] = [r for r in records if r.title == "Survey Assist"]
    org = survey_assist.organisations[0]
    assert (org.name, org.type, org.country) == ("Office for National Statistics", "nso", "GBR")
    assert "5.2" in survey_assist.gsbpm
    assert survey_assist.ai_classification == "generative_ai"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", survey_assist.year_reported or "")
    assert survey_assist.lifecycle_stage == "pilot"
    assert survey_assist.stage_as_reported.startswith("(not in source")


# --------------------------------------------------------------------------- hand-made quirks

US_COLUMNS = ["agency", "agency_name", "id", "use_case_name", "agency_bureau", "contact_email",
              "development_stage", "classification", "problem_solved", "system_outputs",
              "has_pii", "demographic_features"]


def write_us_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:  # writes the BOM
        writer = csv.DictWriter(handle, fieldnames=US_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in US_COLUMNS})
    return path


def test_us_quirks_are_mapped_redacted_or_refused(tmp_path: Path) -> None:
    path = write_us_csv(tmp_path / "quirks.csv", [
        {   # 1: BOM, multi-line name, blank stage, stringified list, contact e-mail
            "agency": "DOC", "agency_name": "Department of Commerce", "id": "DOC-901",
            "use_case_name": "Occupation\n  write-in autocoder", "agency_bureau": "Census",
            "contact_email": "jane.doe@census.gov", "classification": "Generative AI",
            "problem_solved": "Assigns SOC occupation codes to write-in job descriptions "
                              "collected in household surveys.",
            "demographic_features": "['c) Age', 'd) Sex']",
        },
        {   # 2: a personal e-mail inside the free text
            "agency": "DOL", "agency_name": "Department of Labor", "id": "DOL-902",
            "use_case_name": "Staff help chatbot", "development_stage": "Pilot",
            "classification": "NLP",
            "problem_solved": "Answers staff questions about leave rules; write to "
                              "john.smith@dol.gov when the bot cannot answer.",
        },
        {   # 3: no name
            "agency": "DOL", "agency_name": "Department of Labor", "id": "DOL-903",
            "problem_solved": "A use case with a purpose but no name at all.",
        },
        {   # 4: a person's name in the use-case name itself
            "agency": "HHS", "agency_name": "Department of Health and Human Services",
            "use_case_name": "Dr. Jane Smith's triage notes model",
            "problem_solved": "Summarises triage notes for the clinical team.",
        },
        {   # 5: same id as row 2, deployed, no purpose text at all
            "agency": "DOL", "agency_name": "Department of Labor", "id": "DOL-902",
            "use_case_name": "Grant drafting assistant", "development_stage": "Deployed",
        },
        {   # 6: a name too short for a title
            "agency": "EPA", "agency_name": "Environmental Protection Agency", "id": "7",
            "use_case_name": "AI", "development_stage": "Retired",
            "problem_solved": "An item whose name is too short to be a record title.",
        },
    ])
    records, report = import_us_inventory(path, today=TODAY)
    assert_accounted(report, records)
    assert report.summary() == {"rows": 6, "mapped": 3, "redacted": 2, "held_back": 1,
                                "failed": 2}
    by_id = {r.id: r for r in records}
    assert list(by_id) == ["us-doc-901", "us-dol-902", "us-dol-902-2"]

    coder = by_id["us-doc-901"]
    assert coder.title == "Occupation write-in autocoder"
    assert (coder.lifecycle_stage, coder.stage_as_reported) == ("idea", "(blank in source)")
    assert coder.organisations[0].type == "nso"
    assert (coder.scope, coder.gsbpm) == ("production", ["5.2"])
    assert "classification_coding" in coder.task_types
    assert coder.ai_classification == "generative_ai" and coder.genai_patterns == ["prompting"]
    assert "c) Age; d) Sex" in (coder.description or "")
    assert "[" not in (coder.description or "")
    assert coder.record_meta.created == TODAY

    chatbot = by_id["us-dol-902"]
    assert chatbot.lifecycle_stage == "pilot"
    assert "john.smith" not in chatbot.model_dump_json()
    assert "<EMAIL_ADDRESS>" in chatbot.summary
    assert chatbot.organisations[0].type == "government_other"

    drafting = by_id["us-dol-902-2"]
    assert drafting.lifecycle_stage == "production"
    assert "Department of Labor" in drafting.summary  # built from the name and the agency

    redacted = {i.row: i for i in report.redacted}
    assert redacted[1].reason == "contact e-mail removed"
    assert redacted[1].fields == ["contact_email"]
    assert redacted[2].id == "us-dol-902"
    assert "problem_solved" in redacted[2].fields
    assert "contact_email" not in redacted[2].fields  # this row had no contact e-mail

    [held] = report.held_back
    assert (held.row, held.id, held.fields) == (4, None, ["use_case_name"])
    failed = {i.row: i for i in report.failed}
    assert failed[3].reason == "no use-case name"
    assert "title" in failed[6].fields and failed[6].id == "us-epa-7"
    assert "smith" not in json.dumps([i.__dict__ for i in report.held_back]).lower()


def test_atrs_quirks(tmp_path: Path) -> None:
    path = tmp_path / "atrs.json"
    path.write_text(json.dumps([  # a bare list is accepted as well as {"records": [...]}
        {"publishing_body": "Office for National Statistics", "tool_name": "Coding helper",
         "url": "https://www.gov.uk/algorithmic-transparency-records/ons-coding-helper",
         "published": "2024-05", "description": "A large language model suggests "
         "classification codes; contact jane.doe@ons.gov.uk with questions."},
        {"publishing_body": None, "tool_name": "Orphan tool",
         "url": "https://www.gov.uk/algorithmic-transparency-records/orphan-tool",
         "published": "2025-01-02T10:00:00Z", "description": "A tool with no publisher."},
        {"publishing_body": "HMRC", "tool_name": "Letter sorter",
         "url": "https://www.gov.uk/algorithmic-transparency-records/hmrc-letter-sorter",
         "published": "2025-03-04T10:00:00Z", "description": None},
        "not a record",
    ]), encoding="utf-8")
    records, report = import_atrs(path, today=TODAY)
    assert_accounted(report, records)
    assert report.summary() == {"rows": 4, "mapped": 2, "redacted": 1, "held_back": 0,
                                "failed": 2}
    ons, hmrc = records
    assert ons.id == "uk-ons-coding-helper" and ons.year_reported == "2024-05"
    assert ons.organisations[0].type == "nso" and "jane.doe" not in ons.model_dump_json()
    assert hmrc.organisations[0].type == "government_other"
    assert "HMRC" in hmrc.summary and hmrc.year_reported == "2025-03-04"
    assert [i.reason for i in report.failed] == ["no publishing body", "not a record object"]


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize("name, content", [
    ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe\x00garbage"),
    ("notes.csv", b"title,author\nsomething,someone\n"),
])
def test_us_importer_refuses_a_file_that_is_not_the_inventory(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidRecord, match=re.escape(name)):
        import_us_inventory(path)


@pytest.mark.parametrize("name, content", [
    ("broken.json", "{not json"),
    ("number.json", "42"),
    ("us.json", US_CSV.read_text(encoding="utf-8-sig")[:2000]),
])
def test_atrs_importer_refuses_a_file_that_is_not_atrs_json(
    tmp_path: Path, name: str, content: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidRecord, match=re.escape(name)):
        import_atrs(path)


def test_importers_registry() -> None:
    assert IMPORTERS == {"us-inventory": import_us_inventory, "atrs": import_atrs}

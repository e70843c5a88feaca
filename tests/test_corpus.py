"""The shipped corpus: every record and document valid against the schema and the
vocabularies, enough of them, linked ids that exist, and no personal data."""

import pytest

from app.core.config import PROJECT_ROOT
from app.schemas.records import UseCase
from app.services import pii
from app.services.corpus import check_corpus, load_documents, load_usecases

CORPUS = PROJECT_ROOT / "usecases"


def test_every_shipped_record_and_document_is_valid() -> None:
    assert check_corpus(CORPUS) == []


def test_corpus_has_at_least_30_use_cases_and_8_documents() -> None:
    assert len(load_usecases(CORPUS)) >= 30
    assert len(load_documents(CORPUS)) >= 8


def test_corpus_includes_corporate_gamso_cases() -> None:
    corporate = [r for r in load_usecases(CORPUS) if r.scope in ("corporate", "both")]
    assert len(corporate) >= 4 and all(r.gamso for r in corporate)


def test_related_and_mentioned_ids_exist() -> None:
    ids = {r.id for r in load_usecases(CORPUS)}
    for record in load_usecases(CORPUS):
        assert set(record.related) <= ids, record.id
    for document in load_documents(CORPUS):
        assert set(document.meta.mentions_use_cases) <= ids, document.meta.id


@pytest.mark.parametrize("record", load_usecases(CORPUS), ids=lambda r: r.id)
def test_shipped_record_has_no_personal_data(record: UseCase) -> None:
    assert pii.scan_record(record.model_dump(mode="json")) == []


def test_gsbpm_name_must_match_its_code() -> None:
    """The shared GSBPM data's known mislabel: 2.1 is 'Design outputs', not 'Design frame'."""
    record = load_usecases(CORPUS)[0].model_dump(mode="json")
    record["gsbpm"] = ["2.1 Design frame and sample"]
    with pytest.raises(ValueError, match="Design outputs"):
        UseCase.model_validate(record)
    record["gsbpm"] = ["2.4 Design frame and sample"]
    assert UseCase.model_validate(record).gsbpm == ["2.4"]

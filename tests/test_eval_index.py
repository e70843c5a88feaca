"""The evaluation's index is kept between runs (issue #14): reused while the corpus, the
datasets and the index settings are unchanged, built again from nothing when any of them
changes, and a reused index gives the metrics a fresh one gives."""

import shutil
from pathlib import Path

import pytest

from app.core.config import PROJECT_ROOT, Settings
from app.errors import InvalidRecord
from evaluation.datasets import DATASETS
from evaluation.index import FOLDER, MARKER, fingerprint, index_settings, record_complete, reusable
from evaluation.runner import Evaluation
from evaluation.target import InProcessTarget
from tests.test_backup import forget_open_chroma_folders


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECT_ROOT / "usecases", tmp_path / "usecases"))


@pytest.fixture
def datasets(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DATASETS, tmp_path / "datasets"))


def settings_for(tmp_path: Path, corpus: Path, **changes: object) -> Settings:
    values: dict[str, object] = {"_env_file": None, "environment": "test",
                                 "data_dir": tmp_path / "var", "corpus_dir": corpus,
                                 "llm": {"backend": "extractive"}}
    return Settings(**(values | changes))  # type: ignore[arg-type]


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_the_fingerprint_changes_with_a_corpus_file(tmp_path: Path, corpus: Path,
                                                    datasets: Path) -> None:
    settings = settings_for(tmp_path, corpus)
    before = fingerprint(settings, datasets)
    assert fingerprint(settings, datasets) == before
    append(corpus / "documents" / "glossary-vocabularies.md", "\nOne more line.\n")
    assert fingerprint(settings, datasets) != before


def test_the_fingerprint_changes_with_a_dataset_file(tmp_path: Path, corpus: Path,
                                                     datasets: Path) -> None:
    settings = settings_for(tmp_path, corpus)
    before = fingerprint(settings, datasets)
    append(datasets / "planted" / next((datasets / "planted").glob("*.md")).name, "\nMore.\n")
    assert fingerprint(settings, datasets) != before


@pytest.mark.parametrize("embedding", [{"max_tokens": 128}, {"model": "/models/other"}])
def test_the_fingerprint_changes_with_an_index_setting(tmp_path: Path, corpus: Path,
                                                       datasets: Path,
                                                       embedding: dict[str, object]) -> None:
    before = fingerprint(settings_for(tmp_path, corpus), datasets)
    assert fingerprint(settings_for(tmp_path, corpus, embedding=embedding), datasets) != before


def test_the_fingerprint_ignores_what_does_not_make_the_index(tmp_path: Path, corpus: Path,
                                                             datasets: Path) -> None:
    before = fingerprint(settings_for(tmp_path, corpus), datasets)
    (datasets / "__pycache__").mkdir()
    (datasets / "__pycache__" / "validate.cpython-311.pyc").write_bytes(b"\0")
    changed = settings_for(tmp_path, corpus, retrieval={"top_k": 3}, llm={"backend": "local"})
    assert fingerprint(changed, datasets) == before


def test_a_folder_is_reused_only_with_a_complete_index_of_the_same_fingerprint(
        tmp_path: Path) -> None:
    folder = tmp_path / FOLDER
    assert not reusable(folder, "a", rebuild=False)  # new: made and marked
    assert not reusable(folder, "a", rebuild=False)  # a build that never completed
    record_complete(folder, "a")
    assert reusable(folder, "a", rebuild=False)
    (folder / "chroma").mkdir()
    assert not reusable(folder, "b", rebuild=False)
    assert (folder / MARKER).is_file() and not (folder / "chroma").exists()  # emptied
    record_complete(folder, "b")
    assert not reusable(folder, "b", rebuild=True)


def test_a_folder_that_is_not_an_evaluation_index_is_never_deleted(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    folder.mkdir()
    (folder / "gaios.db").write_bytes(b"real data")
    with pytest.raises(InvalidRecord, match="not an evaluation index"):
        reusable(folder, "a", rebuild=False)
    assert (folder / "gaios.db").read_bytes() == b"real data"


def scores(target: InProcessTarget) -> dict[str, object]:
    """The retrieval and answer metrics of five questions, timings left out."""
    evaluation = Evaluation(target, limit=5)
    metrics = {**evaluation.retrieval().metrics, **evaluation.answers().metrics}
    return {k: v for k, v in metrics.items() if "_ms" not in k}


@pytest.mark.slow
def test_a_reused_index_gives_the_metrics_of_a_fresh_build(tmp_path: Path, corpus: Path) -> None:
    settings = index_settings(settings_for(tmp_path, corpus))
    fresh = InProcessTarget(settings)
    assert not fresh.index_reused
    fresh_scores, fresh_corpus = scores(fresh), fresh.about()["corpus"]

    again = InProcessTarget(settings)
    assert again.index_reused
    assert again.about()["corpus"] == fresh_corpus
    assert scores(again) == fresh_scores

    append(corpus / "documents" / "glossary-vocabularies.md", "\nOne more line.\n")
    forget_open_chroma_folders()  # as a new `gaios eval` process would (tests/test_backup.py)
    changed = InProcessTarget(settings)
    assert not changed.index_reused
    assert changed.about()["corpus"]["hash"] != fresh_corpus["hash"]

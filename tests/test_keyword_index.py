"""The keyword index under concurrency and after a crash (issue #17):

- rebuilds from several threads (concurrent publishes) are serialised, none fails, and the
  index ends whole;
- a server started on a data folder whose keyword index was left stale (a process killed
  during a publish) repairs it at start-up, before serving searches.
"""

import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.components.keyword import KeywordChunk, KeywordIndex
from app.main import create_app
from ingest.cli import make_ingestor
from tests.ingest_helpers import ingest_paths, new_container

TEXTS = ["zebrafish pilot coded occupations", "census chatbot answered questions",
         "wombat survey measured burrows"]


def test_concurrent_rebuilds_are_serialised_and_leave_a_whole_index(tmp_path: Path) -> None:
    folder = tmp_path / "bm25" / "gaios-test"
    chunks = [KeywordChunk(f"d{i}:0", f"d{i}", t) for i, t in enumerate(TEXTS)]
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def publish() -> None:
        start.wait()
        try:
            for _ in range(3):
                KeywordIndex(folder).build(chunks)  # one instance per request, as in the API
        except BaseException as exc:  # noqa: BLE001 - the test reports every failure
            errors.append(exc)

    threads = [threading.Thread(target=publish) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    index = KeywordIndex(folder)
    assert len(index) == 3 and not index.stale
    assert [i for i, _ in index.search("wombat", 3)] == ["d2:0"]
    assert sorted(p.name for p in folder.parent.iterdir()) == ["gaios-test"]


@pytest.mark.slow
def test_server_start_repairs_a_keyword_index_left_stale_by_a_killed_publish(
    tmp_path: Path
) -> None:
    container = new_container(tmp_path / "var")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "alpha.md").write_text("# Alpha\n\nThe zebrafish pilot coded occupations.\n")
    ingest_paths(make_ingestor(container), docs)
    # Killed after the vector store was written and before the keyword update: the
    # keyword index is marked stale and does not hold the new document.
    (docs / "beta.md").write_text("# Beta\n\nThe axolotl register counted farms.\n")
    ingestor = make_ingestor(container)
    container.keyword.replace = lambda *args, **kwargs: None  # type: ignore[method-assign]
    ingestor.rebuild_keyword_index = lambda: None  # type: ignore[method-assign]
    ingest_paths(ingestor, docs)
    assert container.keyword.stale and container.keyword.search("axolotl", 2) == []

    restarted = new_container(tmp_path / "var")
    with TestClient(create_app(restarted.settings, container=restarted)):
        assert not restarted.keyword.stale
        assert [i for i, _ in restarted.keyword.search("axolotl", 2)] == ["beta:0"]

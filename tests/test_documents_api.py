"""Search and documents over HTTP, on the real model and a real embedded Chroma:

- POST /api/v1/search ranks the chunks of the indexed corpus, with filters, and refuses
  an unknown filter or an empty query with a 422 that names it;
- POST /api/v1/documents takes a contributor's PDF, DOCX, Markdown... file, screens it for
  personal data, stores and indexes it; GET lists it; DELETE (reviewers) takes it out of
  both indexes; a confidential document is searchable by reviewers only.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.config import PROJECT_ROOT
from app.core.container import Container
from app.main import create_app
from app.services.auth import Role
from app.services.corpus import load_documents, load_usecases
from app.services.retrieval import chroma_where
from ingest.cli import default_sources, make_ingestor
from tests.conftest import ADMIN_KEY, make_key
from tests.ingest_helpers import (
    bm25_ids,
    chroma_ids,
    docx_bytes,
    manifest,
    settings_for,
    use_shared_embedder,
    write_random_bytes,
)

pytestmark = pytest.mark.slow  # every test here embeds with the real model

CORPUS = PROJECT_ROOT / "usecases"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def hit_ids(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [hit["doc_id"] for hit in response.json()["data"]]


def search(client: TestClient, query: str, headers: dict[str, str] | None = None,
           **body: object) -> list[str]:
    return hit_ids(client.post("/api/v1/search", json={"query": query, **body},
                               headers=headers or {}))


def container_of(client: TestClient) -> Container:
    return client.app.state.container  # type: ignore[attr-defined,no-any-return]


# ======================================================================= 8. search API


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app whose index holds the whole shipped corpus (documents and published use
    cases), built once for the read-only search tests."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith(("GAIOS_", "OPENAI_"))]:
            patch.delenv(name)
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("ANONYMIZED_TELEMETRY", "False")
        settings = settings_for(tmp_path_factory.mktemp("search") / "var", api_keys_admin=ADMIN_KEY)
        with TestClient(create_app(settings)) as client:
            container = use_shared_embedder(container_of(client))
            sources, scopes = default_sources(container)
            report = make_ingestor(container).run(sources, scopes=scopes)
            assert report.failed == [] and len(report.added) == len(sources)
            yield client


def test_search_ranks_the_nace_relabelling_case_first(indexed: TestClient) -> None:
    response = indexed.post("/api/v1/search",
                            json={"query": "NACE relabelling with an ensemble of open models"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["data"]) == 8  # the default k
    top3 = body["data"][:3]
    assert "insee-nace-relabelling" in [hit["doc_id"] for hit in top3]
    hit = next(h for h in top3 if h["doc_id"] == "insee-nace-relabelling")
    assert hit["title"] == ("Relabelling 2.7 million training records from NACE 2.0 to NACE 2.1 "
                            "with constrained open LLMs")
    assert hit["section"] in {"Overview", "Description", "Models and data", "Evaluation",
                              "Benefits", "Risks and mitigations", "Lessons learned"}
    assert hit["doc_type"] == "usecase"
    assert hit["id"].startswith("insee-nace-relabelling:") and hit["text"]
    assert hit["url"] == "https://ssphub.netlify.app/en/project/2026_recodification_nace/"
    assert 0.3 < hit["similarity"] <= 1.0
    assert hit["metadata"]["country"] == "FRA"
    scores = [h["score"] for h in body["data"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    assert body["timings"]["retrieval_ms"] > 0


def test_gsbpm_filter_returns_only_chunks_of_gsbpm_5_2_records(indexed: TestClient) -> None:
    with_5_2 = ({u.id for u in load_usecases(CORPUS) if "5.2" in u.gsbpm}
                | {d.meta.id for d in load_documents(CORPUS) if "5.2" in d.meta.gsbpm})
    query = "language models that assign codes of a statistical classification"
    unfiltered = set(search(indexed, query, k=50))
    assert unfiltered - with_5_2  # without the filter, other documents come back too

    response = indexed.post("/api/v1/search", json={"query": query, "k": 50,
                                                    "filters": {"gsbpm": ["5.2"]}})
    hits = response.json()["data"]
    assert len(hits) >= 10
    assert {h["doc_id"] for h in hits} <= with_5_2
    assert all(h["metadata"]["gsbpm:5.2"] is True for h in hits)
    assert {"istat-ateco-semantic-coding", "ons-classifai", "coding-classification-with-llms"} <= {
        h["doc_id"] for h in hits}


def test_doc_type_filter_returns_only_use_cases(indexed: TestClient) -> None:
    query = "how to keep confidential microdata out of a language model"
    assert {"usecase"} < {h["doc_type"] for h in indexed.post(
        "/api/v1/search", json={"query": query, "k": 20}).json()["data"]}
    body = {"query": query, "k": 20, "filters": {"doc_type": ["usecase"]}}
    hits = indexed.post("/api/v1/search", json=body).json()["data"]
    assert len(hits) == 20
    assert {h["doc_type"] for h in hits} == {"usecase"}


@pytest.mark.parametrize("filters", [{"doc_type": ["usecase"]}, {"country": ["FRA"]}])
def test_filtered_dense_candidates_are_those_of_chromas_own_filter(
        indexed: TestClient, filters: dict[str, list[str]]) -> None:
    # Common filters are applied to an unfiltered query (fast), rare ones by Chroma's
    # `where`: either way the candidates are the nearest chunks that pass the filter.
    container = indexed.app.state.container  # type: ignore[attr-defined]
    vector = container.embedder.embed_query("coding survey answers with a language model")
    candidates = container.retriever._dense(vector, 20, filters)
    by_chroma = container.store.query(vector, k=20, where=chroma_where(filters))
    assert candidates == [c[0] for c in by_chroma]


def test_filters_combine(indexed: TestClient) -> None:
    hits = indexed.post("/api/v1/search", json={
        "query": "classification coding", "k": 20,
        "filters": {"gsbpm": ["5.2"], "country": ["FRA"], "doc_type": ["usecase"]}}).json()["data"]
    assert hits and {h["metadata"]["organisation"] for h in hits} == {"INSEE"}


def test_unknown_filter_is_a_422_naming_it(indexed: TestClient) -> None:
    body = {"query": "coding", "filters": {"colour": ["blue"]}}
    response = indexed.post("/api/v1/search", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "invalid"
    assert [d["field"] for d in error["details"]] == ["filters.colour"]
    assert "gsbpm" in error["details"][0]["reason"]


def test_empty_query_is_a_422(indexed: TestClient) -> None:
    response = indexed.post("/api/v1/search", json={"query": ""})
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["query"]


# ===================================================================== 9. documents API


@pytest.fixture
def api(client: TestClient) -> TestClient:
    """The conftest app (empty index), on the run's one embedding model."""
    use_shared_embedder(container_of(client))
    return client


def upload(client: TestClient, headers: dict[str, str], filename: str, content: bytes,
           mime: str = "text/markdown", **form: object):  # type: ignore[no-untyped-def]
    data = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in form.items()}
    return client.post("/api/v1/documents", files={"file": (filename, content, mime)},
                       data=data, headers=headers)


NOTE_MD = (b"---\ntitle: Data retention note for the chatbot pilot\n---\n"
           b"# Data retention\n\nChatbot transcripts are kept for thirty days, then the "
           b"retention job erases them from the pilot database.\n")


def listed(client: TestClient, headers: dict[str, str] | None = None) -> list[str]:
    response = client.get("/api/v1/documents", headers=headers or {})
    assert response.status_code == 200, response.text
    return [d["id"] for d in response.json()["data"]]


def test_contributor_uploads_docx_and_markdown_which_are_listed_and_searchable(
    api: TestClient, contributor: dict[str, str], tmp_path: Path
) -> None:
    word = docx_bytes(tmp_path, "Quality framework for generated text", [
        ("Checks", "Every figure in a generated summary is compared with the source table "
                   "by the reconciliation robot before release."),
    ])
    created = upload(api, contributor, "Quality Framework.docx", word, DOCX, doc_type="guideline")
    assert created.status_code == 201, created.text
    body = created.json()
    fields = ("id", "filename", "title", "doc_type", "confidential")
    assert tuple(body[f] for f in fields) == (
        "upload-quality-framework", "Quality Framework.docx",
        "Quality framework for generated text", "guideline", False)
    assert body["chunks"] == 1

    note = upload(api, contributor, "retention-note.md", NOTE_MD, title="Retention note")
    assert note.status_code == 201, note.text
    assert (note.json()["id"], note.json()["title"]) == ("upload-retention-note", "Retention note")

    assert sorted(listed(api)) == ["upload-quality-framework", "upload-retention-note"]
    assert search(api, "reconciliation robot compares every figure", k=1) == [
        "upload-quality-framework"]
    assert search(api, "how long are chatbot transcripts kept", k=1) == ["upload-retention-note"]
    rows = manifest(container_of(api))
    assert {d: (r.status, r.doc_type) for d, r in rows.items()} == {
        "upload-quality-framework": ("complete", "guideline"),
        "upload-retention-note": ("complete", "other")}


def test_anonymous_and_reader_cannot_upload(api: TestClient) -> None:
    assert upload(api, {}, "note.md", NOTE_MD).status_code == 401
    reader = make_key(api, Role.reader)
    forbidden = upload(api, reader, "note.md", NOTE_MD)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["type"] == "forbidden"
    assert listed(api) == [] and manifest(container_of(api)) == {}


def test_upload_with_personal_data_is_refused_and_nothing_is_kept(
    api: TestClient, contributor: dict[str, str]
) -> None:
    text = (b"# Pilot contacts\n\nQuestions about the pilot go to jane.doe@stat.example.org "
            b"or to her mobile, +44 20 7946 0958.\n")
    response = upload(api, contributor, "pilot-contacts.md", text)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "personal_data"
    assert {(d["field"], d["entity"]) for d in error["details"]} == {
        ("Pilot contacts", "EMAIL_ADDRESS"), ("Pilot contacts", "PHONE_NUMBER")}
    assert "jane.doe@" not in response.text and "7946 0958" not in response.text
    container = container_of(api)
    assert listed(api) == [] and manifest(container) == {}
    assert container.store.count() == 0
    uploads = container.settings.data_dir / "uploads"
    assert not uploads.exists() or not any(uploads.rglob("*"))


def test_corrupt_pdf_upload_is_a_422_naming_the_file(
    api: TestClient, contributor: dict[str, str], tmp_path: Path
) -> None:
    content = write_random_bytes(tmp_path / "x.pdf").read_bytes()
    response = upload(api, contributor, "quarterly-report.pdf", content, "application/pdf")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["message"].startswith("quarterly-report.pdf: corrupt or unreadable PDF")
    assert error["details"][0]["file"] == "quarterly-report.pdf"
    assert error["details"][0]["reason"].startswith("corrupt or unreadable PDF")
    assert listed(api) == [] and manifest(container_of(api)) == {}


def test_reviewer_deletes_a_document_from_search_and_both_indexes(
    api: TestClient, contributor: dict[str, str], reviewer: dict[str, str]
) -> None:
    assert upload(api, contributor, "retention-note.md", NOTE_MD).status_code == 201
    container = container_of(api)
    assert chroma_ids(container.store, "upload-retention-note") == {"upload-retention-note:0"}
    assert "upload-retention-note:0" in bm25_ids(container.keyword)
    query = "how long are chatbot transcripts kept"
    assert search(api, query) == ["upload-retention-note"]

    url = "/api/v1/documents/upload-retention-note"
    assert api.delete(url, headers=contributor).status_code == 403
    deleted = api.delete(url, headers=reviewer)
    assert deleted.status_code == 204

    assert search(api, query) == []
    assert listed(api) == [] and manifest(container) == {}
    assert chroma_ids(container.store, "upload-retention-note") == set()
    assert bm25_ids(container.keyword) == set()
    assert container.keyword.search("chatbot transcripts retention", 5) == []
    assert api.delete(url, headers=reviewer).status_code == 404


def test_confidential_document_is_searchable_by_reviewers_only(
    api: TestClient, contributor: dict[str, str], reviewer: dict[str, str]
) -> None:
    created = upload(api, contributor, "retention-note.md", NOTE_MD, confidential=True)
    assert created.status_code == 201, created.text
    assert created.json()["confidential"] is True
    query = "how long are chatbot transcripts kept"

    assert search(api, query) == []
    assert search(api, query, make_key(api, Role.reader)) == []
    assert search(api, query, reviewer) == ["upload-retention-note"]
    assert listed(api) == []
    assert listed(api, reviewer) == ["upload-retention-note"]


def test_published_submission_is_searchable_and_withdrawn_one_is_not(client: TestClient) -> None:
    from app.services.auth import Role
    from tests.conftest import make_key
    from tests.factories import new_usecase

    contributor, reviewer = make_key(client, Role.contributor), make_key(client, Role.reviewer)
    record = new_usecase(title="Zanzibar quantum coding assistant for occupation write-ins")
    assert client.post("/api/v1/usecases", json=record, headers=contributor).status_code == 201
    client.post(f"/api/v1/usecases/{record['id']}/review", json={"action": "publish"},
                headers=reviewer)

    def found() -> bool:
        hits = client.post("/api/v1/search", json={"query": "Zanzibar quantum coding assistant"}).json()
        return record["id"] in {h["doc_id"] for h in hits["data"]}

    assert found()
    assert client.delete(f"/api/v1/usecases/{record['id']}", headers=reviewer).status_code == 204
    assert not found()


def nothing_kept(client: TestClient) -> bool:
    uploads = container_of(client).settings.data_dir / "uploads"
    return listed(client) == [] and (not uploads.exists() or not any(uploads.rglob("*")))


@pytest.mark.parametrize("filename,content,form,field", [
    ("note.md", NOTE_MD, {"title": "Notes from jdoe@stat.example.org"}, "title"),
    ("jane.doe@stat.example.org.md", NOTE_MD, {}, "file"),
    ("note.md", b"# Call Dr. Jane Whitfield\n\nTranscripts are kept for thirty days.\n", {}, "heading"),
    ("note.md", b"---\ntitle: Notes by Dr. Amelia Hartwell\n---\nTranscripts are kept for thirty days.\n",
     {}, "title"),
    ("note.md", b"---\ntitle: Retention\nauthor: jane.doe@stat.example.org\n---\n"
     b"Transcripts are kept for thirty days.\n", {}, "front_matter"),
], ids=["title-field", "file-name", "heading", "front-matter-title", "front-matter-field"])
def test_personal_data_outside_the_body_is_refused_and_nothing_is_kept(
    api: TestClient, contributor: dict[str, str], filename: str, content: bytes,
    form: dict[str, str], field: str
) -> None:
    response = upload(api, contributor, filename, content, **form)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["type"] == "personal_data"
    assert field in {d["field"] for d in response.json()["error"]["details"]}
    assert nothing_kept(api)


def test_a_300_character_file_name_is_a_422_naming_the_file(
    api: TestClient, contributor: dict[str, str]
) -> None:
    response = upload(api, contributor, "n" * 297 + ".md", NOTE_MD)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == "file"
    assert nothing_kept(api)


def test_a_duplicate_id_is_a_409_and_its_file_is_not_kept(
    api: TestClient, contributor: dict[str, str]
) -> None:
    assert upload(api, contributor, "note.md", NOTE_MD, doc_id="retention").status_code == 201
    other = NOTE_MD.replace(b"thirty", b"sixty")
    assert upload(api, contributor, "other.md", other, doc_id="retention").status_code == 409
    uploads = container_of(api).settings.data_dir / "uploads"
    assert [p.name for p in uploads.rglob("*") if p.is_file()] == ["note.md"]

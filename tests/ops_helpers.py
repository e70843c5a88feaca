"""Helpers for the roles, operations and back-up tests: a deterministic embedder (for
tests of the logic around retrieval: who sees what, what is logged and counted) and a
small "deployment" with a key of every role, a public and a confidential document.

The real embedding model and Chroma are exercised by tests/test_chat.py,
tests/test_ingest.py and tests/test_backup.py."""

import hashlib
import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import numpy as np
from fastapi.testclient import TestClient

from app.components.keyword import tokenize
from app.core.config import Settings
from app.core.container import Container
from app.main import create_app
from app.services.auth import ANONYMOUS, Principal, Role
from app.services.backup import rebase_paths
from tests.conftest import ADMIN_KEY

PUBLIC_DOC = """# Tourism nowcasting with web data

The statistics office nowcasts monthly tourism nights from web-scraped accommodation
listings and validates every estimate against the survey of accommodation establishments.
"""
CONFIDENTIAL_MARKER = "ZEPHYR-LANTERN-42"
CONFIDENTIAL_DOC = f"""# Restricted memo on the harbour freight pilot

The restricted harbour freight pilot uses the code word {CONFIDENTIAL_MARKER}; the harbour
freight pilot budget and vendor are internal and must stay restricted to reviewers.
"""


class HashEmbedder:
    """Bag-of-words vectors from hashed word tokens, L2-normalised: texts sharing words
    are similar, the same text always gives the same vector, and nothing is loaded."""

    name = "test-hash-embedder"
    encoder = name  # what the manifest records
    collection_name = "gaios-test-hash-embedder"
    dimension = 512
    batch_size = 64
    max_tokens = 256

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in tokenize(text):
                slot = int(hashlib.sha1(word.encode()).hexdigest()[:8], 16) % self.dimension
                vectors[row, slot] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def embed_sentences(self, texts: list[str]) -> np.ndarray:
        return self.embed(texts)  # nothing to remember: hashing is as cheap as a look-up


def hash_container(settings: Settings) -> Container:
    """A container whose embedder is the HashEmbedder (set before anything uses it)."""
    container = Container.build(settings)
    container.__dict__["embedder"] = HashEmbedder()
    return container


def ops_settings(data_dir: Path, **changes: object) -> Settings:
    values: dict[str, object] = {
        "_env_file": None, "environment": "test", "data_dir": data_dir,
        "api_keys_admin": ADMIN_KEY, "llm": {"backend": "extractive", "mode": "free"},
        "retrieval": {"min_relevance": 0.05}, "rate_limit_chat_per_minute": 0,
        "rate_limit_upload_per_minute": 0,
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


def upload(client: TestClient, headers: dict[str, str], name: str, text: str,
           **form: str) -> httpx.Response:
    """POST a Markdown document to /api/v1/documents."""
    files = {"file": (name, io.BytesIO(text.encode()), "text/markdown")}
    return client.post("/api/v1/documents", headers=headers, files=files, data=form)


@dataclass
class Deployment:
    """A running app with a key for every role, another contributor (`owner`) and the
    bootstrap admin, and two indexed documents: one public, one confidential."""

    client: TestClient
    settings: Settings
    headers: dict[Role, dict[str, str]] = field(default_factory=dict)
    principals: dict[Role, Principal] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)
    admin: dict[str, str] = field(default_factory=lambda: {"X-API-Key": ADMIN_KEY})

    @property
    def container(self) -> Container:
        return self.client.app.state.container  # type: ignore[attr-defined,no-any-return]

    def add_keys(self) -> None:
        self.headers[Role.anonymous], self.principals[Role.anonymous] = {}, ANONYMOUS
        for role in (Role.reader, Role.contributor, Role.reviewer, Role.admin):
            _, key = self.container.keys.create(name=f"test {role}", role=role)
            self.headers[role] = {"X-API-Key": key}
            self.principals[role] = self.container.keys.authenticate(key)
        _, key = self.container.keys.create(name="another contributor", role=Role.contributor)
        self.owner = {"X-API-Key": key}

    def add_documents(self) -> None:
        # Two admins: the upload rate limit counts per key.
        for admin, name, text, confidential in (
                (self.admin, "tourism.md", PUBLIC_DOC, "false"),
                (self.headers[Role.admin], "memo.md", CONFIDENTIAL_DOC, "true")):
            response = upload(self.client, admin, name, text, confidential=confidential,
                              doc_id=name.removesuffix(".md"))
            assert response.status_code == 201, response.text


def open_deployment(data_dir: Path, **changes: object) -> Deployment:
    """Start a deployment (the caller closes `client`)."""
    settings = ops_settings(data_dir, **changes)
    client = TestClient(create_app(settings, container=hash_container(settings)))
    client.__enter__()
    deployment = Deployment(client=client, settings=settings)
    deployment.add_keys()
    deployment.add_documents()
    return deployment


def close(deployment: Deployment) -> None:
    deployment.client.__exit__(None, None, None)
    deployment.container.db.engine.dispose()


def clone_deployment(template: Deployment, data_dir: Path, **changes: object) -> Deployment:
    """A deployment of its own on a copy of a closed template's data folder: the same
    keys and documents, at the cost of a copy instead of a set-up."""
    shutil.copytree(template.settings.data_dir, data_dir)
    settings = template.settings.model_copy(update={"data_dir": data_dir, **changes})
    container = hash_container(settings)
    rebase_paths(container.db, template.settings.data_dir, data_dir)
    client = TestClient(create_app(settings, container=container))
    client.__enter__()
    return Deployment(client=client, settings=settings, headers=template.headers,
                      principals=template.principals, owner=template.owner)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """Set up once per module: keys of every role, a public and a confidential document."""
    made = open_deployment(tmp_path_factory.mktemp("template") / "var")
    close(made)
    return made


@pytest.fixture
def deployment(template: Deployment, tmp_path: Path) -> Iterator[Deployment]:
    """Each test its own copy of the template."""
    copy = clone_deployment(template, tmp_path / "var")
    yield copy
    close(copy)

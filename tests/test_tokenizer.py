"""Token counts without the model (issue #14): the embedder counts word pieces with the model
folder's tokenizer.json, read by the `tokenizers` package, instead of the tokenizer that
sentence-transformers loads with PyTorch and the model. On the shipped corpus it gives the same
counts, the same chunk boundaries and the same (truncated) input ids as the model's own."""

import pytest

from app.components.embedding import Embedder
from ingest.chunking import ChunkSettings, chunk_document
from ingest.loaders import LoadedDocument, load_file
from tests.ingest_helpers import CORPUS_DOCUMENTS, INE_PDF, MAX_BYTES, shared_embedder
from tests.process_helpers import fresh_python
from tests.test_ingest import AIML4OS_REPORTS, RECORDS


def shipped_corpus() -> list[LoadedDocument]:
    paths = [*sorted(CORPUS_DOCUMENTS.glob("*.md")), *sorted(RECORDS.glob("*.yaml")),
             *AIML4OS_REPORTS, INE_PDF]
    return [load_file(p, max_bytes=MAX_BYTES) for p in paths]


def test_counting_tokens_loads_neither_pytorch_nor_the_model() -> None:
    script = ("import sys\n"
              "from app.components.embedding import Embedder\n"
              "embedder = Embedder()\n"
              "print(embedder.count_tokens('Coding occupations with a language model'))\n"
              "print('torch' in sys.modules, 'transformers' in sys.modules,"
              " '_model' in vars(embedder))\n")
    assert fresh_python(script).split("\n")[:2] == ["8", "False False False"]


@pytest.mark.slow
def test_counts_chunks_and_input_ids_equal_the_model_tokenizer_on_the_shipped_corpus() -> None:
    embedder = Embedder()  # a fresh one: its tokenizer is the file's, not the model's
    model_tokenizer = shared_embedder()._model.tokenizer  # what sentence-transformers loads

    def model_count(text: str) -> int:
        return len(model_tokenizer(text, add_special_tokens=True, truncation=False,
                                   verbose=False)["input_ids"])

    documents = shipped_corpus()
    assert len(documents) >= 50
    texts: list[str] = []
    for doc in documents:
        ours = chunk_document(doc, ChunkSettings(), embedder.count_tokens)
        theirs = chunk_document(doc, ChunkSettings(), model_count)
        assert [c.embed_text for c in ours] == [c.embed_text for c in theirs], doc.doc_id
        texts += [s.text for s in doc.sections] + [c.embed_text for c in ours]
    assert "_model" not in vars(embedder)  # chunking did not load the model
    assert [embedder.count_tokens(t) for t in texts] == [model_count(t) for t in texts]
    assert max(model_count(t) for t in texts) > 256  # long texts are among them

    # The truncated ids the model is given (the embedder pads them batch by batch).
    tokenizer = embedder._pieces.tokenizer
    tokenizer.enable_truncation(256)
    ours_ids = [e.ids for e in tokenizer.encode_batch(texts)]
    theirs_ids = model_tokenizer(texts, truncation=True, max_length=256)["input_ids"]
    assert ours_ids == theirs_ids
    assert embedder._pieces.pad_id == model_tokenizer.pad_token_id

"""Ingestion benchmark: GAIOS (`Ingestor.run`) against the plain LangChain pipeline of most
RAG tutorials, on the same documents, model and machine; re-ingestion with nothing changed
and with one document changed; the embedding model's CPU ceiling; and the ONNX / int8 path.

    .venv/bin/python benchmarks/ingest_bench.py                 # the whole corpus (~15 min)
    .venv/bin/python benchmarks/ingest_bench.py --us-limit 1000 # the first 1,000 US records
    .venv/bin/python benchmarks/ingest_bench.py --us-limit 300 --skip-onnx   # a quick look

Corpus: the shipped corpus (usecases/documents and the curated use cases, as `gaios ingest`
indexes them), the AIML4OS reports (*.md) and the INE Portugal PDF of the real-data folder,
and the US federal inventory imported with `IMPORTERS["us-inventory"]`, each record turned
into a document with `usecase_document`. The run takes about 15 minutes on an idle 2-core
machine, and three to four times as long while other work (a test suite) runs beside it.

Every measured variant runs in a fresh subprocess on a fresh temporary data folder, so its
peak RSS (`ru_maxrss`, which counts native memory: torch, ONNX Runtime, Chroma's HNSW
index) is its own. Other work on the machine distorts every figure: before each variant the
script waits (up to --idle-wait seconds) for the CPUs to be idle, and it records the CPU
time other processes used while the variant ran.

Prints Markdown tables and writes benchmarks/results/ingest_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402  (sets the offline environment before heavy imports)
from _common import (REAL_DATA, US_CSV, cpu_jiffies, cpu_seconds_children,  # noqa: E402
                     cpu_seconds_self, peak_rss_mib, table, wait_until_idle, write_results)

MAX_SEQ = 256  # the model's input limit (sentence_bert_config.json) and GAIOS's max_tokens
CHANGED_FILE = "aiml4os-background.md"  # the one document edited for variant (d)
LC_CHUNK_SIZE, LC_OVERLAP = 1000, 200


# --------------------------------------------------------------------------- corpus


def prepare_corpus(work: Path, us_limit: int | None) -> dict[str, Any]:
    """Copy the real files (so one can be edited) and import the US inventory once."""
    real = work / "real"
    real.mkdir(parents=True)
    for path in sorted(REAL_DATA.glob("*.md")) + sorted(REAL_DATA.glob("*.pdf")):
        shutil.copy(path, real / path.name)
        (real / path.name).chmod(0o644)
    from ingest.importers import IMPORTERS

    started = time.perf_counter()
    records, report = IMPORTERS["us-inventory"](US_CSV)
    import_seconds = time.perf_counter() - started
    if us_limit:
        records = records[:us_limit]
    with (work / "us.pkl").open("wb") as handle:
        pickle.dump(records, handle)
    return {"real_files": sorted(p.name for p in real.iterdir()),
            "us_import": {**report.summary(), "seconds": round(import_seconds, 2),
                          "records_used": len(records)}}


def build_sources(container: Any, work: Path) -> tuple[list[Any], list[str]]:
    """The benchmark corpus as GAIOS sources (lazy loaders, as `gaios ingest` builds them)."""
    from ingest.cli import USECASE_SCOPE, default_sources
    from ingest.loaders import usecase_document
    from ingest.pipeline import file_sources

    sources, scopes = default_sources(container)
    real, real_scopes = file_sources([work / "real"], max_bytes=container.settings.max_upload_bytes)
    with (work / "us.pkl").open("rb") as handle:
        records = pickle.load(handle)
    us = [(f"{USECASE_SCOPE}{r.id}", lambda r=r, k=f"{USECASE_SCOPE}{r.id}": usecase_document(r, source=k))
          for r in records]
    return sources + real + us, scopes + real_scopes


def container_for(data_dir: Path) -> Any:
    from app.core.config import Settings
    from app.core.container import Container

    return Container.build(Settings(data_dir=data_dir))


def token_counts(tokenizer: Any, texts: list[str]) -> list[int]:
    counts: list[int] = []
    for start in range(0, len(texts), 2000):
        encoded = tokenizer(texts[start:start + 2000], add_special_tokens=True, truncation=False,
                            verbose=False)["input_ids"]
        counts += [len(ids) for ids in encoded]
    return counts


def token_summary(tokenizer: Any, texts: list[str]) -> dict[str, Any]:
    counts = token_counts(tokenizer, texts)
    return {"texts": len(texts), "tokens_total": sum(counts),
            "tokens_embedded": sum(min(c, MAX_SEQ) for c in counts),
            "truncated_texts": sum(c > MAX_SEQ for c in counts),
            "tokens_lost_to_truncation": sum(max(0, c - MAX_SEQ) for c in counts),
            "mean_tokens": round(sum(counts) / len(counts), 1) if counts else 0}


# --------------------------------------------------------------------------- GAIOS variants


class Probe:
    """Wraps the pipeline's stages with timers (a few perf_counter calls per document)."""

    def __init__(self, ingestor: Any) -> None:
        import ingest.pipeline as pipeline

        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.embedded: list[str] = []
        self.chunked_docs: list[str] = []
        self._pipeline = pipeline

        def timed(name: str, func: Any, on_call: Any = None) -> Any:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return func(*args, **kwargs)
                finally:
                    self.seconds[name] += time.perf_counter() - started
                    self.calls[name] += 1
                    if on_call:
                        on_call(*args)
            return wrapper

        embedder, store = ingestor.embedder, ingestor.store
        embedder.embed = timed("embed", embedder.embed, lambda texts: self.embedded.extend(texts))
        store.delete_documents = timed("store_delete", store.delete_documents)
        store.upsert = timed("store_upsert", store.upsert)
        keyword = ingestor.keyword
        ingestor.rebuild_keyword_index = timed("keyword_rebuild", ingestor.rebuild_keyword_index)
        keyword.replace = timed("keyword_update", keyword.replace)
        pipeline.chunk_document = timed("chunk", pipeline.chunk_document,
                                        lambda doc, *_: self.chunked_docs.append(doc.doc_id))

    def wrap_sources(self, sources: list[Any]) -> list[Any]:
        from ingest.pipeline import Stamped

        def timed_load(load: Any) -> Any:
            def wrapper() -> Any:
                started = time.perf_counter()
                try:
                    return load()
                finally:
                    self.seconds["load"] += time.perf_counter() - started
                    self.calls["load"] += 1
            if isinstance(load, Stamped):  # keep the stamp, so that skipping is measured too
                return Stamped(load=wrapper, stamp=load.stamp)
            return wrapper
        return [(key, timed_load(load)) for key, load in sources]

    def breakdown(self, total: float) -> dict[str, float]:
        parts = {k: round(v, 3) for k, v in sorted(self.seconds.items())}
        # The rest: content hashing, the manifest (SQLite) reads and writes, the loop.
        parts["other"] = round(total - sum(self.seconds.values()), 3)
        return parts


def child_gaios(args: argparse.Namespace) -> dict[str, Any]:
    from ingest.cli import make_ingestor

    work, data = Path(args.work), Path(args.data)
    started = time.perf_counter()
    container = container_for(data)
    ingestor = make_ingestor(container)
    result: dict[str, Any] = {"variant": args.child,
                              "backend": container.settings.embedding.backend}
    if args.child == "gaios-full":
        model_started = time.perf_counter()
        container.embedder.embed(["warm up"])  # load the model before the clock (LangChain too)
        result["model_load_s"] = round(time.perf_counter() - model_started, 2)
    sources, scopes = build_sources(container, work)
    setup_s = time.perf_counter() - started
    probe = Probe(ingestor)
    sources = probe.wrap_sources(sources)
    run_started, cpu_started = time.perf_counter(), cpu_seconds_self()
    report = ingestor.run(sources, scopes=scopes)
    wall = time.perf_counter() - run_started
    result["cpu_s"] = round(cpu_seconds_self() - cpu_started, 2)
    summary = report.summary()
    result.update({
        "wall_s": round(wall, 3), "setup_s": round(setup_s, 2),
        "command_equivalent_s": round(setup_s + wall, 2), "report": summary,
        "failed": report.failed[:10], "sources": len(sources), "chunks_in_index": summary["chunks"],
        "breakdown_s": probe.breakdown(wall), "calls": dict(probe.calls),
        "embedded_chunks": len(probe.embedded),
        "reembedded_docs": (sorted(set(probe.chunked_docs)) if len(set(probe.chunked_docs)) <= 50
                            else f"{len(set(probe.chunked_docs))} documents"),
        "updated_docs": report.updated, "added_docs_count": len(report.added),
    })
    if probe.embedded:
        tokens = token_summary(container.embedder._model.tokenizer, probe.embedded)
        result["tokens"] = tokens
        result["chunks_per_s"] = round(len(probe.embedded) / wall, 1)
        result["tokens_per_s_wall"] = round(tokens["tokens_embedded"] / wall, 1)
        result["tokens_per_s_in_embed"] = round(tokens["tokens_embedded"] / probe.seconds["embed"], 1)
        result["mean_chunks_per_embed_call"] = round(len(probe.embedded) / probe.calls["embed"], 2)
    if len(report.added) > 50:
        result["added_docs"] = len(report.added)
    else:
        result["added_docs"] = report.added
    result["peak_rss_mib"] = round(peak_rss_mib(), 1)
    return result


# --------------------------------------------------------------------------- LangChain


def child_langchain(args: argparse.Namespace) -> dict[str, Any]:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from app.components.embedding import resolve_model_path

    work, data = Path(args.work), Path(args.data)
    stats: dict[str, Any] = {"embed_s": 0.0, "texts": []}

    class TimedEmbeddings(HuggingFaceEmbeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            started = time.perf_counter()
            try:
                return super().embed_documents(texts)
            finally:
                stats["embed_s"] += time.perf_counter() - started
                stats["texts"] += list(texts)

    # The same published use cases and files as the GAIOS run (a GAIOS database is used
    # only to list the curated records; it is not timed).
    container = container_for(data / "gaios-db")
    sources, _ = build_sources(container, work)
    model_started = time.perf_counter()
    embeddings = TimedEmbeddings(model_name=resolve_model_path("bundled:all-MiniLM-L6-v2"))
    model_load = time.perf_counter() - model_started
    splitter = RecursiveCharacterTextSplitter(chunk_size=LC_CHUNK_SIZE, chunk_overlap=LC_OVERLAP)

    started, cpu_started = time.perf_counter(), cpu_seconds_self()
    documents = []
    for _key, load in sources:  # the same loaders (Markdown, pypdf, record -> prose) and text
        doc = load()
        text = doc.title + "\n\n" + "\n\n".join(f"{s.heading}\n{s.text}" for s in doc.sections)
        documents.append(Document(page_content=text, metadata={"source": doc.source,
                                                               "doc_id": doc.doc_id}))
    loaded = time.perf_counter()
    splits = splitter.split_documents(documents)
    split = time.perf_counter()
    store = Chroma.from_documents(splits, embeddings, persist_directory=str(data / "chroma"),
                                  collection_name="langchain")
    wall = time.perf_counter() - started
    cpu = cpu_seconds_self() - cpu_started
    count = store._collection.count()
    tokens = token_summary(embeddings._client.tokenizer, stats["texts"])
    return {
        "variant": "langchain", "wall_s": round(wall, 3), "cpu_s": round(cpu, 2),
        "model_load_s": round(model_load, 2),
        "documents": len(documents), "chunks_in_index": count,
        "embedded_chunks": len(stats["texts"]), "tokens": tokens,
        "chunks_per_s": round(len(stats["texts"]) / wall, 1),
        "tokens_per_s_wall": round(tokens["tokens_embedded"] / wall, 1),
        "tokens_per_s_in_embed": round(tokens["tokens_embedded"] / stats["embed_s"], 1),
        "breakdown_s": {"load": round(loaded - started, 3), "split": round(split - loaded, 3),
                        "embed": round(stats["embed_s"], 3),
                        "store_and_other": round(wall - (split - started) - stats["embed_s"], 3)},
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }


# --------------------------------------------------------------------------- model ceiling


def long_texts(work: Path, n: int, tokenizer: Any) -> list[str]:
    """n distinct texts of well over 256 tokens (the model truncates them to exactly 256)."""
    words = " ".join(p.read_text() for p in sorted((work / "real").glob("*.md"))).split()
    texts = [" ".join(words[(i * 37) % (len(words) - 400):][:400]) for i in range(n)]
    assert all(len(ids) > MAX_SEQ for ids in tokenizer(texts, verbose=False)["input_ids"])
    return texts


def gaios_chunk_sample(work: Path, n_docs: int, count_tokens: Any) -> list[list[str]]:
    """GAIOS embed texts of the first n US records, grouped per document."""
    from ingest.chunking import ChunkSettings, chunk_document
    from ingest.loaders import usecase_document

    with (work / "us.pkl").open("rb") as handle:
        records = pickle.load(handle)[:n_docs]
    return [[c.embed_text for c in chunk_document(usecase_document(r, source="x"),
                                                   ChunkSettings(), count_tokens)]
            for r in records]


def child_ceiling(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from sentence_transformers import SentenceTransformer

    from app.components.embedding import resolve_model_path

    work = Path(args.work)
    model = SentenceTransformer(resolve_model_path("bundled:all-MiniLM-L6-v2"), device="cpu")
    model.max_seq_length = MAX_SEQ
    texts = long_texts(work, args.ceiling_texts, model.tokenizer)
    rows = []
    for batch in (8, 16, 32, 64, 128):
        model.encode(texts[:batch], batch_size=batch)  # warm-up
        started = time.perf_counter()
        model.encode(texts, batch_size=batch, normalize_embeddings=True)
        seconds = time.perf_counter() - started
        rows.append({"batch_size": batch, "texts": len(texts), "seconds": round(seconds, 2),
                     "tokens_per_s": round(len(texts) * MAX_SEQ / seconds, 1)})
    best = max(rows, key=lambda r: r["tokens_per_s"])
    embedder = container_for(work / "ceiling-db").embedder  # GAIOS's, with --backend
    embedder.embed(texts[:8])  # loads (and for onnx-int8 exports) the model
    backend_rows = []
    for batch in (8, 16, 32, 64, 128):  # the backend's own ceiling, same inputs
        embedder.batch_size, embedder.batch_tokens = batch, batch * MAX_SEQ
        started = time.perf_counter()
        embedder.embed(texts)
        backend_rows.append({"batch_size": batch, "tokens_per_s": round(
            len(texts) * MAX_SEQ / (time.perf_counter() - started), 1)})
    embedder.batch_size, embedder.batch_tokens = args.batch_size, args.batch_tokens

    # The same model on GAIOS's own chunk mix: one encode call per document (what the
    # pipeline does) against one call for all of them (batched across documents).
    def count_tokens(text: str) -> int:
        return len(model.tokenizer(text, add_special_tokens=True, truncation=False,
                                   verbose=False)["input_ids"])

    grouped = gaios_chunk_sample(work, args.mix_docs, count_tokens)
    flat = [t for group in grouped for t in group]
    tokens = sum(min(c, MAX_SEQ) for c in token_counts(model.tokenizer, flat))
    started = time.perf_counter()
    for group in grouped:
        model.encode(group, batch_size=64, normalize_embeddings=True)
    per_doc = time.perf_counter() - started
    started = time.perf_counter()
    model.encode(flat, batch_size=64, normalize_embeddings=True)
    batched = time.perf_counter() - started
    # GAIOS's embedder on the same mix: sorted by length, batched by padded tokens.
    started = time.perf_counter()
    embedder.embed(flat)
    by_tokens = time.perf_counter() - started
    backend_ceiling = max(r["tokens_per_s"] for r in backend_rows)
    return {"variant": "ceiling", "torch_threads": torch.get_num_threads(), "rows": rows,
            "ceiling_tokens_per_s": best["tokens_per_s"], "best_batch_size": best["batch_size"],
            "chunk_mix": {"documents": len(grouped), "chunks": len(flat), "tokens": tokens,
                          "per_document_calls_s": round(per_doc, 2),
                          "per_document_tokens_per_s": round(tokens / per_doc, 1),
                          "one_call_batch64_s": round(batched, 2),
                          "one_call_tokens_per_s": round(tokens / batched, 1),
                          "embedder": embedder.encoder,
                          "embedder_batch": [embedder.batch_size, embedder.batch_tokens],
                          "embedder_s": round(by_tokens, 2),
                          "embedder_tokens_per_s": round(tokens / by_tokens, 1),
                          "embedder_pct_of_its_ceiling": round(
                              100 * tokens / by_tokens / backend_ceiling, 1)},
            "backend_rows": backend_rows, "backend_ceiling_tokens_per_s": backend_ceiling,
            "peak_rss_mib": round(peak_rss_mib(), 1)}


# --------------------------------------------------------------------------- ONNX


class OnnxEncoder:
    """The ONNX export of the model with the sentence-transformers head (mean pooling,
    L2 normalisation), run by ONNX Runtime."""

    def __init__(self, path: Path, tokenizer: Any, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.tokenizer = tokenizer

    def encode(self, texts: list[str], batch_size: int = 32) -> Any:
        import numpy as np

        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            index = order[start:start + batch_size]
            enc = self.tokenizer([texts[i] for i in index], padding=True, truncation=True,
                                 max_length=MAX_SEQ, return_tensors="np")
            hidden = self.session.run(None, {k: enc[k].astype(np.int64) for k in self.input_names})[0]
            mask = enc["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
            out[index] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out


def export_onnx(model_dir: str, folder: Path) -> dict[str, Any]:
    """fp32 export (torch.onnx) and its dynamic int8 quantisation (per-channel int8 weights,
    what `export_dynamic_quantized_onnx_model(..., "avx512_vnni")` does through optimum).
    ONNX Runtime fuses attention, LayerNorm and GELU itself when it loads the model
    (ORT_ENABLE_ALL); a trial of its offline transformer optimiser (optimum's O2) gave no
    further gain here, so it is left out."""
    import logging
    import warnings

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer

    warnings.filterwarnings("ignore")
    logging.getLogger().setLevel(logging.ERROR)
    folder.mkdir(parents=True, exist_ok=True)
    model = AutoModel.from_pretrained(model_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)

    class Encoder(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = tokenizer(["an example sentence", "a second, longer example sentence"],
                       padding=True, return_tensors="pt")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    torch.onnx.export(Encoder(model).eval(), tuple(sample[n] for n in names), str(folder / "fp32.onnx"),
                      input_names=names, output_names=["last_hidden_state"],
                      dynamic_axes={n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]},
                      opset_version=17, dynamo=False)
    timings["export_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    quantize_dynamic(str(folder / "fp32.onnx"), str(folder / "int8.onnx"),
                     weight_type=QuantType.QInt8, per_channel=True)
    timings["quantise_s"] = round(time.perf_counter() - started, 2)
    timings["sizes_mb"] = {p.stem: round(p.stat().st_size / 1e6, 1) for p in folder.glob("*.onnx")}
    return timings


def top_docs(chunk_vectors: Any, doc_ids: list[str], query_vectors: Any, k: int = 5) -> list[list[str]]:
    import numpy as np

    result = []
    for scores in query_vectors @ chunk_vectors.T:
        docs: list[str] = []
        for index in np.argsort(-scores):
            if doc_ids[index] not in docs:
                docs.append(doc_ids[index])
            if len(docs) == k:
                break
        result.append(docs)
    return result


def child_onnx(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    from _common import load_questions
    from app.components.embedding import resolve_model_path
    from ingest.chunking import ChunkSettings, chunk_document
    from ingest.cli import default_sources
    from ingest.pipeline import file_sources

    work = Path(args.work)
    model_dir = resolve_model_path("bundled:all-MiniLM-L6-v2")
    folder = work / "onnx"
    exported = export_onnx(model_dir, folder)
    model = SentenceTransformer(model_dir, device="cpu")
    model.max_seq_length = MAX_SEQ
    threads = torch.get_num_threads()
    encoders: dict[str, Any] = {
        "torch-fp32": lambda texts, bs=64: model.encode(texts, batch_size=bs, normalize_embeddings=True),
    }
    for name in ("fp32", "int8"):
        encoder = OnnxEncoder(folder / f"{name}.onnx", model.tokenizer, threads)
        encoders[f"onnx-{name}"] = encoder.encode

    # Throughput on fixed 256-token inputs, as for the ceiling.
    texts = long_texts(work, min(64, args.ceiling_texts), model.tokenizer)
    throughput = []
    for name, encode in encoders.items():
        best = None
        for batch in (16, 32, 64):
            encode(texts[:batch], batch)
            started = time.perf_counter()
            encode(texts, batch)
            rate = len(texts) * MAX_SEQ / (time.perf_counter() - started)
            if best is None or rate > best[1]:
                best = (batch, rate)
        assert best is not None
        throughput.append({"encoder": name, "best_batch_size": best[0],
                           "tokens_per_s_256": round(best[1], 1)})

    # Rankings on the retrieval evaluation set: the shipped corpus and real documents,
    # chunked as GAIOS does, embedded by each encoder; dense top-5 documents per question.
    container = container_for(work / "onnx-db")
    sources, _ = default_sources(container)
    sources += file_sources([work / "real"], max_bytes=container.settings.max_upload_bytes)[0]

    def count_tokens(text: str) -> int:
        return len(model.tokenizer(text, add_special_tokens=True, truncation=False,
                                   verbose=False)["input_ids"])

    chunks = [c for _, load in sources for c in chunk_document(load(), ChunkSettings(), count_tokens)]
    chunk_texts = [c.embed_text for c in chunks]
    doc_ids = [str(c.metadata["doc_id"]) for c in chunks]
    questions = load_questions()
    vectors: dict[str, Any] = {}
    corpus_rows = []
    for name, encode in encoders.items():
        started = time.perf_counter()
        chunk_vectors = encode(chunk_texts, 32 if name.startswith("onnx") else 64)
        seconds = time.perf_counter() - started
        query_vectors = encode([q["question"] for q in questions], 32)
        single = []
        for q in questions[:50]:  # one query at a time, as /api/v1/search embeds it
            started_q = time.perf_counter()
            encode([q["question"]], 1)
            single.append((time.perf_counter() - started_q) * 1000)
        vectors[name] = (np.asarray(chunk_vectors), np.asarray(query_vectors))
        corpus_rows.append({"encoder": name, "chunks": len(chunk_texts), "embed_s": round(seconds, 2),
                            "query_ms_p50": round(_common.percentile(single, 50), 2)})
    reference_chunks, reference_queries = vectors["torch-fp32"]
    reference_top = top_docs(reference_chunks, doc_ids, reference_queries)
    ranking = []
    for name, (chunk_vectors, query_vectors) in vectors.items():
        top = top_docs(chunk_vectors, doc_ids, query_vectors)
        hits = [bool(set(t) & set(q["relevant"])) for t, q in zip(top, questions)]
        overlap = [len(set(t) & set(r)) / 5 for t, r in zip(top, reference_top)]
        cosine = (chunk_vectors * reference_chunks).sum(1)
        ranking.append({
            "encoder": name, "questions": len(questions),
            "hit_at_5": round(sum(hits) / len(hits), 4),
            "overlap_at_5_vs_torch": round(sum(overlap) / len(overlap), 4),
            "identical_top5_order": sum(t == r for t, r in zip(top, reference_top)),
            "min_cosine_vs_torch": round(float(cosine.min()), 5),
            "mean_cosine_vs_torch": round(float(cosine.mean()), 5),
        })
    return {"variant": "onnx", "export": exported, "throughput": throughput,
            "corpus_embedding": corpus_rows, "ranking": ranking,
            "peak_rss_mib": round(peak_rss_mib(), 1)}


# --------------------------------------------------------------------------- driver


def run_child(variant: str, work: Path, data: Path, args: argparse.Namespace) -> dict[str, Any]:
    out = work / f"{variant}.json"
    command = [sys.executable, __file__, "--child", variant, "--work", str(work), "--data", str(data),
               "--out", str(out), "--ceiling-texts", str(args.ceiling_texts),
               "--mix-docs", str(args.mix_docs), "--batch-size", str(args.batch_size),
               "--batch-tokens", str(args.batch_tokens)]
    idle = wait_until_idle(args.idle_wait, label=variant)
    print(f"[ingest_bench] running {variant} ...", flush=True)
    started, busy0, children0 = time.perf_counter(), cpu_jiffies()[0], cpu_seconds_children()
    subprocess.run(command, check=True)
    result = json.loads(out.read_text())
    result["process_s"] = round(time.perf_counter() - started, 1)
    # CPU time used by other processes while this variant ran: contention that slows it.
    own = cpu_seconds_children() - children0
    result["machine"] = {**idle, "other_processes_cpu_s": round(cpu_jiffies()[0] - busy0 - own, 1),
                         "own_cpu_s": round(own, 1)}
    print(f"[ingest_bench] {variant} done in {result['process_s']} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--us-limit", type=int, default=0,
                        help="Use only the first N imported US records (0: all).")
    parser.add_argument("--skip-onnx", action="store_true")
    parser.add_argument("--skip-langchain", action="store_true")
    parser.add_argument("--ceiling-only", action="store_true",
                        help="Only the model's ceiling and the embedder on the chunk mix.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder.")
    parser.add_argument("--ceiling-texts", type=int, default=128)
    parser.add_argument("--idle-wait", type=float, default=300,
                        help="Seconds to wait, before each variant, for other work to stop.")
    parser.add_argument("--mix-docs", type=int, default=200)
    parser.add_argument("--backend", choices=["torch", "onnx-int8"],
                        help="GAIOS's embedding.backend for its variants (default: the setting).")
    parser.add_argument("--batch-size", type=int, default=256,
                        help="embedding.batch_size of the embedder on the chunk mix.")
    parser.add_argument("--batch-tokens", type=int, default=8192,
                        help="embedding.batch_tokens of the embedder on the chunk mix.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.backend:  # read by the GAIOS children's settings
        os.environ["GAIOS_EMBEDDING__BACKEND"] = args.backend
    if args.child:
        handler = {"langchain": child_langchain, "ceiling": child_ceiling,
                   "onnx": child_onnx}.get(args.child, child_gaios)
        Path(args.out).write_text(json.dumps(handler(args), default=str))
        return

    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="gaios-ingest-bench-"))
    ok = False
    try:
        corpus = prepare_corpus(work, args.us_limit)
        results: dict[str, Any] = {}
        results["ceiling"] = run_child("ceiling", work, work / "unused", args)
        if args.ceiling_only:
            print(json.dumps(results["ceiling"], indent=1))
            write_results("ingest_bench_ceiling", {"machine": _common.machine(), "corpus": corpus,
                                                   "results": results, "args": vars(args)})
            ok = True
            return
        results["gaios_full"] = run_child("gaios-full", work, work / "gaios", args)
        if not args.skip_langchain:
            results["langchain"] = run_child("langchain", work, work / "langchain", args)
        results["gaios_unchanged"] = run_child("gaios-unchanged", work, work / "gaios", args)
        changed = work / "real" / CHANGED_FILE
        changed.write_text(changed.read_text() + "\n\nA paragraph added by the ingestion "
                           "benchmark, to change exactly one document.\n")
        results["gaios_one_changed"] = run_child("gaios-one-changed", work, work / "gaios", args)
        if not args.skip_onnx:
            results["onnx"] = run_child("onnx", work, work / "unused", args)
        ok = True
    finally:
        if ok and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"[ingest_bench] kept {work}")
    summary = summarise(corpus, results)
    data = {"machine": _common.machine(), "corpus": corpus, "summary": summary, "results": results,
            "total_s": round(time.perf_counter() - started, 1), "args": vars(args)}
    path = write_results("ingest_bench", data)
    print_report(data)
    print(f"\nwritten {path}")


def summarise(corpus: dict[str, Any], results: dict[str, Any]) -> dict[str, Any]:
    full, ceiling = results["gaios_full"], results["ceiling"]
    summary: dict[str, Any] = {"ceiling_tokens_per_s": ceiling["ceiling_tokens_per_s"],
                               "backend_ceiling_tokens_per_s":
                               ceiling["backend_ceiling_tokens_per_s"],
                               "embedder_on_chunk_mix": ceiling["chunk_mix"]}
    # Against the ceiling of the backend GAIOS ran with (PyTorch's is the model's).
    summary["gaios_embed_pct_of_ceiling"] = round(
        100 * full["tokens_per_s_in_embed"] / ceiling["backend_ceiling_tokens_per_s"], 1)
    summary["gaios_wall_pct_of_ceiling"] = round(
        100 * full["tokens_per_s_wall"] / ceiling["backend_ceiling_tokens_per_s"], 1)
    if "langchain" in results:
        lc = results["langchain"]
        summary["speed_ratio_gaios_over_langchain"] = round(lc["wall_s"] / full["wall_s"], 3)
        summary["target_1_3x_met"] = summary["speed_ratio_gaios_over_langchain"] >= 1.3
        summary["cpu_ratio_langchain_over_gaios"] = round(lc["cpu_s"] / full["cpu_s"], 3)
        summary["langchain_embed_pct_of_ceiling"] = round(
            100 * lc["tokens_per_s_in_embed"] / ceiling["ceiling_tokens_per_s"], 1)
        summary["tokens_embedded_gaios_over_langchain"] = round(
            full["tokens"]["tokens_embedded"] / lc["tokens"]["tokens_embedded"], 3)
    unchanged = results["gaios_unchanged"]
    summary["unchanged_pct_of_full"] = round(100 * unchanged["wall_s"] / full["wall_s"], 2)
    summary["unchanged_target_2pct_met"] = summary["unchanged_pct_of_full"] < 2
    one = results["gaios_one_changed"]
    summary["one_changed"] = {"report": one["report"], "reembedded_docs": one["reembedded_docs"],
                              "embedded_chunks": one["embedded_chunks"], "wall_s": one["wall_s"]}
    return summary


def print_report(data: dict[str, Any]) -> None:
    r, s = data["results"], data["summary"]
    m = data["machine"]
    print(f"\nMachine: {m['nproc']} CPUs, {m['cpu']}, {m['ram_gib']} GiB; torch "
          f"{m['versions'].get('torch')}")
    print(f"Corpus: {json.dumps(data['corpus']['us_import'])}; real files: "
          f"{', '.join(data['corpus']['real_files'])}\n")
    rows = []
    for key in ("gaios_full", "langchain"):
        if key not in r:
            continue
        v = r[key]
        rows.append({"pipeline": key, "wall s": v["wall_s"], "CPU s": v["cpu_s"],
                     "chunks": v["embedded_chunks"],
                     "tokens embedded": v["tokens"]["tokens_embedded"],
                     "truncated chunks": v["tokens"]["truncated_texts"],
                     "chunks/s": v["chunks_per_s"], "tokens/s (wall)": v["tokens_per_s_wall"],
                     "tokens/s (in embed)": v["tokens_per_s_in_embed"],
                     "embed % of ceiling": round(100 * v["tokens_per_s_in_embed"]
                                                 / s["ceiling_tokens_per_s"], 1),
                     "peak RSS MiB": v["peak_rss_mib"], "model load s": v["model_load_s"]})
    print("## Full ingestion\n")
    print(table(rows))
    print("\nTime breakdown (s):")
    for key in ("gaios_full", "langchain"):
        if key in r:
            print(f"  {key}: {json.dumps(r[key]['breakdown_s'])}")
    if "speed_ratio_gaios_over_langchain" in s:
        print(f"\nSpeed ratio GAIOS / LangChain (LangChain wall / GAIOS wall): "
              f"{s['speed_ratio_gaios_over_langchain']} (target >= 1.3: "
              f"{'met' if s['target_1_3x_met'] else 'NOT met'})")
    print("\n## Model ceiling (SentenceTransformer.encode, 256-token inputs)\n")
    print(table(r["ceiling"]["rows"]))
    print(f"\nGAIOS embedder ({r['ceiling']['chunk_mix']['embedder']}), 256-token inputs:")
    print(table(r["ceiling"]["backend_rows"]))
    print(f"\nChunk mix: {json.dumps(r['ceiling']['chunk_mix'])}")
    print("\n## Re-ingestion\n")
    rows = []
    for key in ("gaios_unchanged", "gaios_one_changed"):
        v = r[key]
        rows.append({"variant": key, "run s": v["wall_s"], "whole command s": v["command_equivalent_s"],
                     **{k: v["report"][k] for k in ("added", "updated", "unchanged", "removed", "failed")},
                     "re-embedded docs": (v["reembedded_docs"] if isinstance(v["reembedded_docs"], str)
                                          else ", ".join(v["reembedded_docs"]) or "-"),
                     "embedded chunks": v["embedded_chunks"], "peak RSS MiB": v["peak_rss_mib"]})
    print(table(rows))
    for key in ("gaios_unchanged", "gaios_one_changed"):
        print(f"  {key} breakdown: {json.dumps(r[key]['breakdown_s'])}")
    print(f"\nUnchanged re-ingestion = {s['unchanged_pct_of_full']} % of the full ingestion "
          f"(target < 2 %: {'met' if s['unchanged_target_2pct_met'] else 'NOT met'})")
    if "onnx" in r:
        print("\n## ONNX Runtime\n")
        print(f"export: {json.dumps(r['onnx']['export'])}\n")
        print(table(r["onnx"]["throughput"]))
        print()
        print(table(r["onnx"]["corpus_embedding"]))
        print()
        print(table(r["onnx"]["ranking"]))


if __name__ == "__main__":
    main()

"""One changed document re-ingested end to end at the size of the full benchmark corpus
(3,662 documents, about 12,500 chunks), and what the keyword index costs in it: the update
in place against a rebuild from every chunk (issue #14).

    .venv/bin/python benchmarks/reingest_bench.py               # about 3 min on an idle machine

The corpus is ingest_bench.py's. To build the 12,500-chunk index in minutes rather than the
full ingestion's 4, its vectors are made by a stand-in encoder (seeded random unit vectors,
under the real encoder's name so the manifest counts the documents as current); chunking,
Chroma and the keyword index are the real ones. The measured run is a fresh process with the
real model, as `gaios ingest` after one file was edited: it loads every document, finds the
one that changed, embeds its chunks with the model, replaces them in Chroma and updates the
keyword index. Other work on the machine slows every figure: the load average is recorded.

Prints a Markdown table and writes benchmarks/results/reingest_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402  (sets the offline environment before heavy imports)
from _common import peak_rss_mib, table, write_results  # noqa: E402
from ingest_bench import (  # noqa: E402
    CHANGED_FILE,
    Probe,
    build_sources,
    container_for,
    prepare_corpus,
)


def child_setup(work: Path, data: Path) -> dict[str, Any]:
    """The index of the whole corpus, vectors from the stand-in encoder."""
    import numpy as np

    from ingest.cli import make_ingestor

    container = container_for(data)
    embedder = container.embedder
    rng = np.random.default_rng(0)

    def stand_in(texts: list[str]) -> Any:
        vectors = rng.normal(size=(len(texts), 384)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    embedder.embed = stand_in  # type: ignore[method-assign]
    sources, scopes = build_sources(container, work)
    started = time.perf_counter()
    report = make_ingestor(container).run(sources, scopes=scopes)
    return {"report": report.summary(), "seconds": round(time.perf_counter() - started, 1)}


def child_one_changed(work: Path, data: Path) -> dict[str, Any]:
    from ingest.cli import make_ingestor

    started = time.perf_counter()
    container = container_for(data)
    ingestor = make_ingestor(container)
    sources, scopes = build_sources(container, work)
    setup_s = time.perf_counter() - started
    probe = Probe(ingestor)
    run_started = time.perf_counter()
    report = ingestor.run(probe.wrap_sources(sources), scopes=scopes)
    wall = time.perf_counter() - run_started
    result = {"wall_s": round(wall, 3), "setup_s": round(setup_s, 2), "report": report.summary(),
              "reembedded_docs": sorted(set(probe.chunked_docs)),
              "embedded_chunks": len(probe.embedded), "breakdown_s": probe.breakdown(wall),
              "calls": dict(probe.calls)}
    # The keyword index alone, in the same process: the changed document replaced in place
    # again, then the whole index rebuilt from the vector store (what every change cost before).
    doc = probe.chunked_docs[0]
    chunks = [c for c in container.store.all_chunks() if c[2].get("doc_id") == doc]
    from app.components.keyword import keyword_chunk

    keyword = container.keyword
    timings: dict[str, list[float]] = {"update_in_place": [], "rebuild_from_store": []}
    for _ in range(3):
        started = time.perf_counter()
        keyword.replace([doc], [keyword_chunk(i, t, m) for i, t, m in chunks])
        timings["update_in_place"].append(time.perf_counter() - started)
        started = time.perf_counter()
        keyword.rebuild_from(container.store)
        timings["rebuild_from_store"].append(time.perf_counter() - started)
    result["keyword_s"] = {k: round(min(v), 3) for k, v in timings.items()}
    result["keyword_chunks"] = len(keyword)
    result["peak_rss_mib"] = round(peak_rss_mib(), 1)
    return result


def run_child(name: str, work: Path, data: Path) -> dict[str, Any]:
    out = work / f"{name}.json"
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--child", name, "--work", str(work),
                    "--data", str(data), "--out", str(out)], check=True)
    result = json.loads(out.read_text())
    result["process_s"] = round(time.perf_counter() - started, 1)
    result["load_average"] = os.getloadavg()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--us-limit", type=int, default=0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        handler = {"setup": child_setup, "one-changed": child_one_changed}[args.child]
        Path(args.out).write_text(json.dumps(handler(Path(args.work), Path(args.data))))
        return

    work = Path(tempfile.mkdtemp(prefix="gaios-reingest-bench-"))
    try:
        corpus = prepare_corpus(work, args.us_limit)
        results = {"setup": run_child("setup", work, work / "gaios")}
        changed = work / "real" / CHANGED_FILE
        changed.write_text(changed.read_text() + "\n\nA paragraph added by the benchmark, to "
                           "change exactly one document.\n")
        results["one_changed"] = run_child("one-changed", work, work / "gaios")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    data = {"machine": _common.machine(), "corpus": corpus, "results": results}
    path = write_results("reingest_bench", data)
    one = results["one_changed"]
    print(table([{"chunks": one["keyword_chunks"], "run s": one["wall_s"],
                  "with process set-up s": round(one["wall_s"] + one["setup_s"], 2),
                  **{k: one["report"][k] for k in ("updated", "unchanged")},
                  "re-embedded": ", ".join(one["reembedded_docs"]),
                  "keyword update in place s": one["keyword_s"]["update_in_place"],
                  "keyword rebuild s": one["keyword_s"]["rebuild_from_store"],
                  "load average": " ".join(f"{x:.1f}" for x in one["load_average"])}]))
    print(f"breakdown (s): {json.dumps(one['breakdown_s'])}\nwritten {path}")


if __name__ == "__main__":
    main()

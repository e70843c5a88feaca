"""`gaios ingest` after one edit, at the size of the full benchmark corpus (3,662 documents,
about 12,500 chunks): nothing changed, one file changed, one file deleted; and what the keyword
index costs in it, the update in place against a rebuild from every chunk (issue #14).

    .venv/bin/python benchmarks/reingest_bench.py               # about 5 min on an idle machine

The corpus is ingest_bench.py's, laid out as `gaios ingest` finds it: a corpus folder
(GAIOS_CORPUS_DIR) whose documents/ holds the shipped documents, the AIML4OS reports and the
INE Portugal PDF and whose records/ holds the curated use cases, and the US federal inventory
imported into the repository database (`gaios import us-inventory`), so that its 3,609 records
are published use cases read from the database, as in a deployment. To build the 12,500-chunk
index in minutes rather than the full ingestion's 4, its vectors are made by a stand-in
encoder (seeded random unit vectors, under the real encoder's name so the manifest counts the
documents as current); chunking, Chroma and the keyword index are the real ones.

Each scenario is measured twice, each time in fresh processes with the real model:
- the command itself, `python -m app.cli ingest --json` (interpreter start, imports, the
  container, the curated records' sync, the run): the end-to-end figure;
- the same work in a child process that times its parts (container and sources, then
  `Ingestor.run` with a probe on loading, chunking, embedding, Chroma and the keyword index).
Each measurement gets its own edit of the same kind (a paragraph appended to the same report;
another report deleted). `--keep` keeps the folder, `--reuse FOLDER` measures again on it.
After the timed one-change run, the same child edits the report again and re-runs the
ingestion in the same process, the encoder loaded: what a process that stays up (the server
publishing a use case) pays for one change.
`--encoder-start-only` measures, per backend, what embedding the edited report costs a fresh
process (the encoder loaded on the way), then the same again warm. Other work on the machine
slows every figure: the load average is recorded.

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
from _common import REAL_DATA, ROOT, US_CSV, peak_rss_mib, table, write_results  # noqa: E402
from ingest_bench import Probe  # noqa: E402

# Edited (a paragraph appended, once for the command and once for the timed child).
CHANGED = "aiml4os-background.md"


def deletable(work: Path) -> list[str]:
    """Two reports to delete, one per measurement."""
    documents = work / "corpus" / "documents"
    names = sorted(p.name for p in documents.glob("aiml4os-*.md") if p.name != CHANGED)
    if len(names) < 2 or not (documents / CHANGED).exists():
        raise SystemExit("the real-data folder lacks the AIML4OS reports: set "
                         "GAIOS_BENCH_REAL_DATA")
    return names[:2]


def prepare_corpus(work: Path) -> dict[str, Any]:
    """The corpus folder: shipped documents and records, plus the real reports and PDF."""
    corpus = work / "corpus"
    shutil.copytree(ROOT / "usecases" / "documents", corpus / "documents")
    shutil.copytree(ROOT / "usecases" / "records", corpus / "records")
    for path in sorted(REAL_DATA.glob("*.md")) + sorted(REAL_DATA.glob("*.pdf")):
        shutil.copy(path, corpus / "documents" / path.name)
        (corpus / "documents" / path.name).chmod(0o644)
    return {"documents": sorted(p.name for p in (corpus / "documents").iterdir())}


def container_for(work: Path) -> Any:
    from app.core.config import Settings
    from app.core.container import Container

    return Container.build(Settings(data_dir=work / "gaios", corpus_dir=work / "corpus"))


def child_setup(work: Path) -> dict[str, Any]:
    """The US inventory imported, then the index of the whole corpus, vectors from the
    stand-in encoder."""
    import numpy as np

    from app.services.roles import OPERATOR
    from ingest.cli import default_sources, make_ingestor
    from ingest.importers import IMPORTERS

    container = container_for(work)
    started = time.perf_counter()
    records, _ = IMPORTERS["us-inventory"](US_CSV)
    stored = container.usecases.import_records(records, by=OPERATOR)
    import_s = time.perf_counter() - started
    rng = np.random.default_rng(0)

    def stand_in(texts: list[str]) -> Any:
        vectors = rng.normal(size=(len(texts), 384)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    container.embedder.embed = stand_in  # type: ignore[method-assign]
    started = time.perf_counter()
    sources, scopes = default_sources(container)
    report = make_ingestor(container).run(sources, scopes=scopes)
    return {"stored": stored, "import_s": round(import_s, 1), "report": report.summary(),
            "ingest_s": round(time.perf_counter() - started, 1)}


def child_timed(work: Path) -> dict[str, Any]:
    """What `gaios ingest` does, with its parts timed."""
    from ingest.cli import default_sources, make_ingestor

    started = time.perf_counter()
    container = container_for(work)
    ingestor = make_ingestor(container)
    container_s = time.perf_counter() - started
    container.load_curated()  # default_sources does it again: measured apart here
    curated_s = time.perf_counter() - started - container_s
    sources, scopes = default_sources(container)
    setup_s = time.perf_counter() - started - curated_s
    probe = Probe(ingestor)
    run_started = time.perf_counter()
    report = ingestor.run(probe.wrap_sources(sources), scopes=scopes)
    wall = time.perf_counter() - run_started
    result: dict[str, Any] = {
        "backend": container.settings.embedding.backend, "wall_s": round(wall, 3),
        "setup_s": round(setup_s, 2), "container_s": round(container_s, 2),
        "curated_sync_s": round(curated_s, 2), "report": report.summary(),
        "removed": report.removed,
        "reembedded_docs": sorted(set(probe.chunked_docs)), "embedded_chunks": len(probe.embedded),
        "breakdown_s": probe.breakdown(wall), "calls": dict(probe.calls),
        "chunks": container.store.count()}
    if probe.embedded:  # the same texts again: the first call's excess is the model's load
        started = time.perf_counter()
        container.embedder.embed(probe.embedded)
        result["embed_again_s"] = round(time.perf_counter() - started, 3)
    if probe.chunked_docs:
        result["keyword_s"] = keyword_figures(container, probe.chunked_docs[0])
        result["warm"] = warm_edit(container, ingestor, work)
    result["peak_rss_mib"] = round(peak_rss_mib(), 1)
    return result


def warm_edit(container: Any, ingestor: Any, work: Path) -> dict[str, Any]:
    """The same edit again in the same process, the encoder and the index already open: what
    one change costs a process that stays up (the server indexes a use case it publishes)."""
    from ingest.cli import default_sources

    edit(work, CHANGED)
    time.sleep(2.5)  # past the racy window: the edit gets a stamp
    started = time.perf_counter()
    sources, scopes = default_sources(container)
    probe = Probe(ingestor)
    run_started = time.perf_counter()
    report = ingestor.run(probe.wrap_sources(sources), scopes=scopes)
    wall = time.perf_counter() - run_started
    figures = {"sources_s": round(run_started - started, 3), "wall_s": round(wall, 3),
               "updated": report.updated, "breakdown_s": probe.breakdown(wall)}
    # Only the changed source, as the API's document upload runs it.
    edit(work, CHANGED)
    time.sleep(2.5)
    source = [(key, load) for key, load in sources if Path(key).name == CHANGED]
    probe = Probe(ingestor)
    started = time.perf_counter()
    report = ingestor.run(probe.wrap_sources(source))
    wall = time.perf_counter() - started
    figures["one_source"] = {"wall_s": round(wall, 3), "updated": report.updated,
                             "breakdown_s": probe.breakdown(wall)}
    return figures


def keyword_figures(container: Any, doc: str) -> dict[str, float]:
    """The keyword index alone, in the same process: the changed document replaced in place
    again, then the whole index rebuilt from the vector store (what every change cost before)."""
    from app.components.keyword import keyword_chunk

    chunks = [c for c in container.store.all_chunks() if c[2].get("doc_id") == doc]
    keyword = container.keyword
    timings: dict[str, list[float]] = {"update_in_place": [], "rebuild_from_store": []}
    for _ in range(2):
        started = time.perf_counter()
        keyword.replace([doc], [keyword_chunk(i, t, m) for i, t, m in chunks])
        timings["update_in_place"].append(time.perf_counter() - started)
        started = time.perf_counter()
        keyword.rebuild_from(container.store)
        timings["rebuild_from_store"].append(time.perf_counter() - started)
    return {k: round(min(v), 3) for k, v in timings.items()}


def child_encoder_start(work: Path, backend: str) -> dict[str, Any]:
    """What a changed document costs the encoder in a fresh process: the edited report's
    chunks embedded cold (PyTorch and the model, or the ONNX Runtime session, loaded on the
    way), then again warm."""
    from app.components.embedding import Embedder
    from ingest.chunking import ChunkSettings, chunk_document
    from ingest.loaders import load_file

    embedder = Embedder(backend=backend, cache_dir=work / "models")  # type: ignore[arg-type]
    doc = load_file(REAL_DATA / CHANGED, max_bytes=20_000_000)
    texts = [c.embed_text for c in chunk_document(doc, ChunkSettings(), embedder.count_tokens)]
    started = time.perf_counter()
    embedder.embed(texts)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    embedder.embed(texts)
    return {"backend": backend, "chunks": len(texts), "cold_s": round(cold, 3),
            "warm_s": round(time.perf_counter() - started, 3)}


def encoder_start(work: Path) -> dict[str, Any]:
    """Each backend twice in fresh processes; the second counts (the first exports the ONNX
    model into the folder, once)."""
    results: dict[str, Any] = {}
    for backend in ("torch", "onnx-int8"):
        for _ in range(2):
            results[backend] = run_child("encoder-start", work, backend)
    return results


def child_env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAIOS_")}
    env.update(GAIOS_DATA_DIR=str(work / "gaios"), GAIOS_CORPUS_DIR=str(work / "corpus"),
               PYTHONPATH=str(ROOT))
    return env


def run_child(name: str, work: Path, backend: str = "") -> dict[str, Any]:
    out = work / f"{name}.json"
    load_before = os.getloadavg()
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--child", name, "--work", str(work),
                    "--out", str(out), "--backend", backend], check=True, cwd=work,
                   env=child_env(work))
    result = json.loads(out.read_text())
    result["process_s"] = round(time.perf_counter() - started, 2)
    result["load_average"] = [load_before, os.getloadavg()]
    return result


def run_command(work: Path) -> dict[str, Any]:
    """`gaios ingest --json`, timed from outside: the end-to-end figure."""
    load_before = os.getloadavg()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "app.cli", "ingest", "--json"], cwd=work,
                          env=child_env(work), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"gaios ingest failed: {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    return {"command_s": round(seconds, 2), "report": report["summary"],
            "updated": report["updated"], "removed": report["removed"],
            "load_average": [load_before, os.getloadavg()]}


def edit(work: Path, name: str) -> None:
    path = work / "corpus" / "documents" / name
    path.write_text(path.read_text() + "\n\nA paragraph added by the benchmark, to change "
                    "exactly one document.\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    parser.add_argument("--encoder-start-only", action="store_true",
                        help="Only the encoder's cold start, per backend (2 min).")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary data folder.")
    parser.add_argument("--reuse", type=Path,
                        help="Measure again on a folder kept by --keep (its index as left).")
    args = parser.parse_args()
    if args.child == "encoder-start":
        Path(args.out).write_text(json.dumps(child_encoder_start(Path(args.work), args.backend)))
        return
    if args.child:
        handler = {"setup": child_setup, "timed": child_timed}[args.child]
        Path(args.out).write_text(json.dumps(handler(Path(args.work))))
        return
    if args.encoder_start_only:
        work = Path(tempfile.mkdtemp(prefix="gaios-reingest-bench-"))
        try:
            start = encoder_start(work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        path = write_results("reingest_bench_encoder_start",
                             {"machine": _common.machine(), "results": start})
        print(table([{"backend": b, "chunks": r["chunks"], "cold s": r["cold_s"],
                      "warm s": r["warm_s"], "process s": r["process_s"],
                      "load average": " ".join(f"{x:.1f}" for x in r["load_average"][0])}
                     for b, r in start.items()]))
        print(f"written {path}")
        return

    work = args.reuse or Path(tempfile.mkdtemp(prefix="gaios-reingest-bench-"))
    results: dict[str, Any] = {}
    try:
        if args.reuse:
            corpus = {"documents": sorted(p.name for p in (work / "corpus/documents").iterdir())}
        else:
            corpus = prepare_corpus(work)
            results["setup"] = run_child("setup", work)
        time.sleep(2.5)  # past the racy window (ingest.pipeline.RACY_NS) of the copied files
        results["nothing_changed"] = {"command": run_command(work),
                                      "timed": run_child("timed", work)}
        scenarios = {"one_changed": (edit, [CHANGED, CHANGED]),
                     "one_deleted": (delete, deletable(work))}
        for scenario, (change, names) in scenarios.items():
            change(work, names[0])
            time.sleep(2.5)  # as a user edits, then runs the command: the edit gets a stamp
            command = run_command(work)
            change(work, names[1])
            time.sleep(2.5)
            results[scenario] = {"command": command, "timed": run_child("timed", work)}
    finally:
        if args.keep or args.reuse:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    data = {"machine": _common.machine(), "corpus": corpus, "results": results}
    path = write_results("reingest_bench", data)
    print_report(results)
    print(f"written {path}")


def delete(work: Path, name: str) -> None:
    (work / "corpus" / "documents" / name).unlink()


def print_report(results: dict[str, Any]) -> None:
    rows = []
    for scenario in ("nothing_changed", "one_changed", "one_deleted"):
        command, timed = results[scenario]["command"], results[scenario]["timed"]
        rows.append({
            "scenario": scenario.replace("_", " "), "chunks": timed["chunks"],
            "`gaios ingest` s": command["command_s"],
            "container + sources s": timed["setup_s"], "`Ingestor.run` s": timed["wall_s"],
            "updated / removed": f"{timed['report']['updated']} / {timed['report']['removed']}",
            "unchanged": timed["report"]["unchanged"],
            "files read": timed["calls"].get("load", 0),
            "load average": " ".join(f"{x:.1f}" for x in command["load_average"][0])})
    print(table(rows))
    for scenario in ("one_changed", "one_deleted"):
        timed = results[scenario]["timed"]
        print(f"{scenario} breakdown (s): {json.dumps(timed['breakdown_s'])}")
    warm = results["one_changed"]["timed"].get("warm")
    if warm:
        print(f"one_changed again, same process (warm): sources {warm['sources_s']} s, "
              f"Ingestor.run {warm['wall_s']} s, breakdown (s): {json.dumps(warm['breakdown_s'])}")
        one = warm["one_source"]
        print(f"only that source, same process (as a document upload): Ingestor.run "
              f"{one['wall_s']} s, breakdown (s): {json.dumps(one['breakdown_s'])}")
    keyword = results["one_changed"]["timed"].get("keyword_s")
    if keyword:
        print(f"keyword index: {json.dumps(keyword)}")


if __name__ == "__main__":
    main()

"""Serving benchmark: the real server (`gaios serve`) on the full index (shipped corpus +
the US federal inventory imported as `gaios import us-inventory` does, then `gaios ingest`),
measured from a client on 127.0.0.1:

- `/api/v1/search` latency p50/p95 over ~200 questions of evaluation/datasets/answerable.jsonl
  (target p95 < 50 ms);
- `/api/v1/chat` end-to-end latency with the `extractive` backend and with the `local`
  backend (llama.cpp, SmolLM2-135M; ~20 questions, it is slow), and `/api/v1/chat/stream`
  (extractive): the time to the first token and to the end of the stream;
- throughput with 16 concurrent clients (threads) on `/api/v1/search` and `/api/v1/chat`
  (extractive), a bounded number of requests and a time cap, counting errors (target: none);
- an in-process breakdown of where a search and a chat spend their time.

    .venv/bin/python benchmarks/chat_bench.py               # builds the index once, then reuses it
    .venv/bin/python benchmarks/chat_bench.py --rebuild     # rebuild the cached index

Building the index runs the real pipeline (`Ingestor.run`) and takes long on 2 cores
(the embedding of ~12,000 chunks), so the built data folder is cached outside the
repository (default: <tmp>/gaios-chat-bench-index, keyed by the inputs) and reused.
The chat rate limit (30/min per client by default) is switched off for the benchmark
server (GAIOS_RATE_LIMIT_CHAT_PER_MINUTE=0): 16 clients on one address would otherwise
be refused with 429, by design.

Prints Markdown tables and writes benchmarks/results/chat_bench.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402  (sets the offline environment before heavy imports)
from _common import (  # noqa: E402
    ROOT,
    US_CSV,
    Server,
    cpu_jiffies,
    cpu_seconds_self,
    load_questions,
    peak_rss_mib,
    percentile,
    table,
    wait_until_idle,
    write_results,
)

DEFAULT_CACHE = Path(tempfile.gettempdir()) / "gaios-chat-bench-index"


# --------------------------------------------------------------------------- the index


def fingerprint(us_limit: int | None) -> str:
    from app.core.config import Settings

    encoder = Settings().embedding  # an index made by another encoder is not reused
    parts = [f"us-limit={us_limit}", f"{US_CSV.stat().st_size}:{US_CSV.stat().st_mtime_ns}",
             f"{encoder.model} {encoder.backend}"]
    for path in sorted((ROOT / "usecases").rglob("*")):
        if path.is_file():
            parts.append(f"{path.relative_to(ROOT)}:{path.stat().st_size}:{path.stat().st_mtime_ns}")
    for path in sorted((ROOT / "ingest").glob("*.py")):
        parts.append(hashlib.sha256(path.read_bytes()).hexdigest()[:16])
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


def build_index(data_dir: Path, us_limit: int | None) -> dict[str, Any]:
    """`gaios import us-inventory <csv>` then `gaios ingest`, in this process."""
    from app.core.config import Settings
    from app.core.container import Container
    from app.services.roles import OPERATOR
    from ingest.cli import default_sources, make_ingestor
    from ingest.importers import IMPORTERS

    started = time.perf_counter()
    container = Container.build(Settings(data_dir=data_dir))
    records, report = IMPORTERS["us-inventory"](US_CSV)
    if us_limit is not None:
        records = records[:us_limit]
    stored = container.usecases.import_records(records, by=OPERATOR)
    imported = time.perf_counter()
    sources, scopes = default_sources(container)
    ingest_report = make_ingestor(container).run(sources, scopes=scopes)
    return {"import_s": round(imported - started, 1), "import": report.summary(), "stored": stored,
            "ingest": ingest_report.summary(), "ingest_s": round(ingest_report.seconds, 1),
            "failed": ingest_report.failed[:10], "peak_rss_mib": round(peak_rss_mib(), 1)}


def ensure_index(args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    data_dir = Path(args.data_dir) if args.data_dir else DEFAULT_CACHE
    key = fingerprint(args.us_limit)
    marker = data_dir / "bench-index.json"
    if not args.rebuild and marker.exists():
        info = json.loads(marker.read_text())
        if info.get("fingerprint") == key:
            print(f"[chat_bench] reusing the index in {data_dir} (built {info['built_at']})", flush=True)
            return data_dir, {**info, "reused": True}
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    print(f"[chat_bench] building the index in {data_dir} (import + ingest; long) ...", flush=True)
    out = data_dir / "build.json"
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--build", str(data_dir), "--out", str(out),
                    *(["--us-limit", str(args.us_limit)] if args.us_limit is not None else [])],
                   check=True)
    info = {**json.loads(out.read_text()), "fingerprint": key,
            "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "build_process_s": round(time.perf_counter() - started, 1)}
    marker.write_text(json.dumps(info, indent=1))
    return data_dir, {**info, "reused": False}


# --------------------------------------------------------------------------- measurements


def post(client: Any, path: str, body: dict[str, Any]) -> tuple[float, int, dict[str, Any] | None, str]:
    started = time.perf_counter()
    try:
        response = client.post(path, json=body)
        elapsed = (time.perf_counter() - started) * 1000
        data = response.json() if response.headers.get("content-type", "").startswith(
            "application/json") else None
        return elapsed, response.status_code, data, "" if response.status_code == 200 else response.text[:200]
    except Exception as exc:  # noqa: BLE001 - a failed request is counted, not fatal
        return (time.perf_counter() - started) * 1000, 0, None, f"{type(exc).__name__}: {exc}"[:200]


def latency_stats(latencies: list[float]) -> dict[str, float]:
    return {"n": len(latencies), "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1), "p99_ms": round(percentile(latencies, 99), 1),
            "mean_ms": round(sum(latencies) / len(latencies), 1), "max_ms": round(max(latencies), 1)}


def until(bodies: list[dict[str, Any]], time_cap: float) -> Iterator[dict[str, Any]]:
    """The request bodies, one at a time, until `time_cap` seconds have passed."""
    started = time.perf_counter()
    for body in bodies:
        if time.perf_counter() - started > time_cap:
            return
        yield body


def sequential(base: str, path: str, bodies: list[dict[str, Any]], timeout: float,
               time_cap: float) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    server: dict[str, list[float]] = {}
    errors: list[str] = []
    with httpx.Client(base_url=base, timeout=timeout) as client:
        for body in until(bodies, time_cap):
            elapsed, status, data, error = post(client, path, body)
            if status != 200:
                errors.append(f"{status} {error}")
                continue
            latencies.append(elapsed)
            for name, value in ((data or {}).get("timings") or {}).items():
                server.setdefault(name, []).append(float(value))
    result = {"client": latency_stats(latencies) if latencies else {}, "errors": len(errors),
              "error_samples": errors[:5], "requests": len(latencies) + len(errors),
              "server_timings": {k: {"p50_ms": round(percentile(v, 50), 1),
                                     "p95_ms": round(percentile(v, 95), 1)} for k, v in server.items()}}
    return result


def streamed(base: str, bodies: list[dict[str, Any]], timeout: float,
             time_cap: float) -> dict[str, Any]:
    """`/api/v1/chat/stream` one request at a time: the time to the first `token` event (what
    a reader waits before text appears) and to the end of the stream."""
    import httpx

    first: list[float] = []
    whole: list[float] = []
    errors: list[str] = []
    with httpx.Client(base_url=base, timeout=timeout) as client:
        for body in until(bodies, time_cap):
            sent, token_at = time.perf_counter(), None
            try:
                with client.stream("POST", "/api/v1/chat/stream", json=body) as response:
                    if response.status_code != 200:
                        errors.append(f"{response.status_code} {response.read()[:200]!r}")
                        continue
                    for line in response.iter_lines():
                        if token_at is None and line.replace(" ", "") == "event:token":
                            token_at = time.perf_counter()
            except Exception as exc:  # noqa: BLE001 - a failed request is counted, not fatal
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            done = time.perf_counter()
            whole.append((done - sent) * 1000)
            first.append(((token_at or done) - sent) * 1000)
    return {"first_token": latency_stats(first) if first else {},
            "client": latency_stats(whole) if whole else {}, "errors": len(errors),
            "error_samples": errors[:5], "requests": len(whole) + len(errors)}


def concurrent(base: str, path: str, bodies: list[dict[str, Any]], clients: int, timeout: float,
               time_cap: float) -> dict[str, Any]:
    """`clients` threads, each with its own connection, take requests from one queue until
    it is empty or the time cap has passed."""
    import httpx

    work: queue.Queue[dict[str, Any]] = queue.Queue()
    for body in bodies:
        work.put(body)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    started = time.perf_counter()

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=timeout) as client:
            while time.perf_counter() - started < time_cap:
                try:
                    body = work.get_nowait()
                except queue.Empty:
                    return
                elapsed, status, _, error = post(client, path, body)
                with lock:
                    if status == 200:
                        latencies.append(elapsed)
                    else:
                        errors.append(f"{status} {error}")

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=time_cap + timeout + 10)
    elapsed = time.perf_counter() - started
    done = len(latencies) + len(errors)
    return {"clients": clients, "requests_planned": len(bodies), "requests_done": done,
            "not_sent_time_cap": work.qsize(), "errors": len(errors), "error_samples": errors[:5],
            "seconds": round(elapsed, 2), "throughput_rps": round(len(latencies) / elapsed, 2),
            "latency": latency_stats(latencies) if latencies else {}}


def bodies_for(questions: list[dict[str, Any]], n: int, key: str) -> list[dict[str, Any]]:
    return [{key: questions[i % len(questions)]["question"]} for i in range(n)]


# --------------------------------------------------------------------------- in-process profile


def profile(data_dir: Path, n_search: int, n_chat: int) -> dict[str, Any]:
    """Where a search and an extractive chat spend their time, stage by stage, in-process."""
    from app.core.config import LLMSettings, Settings
    from app.core.container import Container
    from app.schemas.chat import ChatRequest
    from app.services.auth import Principal, Role

    settings = Settings(data_dir=data_dir, llm=LLMSettings(backend="extractive"))
    container = Container.build(settings)
    retriever, store, keyword, embedder = (container.retriever, container.store,
                                           container.keyword, container.embedder)
    seconds: dict[str, list[float]] = {}

    def timed(owner: Any, name: str, label: str) -> None:
        func = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                seconds.setdefault(label, []).append((time.perf_counter() - started) * 1000)
        setattr(owner, name, wrapper)

    timed(embedder, "embed_query", "embed_query")
    timed(embedder, "embed", "embed (all calls, incl. query)")
    timed(store, "count", "chroma count")
    timed(store.collection, "query", "chroma query")
    timed(store, "get", "chroma get")
    timed(keyword, "search", "bm25 search")
    timed(retriever, "hidden_documents", "manifest: pending documents")
    timed(retriever, "search", "retriever.search (total)")
    questions = load_questions()
    retriever.search("warm-up question")
    for label in list(seconds):
        seconds[label] = []
    import torch

    threads = torch.get_num_threads()
    stages: dict[str, Any] = {}
    for label, count in ((f"{threads} torch threads", threads), ("1 torch thread", 1)):
        torch.set_num_threads(count)
        for name in list(seconds):
            seconds[name] = []
        for q in questions[:n_search]:
            retriever.search(q["question"], k=8)
        stages[label] = {k: {"calls_per_search": round(len(v) / n_search, 2),
                             "mean_ms": round(sum(v) / len(v), 2),
                             "p95_ms": round(percentile(v, 95), 2)} for k, v in seconds.items() if v}
    torch.set_num_threads(threads)
    search = stages[f"{threads} torch threads"]
    for label in list(seconds):
        seconds[label] = []
    chat_service = container.chat
    timed(chat_service, "_matching_usecases", "chat: matching use cases (2nd search, k=60)")
    timed(retriever, "neighbours", "chat: neighbour chunks")
    timed(chat_service, "_finish", "chat: store answer (DB)")
    principal = Principal(key_id=None, name="benchmark", role=Role.anonymous)
    totals = []
    for q in questions[:n_chat]:
        started = time.perf_counter()
        chat_service.answer(ChatRequest(question=q["question"]), principal)
        totals.append((time.perf_counter() - started) * 1000)
    chat = {k: {"calls_per_chat": round(len(v) / n_chat, 2), "mean_ms": round(sum(v) / len(v), 2),
                "per_chat_ms": round(sum(v) / n_chat, 1)} for k, v in seconds.items() if v}
    chat["chat total"] = {"calls_per_chat": 1, "mean_ms": round(sum(totals) / len(totals), 1),
                          "per_chat_ms": round(sum(totals) / len(totals), 1)}
    # The cost of a metadata filter in Chroma: the retriever sends where={"confidential":
    # False} for every caller that may not see confidential documents (anonymous ones).
    vectors = [embedder.embed_query(q["question"]) for q in questions[:40]]
    filters: dict[str, Any] = {}
    for label, where in (("no filter", None), ("confidential = false", {"confidential": False}),
                         ("doc_type = usecase", {"doc_type": "usecase"}),
                         ("confidential = false and doc_type = usecase",
                          {"$and": [{"confidential": False}, {"doc_type": "usecase"}]})):
        times = []
        for vector in vectors:
            started = time.perf_counter()
            store.collection.query(query_embeddings=[vector], n_results=40, where=where,
                                   include=["distances"])
            times.append((time.perf_counter() - started) * 1000)
        filters[label] = {"p50_ms": round(percentile(times, 50), 2),
                          "p95_ms": round(percentile(times, 95), 2)}
    return {"search_stages": search, "search_stages_1_thread": stages["1 torch thread"],
            "chroma_query_40_by_filter": filters,
            "chat_stages": chat, "chunks": store.count()}


# --------------------------------------------------------------------------- driver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help=f"Index folder to build or reuse (default {DEFAULT_CACHE}).")
    parser.add_argument("--rebuild", action="store_true", help="Rebuild the index even if cached.")
    parser.add_argument("--us-limit", type=int, default=None, help="Index only N US records (tests).")
    parser.add_argument("--search-n", type=int, default=200)
    parser.add_argument("--chat-n", type=int, default=60)
    parser.add_argument("--local-n", type=int, default=20)
    parser.add_argument("--concurrent-n", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--skip-local", action="store_true")
    parser.add_argument("--skip-omp1", action="store_true",
                        help="Skip the second extractive server run with OMP_NUM_THREADS=1.")
    parser.add_argument("--idle-wait", type=float, default=60,
                        help="Seconds to wait, before each phase, for other work to stop.")
    parser.add_argument("--build", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        Path(args.out).write_text(json.dumps(build_index(Path(args.build), args.us_limit), default=str))
        return
    if args.profile:
        Path(args.out).write_text(json.dumps(profile(Path(args.profile), 50, 10), default=str))
        return

    started = time.perf_counter()
    data_dir, index = ensure_index(args)
    questions = load_questions()
    logs = Path(tempfile.mkdtemp(prefix="gaios-chat-bench-logs-"))
    results: dict[str, Any] = {"index": index, "contention": {}}

    @contextmanager
    def phase(name: str, server: Server) -> Iterator[None]:
        """Wait for other work to stop, then record how much CPU other processes (not the
        server, not this client) used while the phase ran."""
        record = wait_until_idle(args.idle_wait, label=name)
        print(f"[chat_bench] {name} ...", flush=True)
        started, busy0 = time.perf_counter(), cpu_jiffies()[0]
        own0 = server.cpu_seconds() + cpu_seconds_self()
        yield
        seconds = time.perf_counter() - started
        other = cpu_jiffies()[0] - busy0 - (server.cpu_seconds() + cpu_seconds_self() - own0)
        record.update({"seconds": round(seconds, 1), "other_processes_cpu_s": round(other, 1),
                       "other_processes_cores": round(other / max(seconds, 1e-9), 2)})
        results["contention"][name] = record

    import httpx

    for tag, extra_env in (("extractive", {}), ("extractive_omp1", {"OMP_NUM_THREADS": "1"})):
        if tag != "extractive" and args.skip_omp1:
            continue
        server = Server.gaios(data_dir, "extractive", logs / f"{tag}.log", extra_env)
        run: dict[str, Any] = {"env": extra_env, "startup_s": server.startup_s}
        results[tag] = run
        try:
            cold = time.perf_counter()
            httpx.post(f"{server.base}/api/v1/search", json={"query": "warm-up"}, timeout=120)
            run["first_search_ms"] = round((time.perf_counter() - cold) * 1000, 1)
            sequential(server.base, "/api/v1/search", bodies_for(questions[-10:], 10, "query"), 60, 60)
            sequential(server.base, "/api/v1/chat", bodies_for(questions[-3:], 3, "question"), 120, 120)
            with phase(f"{tag}: search sequential", server):
                run["search"] = sequential(server.base, "/api/v1/search",
                                           bodies_for(questions, args.search_n, "query"), 60, 600)
            with phase(f"{tag}: chat sequential", server):
                run["chat"] = sequential(server.base, "/api/v1/chat",
                                         bodies_for(questions, args.chat_n, "question"), 120, 600)
            with phase(f"{tag}: chat streamed", server):
                run["chat_stream"] = streamed(
                    server.base, bodies_for(questions, args.chat_n, "question"), 120, 600)
            with phase(f"{tag}: search concurrent", server):
                run["search_concurrent"] = concurrent(
                    server.base, "/api/v1/search", bodies_for(questions, args.concurrent_n, "query"),
                    args.clients, 60, 300)
            with phase(f"{tag}: chat concurrent", server):
                run["chat_concurrent"] = concurrent(
                    server.base, "/api/v1/chat",
                    bodies_for(questions[::-1], args.concurrent_n, "question"), args.clients, 120, 420)
            run["peak_rss_mib"] = server.rss_mib()
        finally:
            server.stop()

    if not args.skip_local:
        server = Server.gaios(data_dir, "local", logs / "local.log")
        try:
            local: dict[str, Any] = {"startup_s": server.startup_s}
            results["local"] = local
            cold = time.perf_counter()
            httpx.post(f"{server.base}/api/v1/chat", json={"question": questions[-1]["question"]},
                       timeout=300)
            local["first_chat_ms"] = round((time.perf_counter() - cold) * 1000, 1)
            with phase("local: chat sequential", server):
                local["chat"] = sequential(server.base, "/api/v1/chat",
                                           bodies_for(questions, args.local_n, "question"), 300, 900)
            local["peak_rss_mib"] = server.rss_mib()
        finally:
            server.stop()

    results["contention"]["in-process profile"] = wait_until_idle(args.idle_wait, label="profile")
    out = logs / "profile.json"
    subprocess.run([sys.executable, __file__, "--profile", str(data_dir), "--out", str(out)], check=True)
    results["profile"] = json.loads(out.read_text())
    shutil.rmtree(logs, ignore_errors=True)

    data = {"machine": _common.machine(), "results": results, "args": vars(args),
            "total_s": round(time.perf_counter() - started, 1)}
    search_p95 = results["extractive"]["search"]["client"].get("p95_ms", float("inf"))
    data["summary"] = {
        "search_p95_ms": search_p95, "search_target_p95_50ms_met": search_p95 < 50,
        "concurrent_errors": sum(results[t][k]["errors"] for t in ("extractive", "extractive_omp1")
                                 if t in results for k in ("search_concurrent", "chat_concurrent")),
    }
    if "extractive_omp1" in results:
        data["summary"]["search_p95_ms_omp1"] = results["extractive_omp1"]["search"]["client"].get(
            "p95_ms")
    path = write_results("chat_bench", data)
    print_report(data)
    print(f"\nwritten {path}")


def print_report(data: dict[str, Any]) -> None:
    r = data["results"]
    m = data["machine"]
    print(f"\nMachine: {m['nproc']} CPUs, {m['cpu']}, {m['ram_gib']} GiB")
    index = r["index"]
    print(f"Index: {json.dumps(index.get('ingest'))}; import {json.dumps(index.get('import'))}; "
          f"ingest {index.get('ingest_s')} s ({'reused' if index.get('reused') else 'built now'})\n")
    runs = [(t, label) for t, label in (("extractive", "default"),
                                         ("extractive_omp1", "OMP_NUM_THREADS=1")) if t in r]
    rows = []
    for tag, label in runs:
        for key, endpoint in (("search", "search"), ("chat", "chat extractive")):
            rows.append({"endpoint": endpoint, "server": label, **r[tag][key]["client"],
                         "errors": r[tag][key]["errors"]})
        if "chat_stream" in r[tag]:
            stream = r[tag]["chat_stream"]
            rows.append({"endpoint": "chat extractive, streamed: first token", "server": label,
                         **stream["first_token"], "errors": stream["errors"]})
    if "local" in r and r["local"]["chat"]["client"]:
        rows.append({"endpoint": "chat local (SmolLM2-135M)", "server": "default",
                     **r["local"]["chat"]["client"], "errors": r["local"]["chat"]["errors"]})
    print("## Latency, one client at a time (client side, loopback)\n")
    print(table(rows))
    print("\nServer-reported timings (p50/p95 ms):")
    for tag, label in runs:
        for key in ("search", "chat"):
            print(f"  {key} ({label}): {json.dumps(r[tag][key]['server_timings'])}")
    if "local" in r:
        print(f"  chat local: {json.dumps(r['local']['chat']['server_timings'])}")
    rows = []
    for tag, label in runs:
        for key, endpoint in (("search_concurrent", "search"), ("chat_concurrent", "chat extractive")):
            v = r[tag][key]
            rows.append({"endpoint": endpoint, "server": label, "clients": v["clients"],
                         "requests": v["requests_done"], "errors": v["errors"],
                         "seconds": v["seconds"], "req/s": v["throughput_rps"],
                         "p50 ms": v["latency"].get("p50_ms"), "p95 ms": v["latency"].get("p95_ms")})
    print("\n## Throughput, concurrent clients\n")
    print(table(rows))
    print("\n## Other processes' CPU use during each phase (cores busy with other work)\n")
    print(table([{"phase": k, **v} for k, v in r["contention"].items()]))
    print("\n## In-process stages of one search (mean / p95 ms)\n")
    print(table([{"stage": k, **v} for k, v in r["profile"]["search_stages"].items()]))
    print("\nThe same with torch.set_num_threads(1):\n")
    print(table([{"stage": k, **v} for k, v in r["profile"]["search_stages_1_thread"].items()]))
    print("\nChroma query (k=40) by metadata filter:\n")
    print(table([{"where": k, **v} for k, v in r["profile"]["chroma_query_40_by_filter"].items()]))
    print("\n## In-process stages of one extractive chat\n")
    print(table([{"stage": k, **v} for k, v in r["profile"]["chat_stages"].items()]))
    print(f"\nSummary: {json.dumps(data['summary'])}")


if __name__ == "__main__":
    main()

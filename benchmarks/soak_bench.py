"""Soak: 16 clients mix search, chat, use-case submissions and document uploads against a
real `gaios serve` for N minutes, while `gaios ingest` indexes a folder of real documents
and is killed with SIGKILL three times (then runs to the end). Afterwards the database and
both indexes must agree: every accepted submission and upload present, every complete
document's chunks in Chroma and in the keyword index, no orphaned chunk.

Both processes share one data folder and a Chroma server (an embedded Chroma is one
process's alone). Each client has its own contributor key, so the per-key rate limits of
the defaults apply: 429s are counted apart, every other 5xx or dropped connection is an
error.

    .venv/bin/python benchmarks/soak_bench.py [--minutes 10] [--clients 16] [--backend local]

With `--backend local` the chats are answered by the bundled model (results in
`soak_bench_local.json`).
"""

import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from contextlib import closing
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
from _common import REAL_DATA, ROOT, machine, percentile, table, write_results  # noqa: E402

ADMIN_KEY = "soak-admin-key-0123456789"
VENV_BIN = Path(sys.executable).parent
QUESTIONS = ["Which statistical offices use LLMs to code occupations?",
             "How do statistical offices reduce hallucination in chatbots?",
             "What risks do statistical offices report for generative AI?",
             "How is confidential data protected when using language models?"]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


class Soak:
    def __init__(self, work: Path, minutes: float, clients: int, backend: str) -> None:
        self.work, self.minutes, self.clients = work, minutes, clients
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("GAIOS_", "OPENAI_"))}
        self.chroma_port, self.port = free_port(), free_port()
        self.env.update(GAIOS_DATA_DIR=str(work / "var"), GAIOS_LLM__BACKEND=backend,
                        GAIOS_API_KEYS_ADMIN=ADMIN_KEY, HF_HUB_OFFLINE="1",
                        ANONYMIZED_TELEMETRY="False", GAIOS_LOG_LEVEL="WARNING",
                        GAIOS_CHROMA_URL=f"http://127.0.0.1:{self.chroma_port}",
                        GAIOS_EMBEDDING__INGEST_BATCH_CHUNKS="32")
        self.url = f"http://127.0.0.1:{self.port}"
        self.results: dict[str, Counter[str]] = defaultdict(Counter)
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.accepted: dict[str, list[str]] = defaultdict(list)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.kills: list[dict[str, int]] = []

    # -- processes -------------------------------------------------------------------------

    def start_services(self) -> list[subprocess.Popen[bytes]]:
        log = (self.work / "services.log").open("wb")
        chroma = subprocess.Popen([str(VENV_BIN / "chroma"), "run", "--path",
                                   str(self.work / "chroma"), "--host", "127.0.0.1", "--port",
                                   str(self.chroma_port)], env=self.env, stdout=log, stderr=log)
        wait_for(f"http://127.0.0.1:{self.chroma_port}/api/v2/heartbeat")
        serve = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port",
                                  str(self.port)], env=self.env, cwd=ROOT, stdout=log, stderr=log)
        wait_for(f"{self.url}/healthz")
        return [chroma, serve]

    def ingest_folder(self) -> Path:
        folder = self.work / "ingest"
        folder.mkdir()
        for pattern in ("*.md", "*.pdf", "*.html", "*.json"):
            for path in sorted(REAL_DATA.glob(pattern)):
                shutil.copy(path, folder / path.name)
        for path in sorted((ROOT / "usecases" / "documents").glob("*.md")):
            shutil.copy(path, folder / f"corpus-{path.name}")
        return folder

    def ingestion(self, folder: Path) -> None:
        """`gaios ingest` killed with SIGKILL three times, then run to the end. The kills
        strike while a batch is being written, which a kill after a fixed delay rarely hits
        on a loaded machine (loading the model takes most of it): the first as soon as the
        run marks a batch pending in the manifest, the second once chunks of a document it
        marked pending are in Chroma (written, not yet marked complete), the third 0-30 s
        after it marked a batch pending (any phase)."""
        command = [sys.executable, "-m", "app.cli", "ingest", str(folder)]
        waits = [lambda _: True, lambda docs: self.chunks_of(docs) > 0,
                 lambda _: time.sleep(random.uniform(0, 30)) or True]
        for ready in waits:
            before = self.manifest()
            process = subprocess.Popen(command, env=self.env, cwd=ROOT,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while process.poll() is None:
                marked = self.marked_pending_since(before)
                if marked and ready(marked):
                    break
                time.sleep(0.05)
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()
                self.kills.append(self.kill_state())
            process.wait()
        final = subprocess.run(command, env=self.env, cwd=ROOT, capture_output=True, text=True)
        self.final_ingest = (final.returncode, final.stdout[-500:], final.stderr[-2000:])

    def manifest(self) -> dict[str, tuple[str, str]]:
        """The ingested folder's documents (uploads left out): doc id -> (status, updated)."""
        database = self.work / "var" / "gaios.db"
        if not database.exists():
            return {}
        try:
            with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as db:
                rows = db.execute("SELECT doc_id, status, updated_at FROM index_manifest "
                                  "WHERE doc_id NOT LIKE 'soak-%'").fetchall()
        except sqlite3.OperationalError:  # the table is created by the first run
            return {}
        return {doc_id: (status, str(updated)) for doc_id, status, updated in rows}

    def marked_pending_since(self, before: dict[str, tuple[str, str]]) -> list[str]:
        """Documents marked pending after `before` was read (not a killed run's leftovers)."""
        return [doc for doc, row in self.manifest().items()
                if row[0] == "pending" and before.get(doc) != row]

    @cached_property
    def store(self) -> Any:
        from app.components.vectorstore import VectorStore
        from app.core.config import Settings
        from app.services.backup import collection_name

        return VectorStore(collection=collection_name(Settings(_env_file=None)),
                           url=self.env["GAIOS_CHROMA_URL"])

    def chunks_of(self, doc_ids: list[str]) -> int:
        if not doc_ids:
            return 0
        where = {"doc_id": {"$in": doc_ids}}
        return len(self.store.collection.get(where=where, include=[])["ids"])

    def kill_state(self) -> dict[str, int]:
        """What a kill left: documents pending and complete, and how many chunks of the
        pending ones had reached Chroma."""
        statuses = {doc: status for doc, (status, _) in self.manifest().items()}
        pending = [doc for doc, status in statuses.items() if status == "pending"]
        return {"pending_documents": len(pending),
                "complete_documents": sum(s == "complete" for s in statuses.values()),
                "chunks_of_pending_documents_in_chroma": self.chunks_of(pending)}

    # -- clients ---------------------------------------------------------------------------

    def client(self, n: int, key: str) -> None:
        http = httpx.Client(base_url=self.url, headers={"X-API-Key": key}, timeout=120)
        count = 0
        while not self.stop.is_set():
            count += 1
            kind = random.choices(["search", "chat", "submit", "upload"], [40, 30, 15, 15])[0]
            started = time.perf_counter()
            try:
                response, ident = self.request(http, kind, n, count)
                outcome = self.outcome(response.status_code)
                if outcome == "ok" and ident:
                    with self.lock:
                        self.accepted[kind].append(ident)
            except httpx.HTTPError as exc:
                outcome = f"dropped ({type(exc).__name__})"
            with self.lock:
                self.results[kind][outcome] += 1
                self.latency[kind].append((time.perf_counter() - started) * 1000)
        http.close()

    @staticmethod
    def outcome(status: int) -> str:
        if status < 300:
            return "ok"
        if status == 429:
            return "429"
        return "5xx" if status >= 500 else f"{status}"

    @staticmethod
    def request(http: httpx.Client, kind: str, n: int, count: int) -> tuple[httpx.Response, str]:
        # Letters, not digits: digit runs in ids are taken for phone numbers by the screen.
        ident = "soak-" + "".join(chr(97 + int(d)) for d in f"{n:02d}{count:05d}")
        if kind == "search":
            return http.post("/api/v1/search", json={"query": random.choice(QUESTIONS)}), ""
        if kind == "chat":
            return http.post("/api/v1/chat", json={"question": random.choice(QUESTIONS)}), ""
        if kind == "submit":
            from tests.factories import new_usecase  # the same valid record the tests submit

            record = new_usecase(id=ident, organisations=[{
                "name": f"Soak Statistics Office {ident}", "type": "nso", "country": "NLD"}])
            return http.post("/api/v1/usecases", json=record), ident
        text = f"# Soak note {ident}\n\nA short methods note number {count} from client {n}.\n"
        return http.post("/api/v1/documents", data={"doc_id": ident, "title": f"Note {ident}"},
                         files={"file": (f"{ident}.md", text.encode(), "text/markdown")}), ident

    def keys(self) -> list[str]:
        admin = {"X-API-Key": ADMIN_KEY}
        return [httpx.post(f"{self.url}/api/v1/keys", headers=admin,
                           json={"name": f"soak client {n}", "role": "contributor"}
                           ).json()["key"] for n in range(self.clients)]

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        services = self.start_services()
        try:
            folder = self.ingest_folder()
            keys = self.keys()
            ingest = threading.Thread(target=self.ingestion, args=(folder,))
            threads = [threading.Thread(target=self.client, args=(n, k))
                       for n, k in enumerate(keys)]
            started, load_before = time.monotonic(), os.getloadavg()
            ingest.start()
            for t in threads:
                t.start()
            time.sleep(self.minutes * 60)
            self.stop.set()
            for t in threads:
                t.join()
            ingest.join()
            seconds, load_after = time.monotonic() - started, os.getloadavg()
        finally:
            for process in reversed(services):
                process.send_signal(signal.SIGINT)
                process.wait(timeout=60)
        services = self.start_services()[:1]  # Chroma again, for the checks
        try:
            checks = self.check()
        finally:
            services[0].send_signal(signal.SIGINT)
            services[0].wait(timeout=60)
        return {"seconds": seconds, "backend": self.env["GAIOS_LLM__BACKEND"],
                "load_average_before_after": [load_before, load_after],
                "kills": self.kills, "final_ingest": self.final_ingest,
                "requests": {k: dict(v) for k, v in self.results.items()},
                "latency_ms": {k: {"p50": percentile(v, 50), "p95": percentile(v, 95)}
                               for k, v in self.latency.items()},
                "accepted": {k: len(v) for k, v in self.accepted.items()}, "checks": checks}

    def check(self) -> dict[str, Any]:
        """The database and both indexes agree, and nothing accepted was lost."""
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("GAIOS_")})
        from app.core.config import Settings
        from app.core.container import Container
        from app.db.models import IndexEntryRow, UploadRow, UseCaseRow

        container = Container.build(Settings(_env_file=None))
        with container.db.session() as session:
            usecases = {r.id for r in session.query(UseCaseRow)}
            uploads = {r.id for r in session.query(UploadRow)}
            manifest = {r.doc_id: (r.status, r.chunks) for r in session.query(IndexEntryRow)}
        chunks = [(i, m.get("doc_id")) for i, _, m in container.store.all_chunks()]
        chroma_ids = {i for i, _ in chunks}
        complete = {d: n for d, (status, n) in manifest.items() if status == "complete"}
        expected = {f"{d}:{k}" for d, n in complete.items() for k in range(n)}
        len(container.keyword)  # loads the keyword index from disk
        keyword_ids = set(container.keyword.chunk_ids())
        return {
            "submissions_missing": sorted(set(self.accepted["submit"]) - usecases),
            "uploads_missing": sorted(set(self.accepted["upload"]) - uploads),
            "uploads_not_indexed": sorted(set(self.accepted["upload"]) - set(complete)),
            "pending_documents": sorted(d for d, (s, _) in manifest.items() if s != "complete"),
            "chunks_missing_from_chroma": len(expected - chroma_ids),
            "orphaned_chunks_in_chroma": len(chroma_ids - expected),
            "duplicate_chunk_ids": len(chunks) - len(chroma_ids),
            "keyword_index_differs_from_chroma": len(keyword_ids ^ chroma_ids),
            "keyword_index_stale_mark": container.keyword.stale,
            "documents": len(complete), "chunks": len(chroma_ids),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--backend", choices=["extractive", "local"], default="extractive",
                        help="the model backend that answers the chats")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gaios-soak-"))
    try:
        result = Soak(work, args.minutes, args.clients, args.backend).run()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [{"kind": k, **{o: v.get(o, 0) for o in ("ok", "429", "5xx")},
             "other": ", ".join(f"{o}: {n}" for o, n in sorted(v.items())
                                if o not in ("ok", "429", "5xx")),
             "p50 ms": result["latency_ms"][k]["p50"], "p95 ms": result["latency_ms"][k]["p95"]}
            for k, v in sorted(result["requests"].items())]
    print(table(rows))
    print(f"\n{len(result['kills'])} SIGKILLs of gaios ingest; final ingest exit "
          f"{result['final_ingest'][0]}; accepted {result['accepted']}")
    for name, value in result["checks"].items():
        print(f"{name}: {value}")
    result["machine"] = machine()
    write_results("soak_bench" if args.backend == "extractive" else "soak_bench_local", result)


if __name__ == "__main__":
    main()

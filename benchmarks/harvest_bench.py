"""Harvesting at scale: N sources of M records each, served as GAIOS change feeds by a
real HTTP server on loopback, harvested into an empty repository; then harvested again
with nothing changed. Prints time, records per second, peak memory and the database size.

The records are GENERATED for this benchmark from the real US federal AI use-case
inventory (../shared/data/real): each source gets M imported records with its own ids and
its own organisation ("Generated Statistics Office 07", country kept), titles prefixed
"[generated]". Indexing (embedding) of harvested records is not timed here: it costs what
ingestion costs per chunk (see docs/benchmarks.md, Ingestion).

    .venv/bin/python benchmarks/harvest_bench.py [--sources 20] [--records 1000]
"""

import argparse
import json
import shutil
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from _common import US_CSV, machine, peak_rss_mib, table, write_results  # noqa: E402


def generated_sources(n_sources: int, n_records: int) -> list[list[dict[str, Any]]]:
    from ingest.importers import IMPORTERS

    records, _ = IMPORTERS["us-inventory"](US_CSV)
    base = [r.model_dump(mode="json") for r in records]
    sources = []
    for i in range(n_sources):
        office = {"name": f"Generated Statistics Office {i:02d}", "acronym": f"GSO{i:02d}",
                  "type": "nso"}
        chunk = [base[(i * n_records + j) % len(base)] for j in range(n_records)]
        sources.append([{**r, "id": f"gen{i:02d}-{r['id']}"[:80],
                         "title": f"[generated] {r['title']}"[:200],
                         "organisations": [{**office, "country": r["organisations"][0]["country"]}],
                         "record_meta": {**r["record_meta"], "curator":
                                         "generated for the harvest benchmark"}}
                        for r in chunk])
    return sources


def feed_server(sources: list[list[dict[str, Any]]]) -> tuple[ThreadingHTTPServer, str]:
    """`/s<i>/api/v1/changes?since=&limit=`: source i's records as a GAIOS change feed."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            index = int(parts.path.split("/")[1][1:])
            query = parse_qs(parts.query)
            after = int(query.get("since", ["0"])[0])
            limit = int(query.get("limit", ["100"])[0])
            records = sources[index]
            page = records[after:after + limit]
            body = json.dumps({
                "data": [{"cursor": str(after + k + 1), "id": r["id"], "kind": "published",
                          "revision": 1, "changed_at": "2026-11-01T00:00:00Z", "record": r}
                         for k, r in enumerate(page)],
                "next_cursor": str(after + len(page)),
                "has_more": after + len(page) < len(records)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def harvest_all(container: Any) -> tuple[float, list[Any]]:
    from app.services.roles import OPERATOR

    started = time.perf_counter()
    reports = container.harvest.run(by=OPERATOR)
    return time.perf_counter() - started, reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=20)
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args()

    from app.core.config import Settings
    from app.core.container import Container
    from app.services.roles import OPERATOR

    sources = generated_sources(args.sources, args.records)
    server, url = feed_server(sources)
    work = Path(tempfile.mkdtemp(prefix="gaios-harvest-bench-"))
    try:
        container = Container.build(Settings(_env_file=None, data_dir=work / "var"))
        for i in range(args.sources):
            container.harvest.add_source(f"office-{i:02d}", f"{url}/s{i}", kind="gaios",
                                         by=OPERATOR)
        first, reports = harvest_all(container)
        added = sum(len(r.added) for r in reports)
        held = sum(len(r.held) for r in reports)
        again, second = harvest_all(container)
        unchanged = sum(len(r.added) + len(r.updated) for r in second) == 0
        db = work / "var" / "gaios.db"
        rows = [{"run": "first", "seconds": round(first, 1), "records": added, "held back": held,
                 "records/s": round(added / first, 1)},
                {"run": "again, nothing changed", "seconds": round(again, 2), "records": 0,
                 "held back": 0, "records/s": None}]
        result = {"sources": args.sources, "records_per_source": args.records,
                  "first_seconds": first, "second_seconds": again,
                  "second_share_of_first": again / first, "added": added, "held": held,
                  "second_run_changed_nothing": unchanged,
                  "peak_rss_mib": peak_rss_mib(), "database_mib": db.stat().st_size / 2**20,
                  "held_reasons": sorted({h["reason"] for r in reports for h in r.held}),
                  "machine": machine()}
        print(table(rows))
        print(f"\nsecond run / first run: {100 * again / first:.2f} % (target < 2 %); peak RSS "
              f"{result['peak_rss_mib']:.0f} MiB; database {result['database_mib']:.1f} MiB")
        write_results("harvest_bench", result)
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""A real HTTP server on loopback that plays another organisation's catalogue, and
DCAT catalogues built like other tools build them."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CONTEXT = {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
           "foaf": "http://xmlns.com/foaf/0.1/"}


def dataset(identifier: str, *, title: str, description: str,
            keywords: list[str] | None = None, publisher: str = "Statistics Harvestland",
            country: str = "FIN") -> dict[str, Any]:
    """A dcat:Dataset in compact JSON-LD, as a DCAT-AP catalogue writes one."""
    return {
        "@id": f"https://cat.example/dataset/{identifier}",
        "@type": "dcat:Dataset",
        "dct:identifier": identifier,
        "dct:title": title,
        "dct:description": description,
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": publisher,
                          "dct:spatial": {"@id": f"http://publications.europa.eu/resource/"
                                                 f"authority/country/{country}"}},
        "dct:license": {"@id": "https://creativecommons.org/licenses/by/4.0/"},
        "dct:modified": "2026-05-04",
        "dcat:landingPage": {"@id": f"https://stat.example/genai/{identifier}"},
        "dcat:keyword": keywords if keywords is not None else [
            "GSBPM 5.2", "classification_coding", "rag", "pilot", "public"],
    }


def catalogue(*datasets: dict[str, Any]) -> dict[str, Any]:
    return {"@context": CONTEXT, "@id": "https://cat.example/", "@type": "dcat:Catalog",
            "dct:title": "GenAI use cases of Statistics Harvestland",
            "dcat:dataset": list(datasets)}


@dataclass
class Route:
    body: bytes
    status: int = 200
    etag: str | None = None
    repeat: int = 1  # the body is sent this many times (a large answer, made cheaply)
    location: str | None = None  # a redirect's target


@dataclass
class FakeOrganisation:
    """What the server answers, per path; a test changes it between harvests."""

    url: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def serve_json(self, path: str, document: Any, *, etag: str | None = None) -> str:
        self.routes[path] = Route(json.dumps(document).encode(), etag=etag)
        return f"{self.url}{path}"


def start_organisation() -> Iterator[FakeOrganisation]:
    holder: list[FakeOrganisation] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            org = holder[0]
            org.requests.append(self.path)
            route = org.routes.get(self.path.split("?")[0])
            if route is None:
                self.send_error(404)
                return
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(route.status)
            self.send_header("Content-Type", "application/ld+json")
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.location:
                self.send_header("Location", route.location)
            self.end_headers()
            try:
                for _ in range(route.repeat):
                    self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the harvester stopped reading, as it should past its limit

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(FakeOrganisation(url=f"http://127.0.0.1:{server.server_address[1]}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()

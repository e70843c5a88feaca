"""`gaios ingest` and `gaios import`: thin commands over the pipeline and importers.

The pipeline, the container and the harvester are imported by the functions that use
them, so that registering these commands costs `gaios --help` nothing (issue #14)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from app.core.lazy import build_container

if TYPE_CHECKING:
    from app.core.container import Container
    from app.services.auth import Principal
    from app.services.harvest import HarvestReport
    from ingest.loaders import LoadedDocument
    from ingest.pipeline import Ingestor, IngestReport, Source

USECASE_SCOPE = "db:usecase/"


def operator() -> Principal:
    """Who a command acts as (the role table is imported here: it loads the key store)."""
    from app.services.roles import OPERATOR

    return OPERATOR


def make_ingestor(container: Container) -> Ingestor:
    from ingest.chunking import ChunkSettings
    from ingest.pipeline import Ingestor

    return Ingestor(db=container.db, embedder=container.embedder, store=container.store,
                    keyword=container.keyword,
                    chunking=ChunkSettings(max_tokens=container.settings.embedding.max_tokens),
                    batch_chunks=container.settings.embedding.ingest_batch_chunks)


def index_usecase(container: Container, usecase_id: str) -> None:
    """Bring one use case's chunks in line with its published revision: indexed when
    published, removed when withdrawn (called when a reviewer publishes or deletes)."""
    index_usecases(container, [usecase_id])


def index_usecases(container: Container, usecase_ids: list[str]) -> None:
    """The same for several use cases at once (one embedding pass; a harvest run)."""
    if not usecase_ids:
        return
    ingestor = make_ingestor(container)
    sources = usecase_sources(container, usecase_ids)
    published = {key.removeprefix(USECASE_SCOPE) for key, _ in sources}
    for usecase_id in usecase_ids:
        if usecase_id not in published:
            ingestor.remove(usecase_id)
    if sources:
        ingestor.run(sources)


def harvest_and_index(container: Container, source: str | None, *, by: Principal
                      ) -> list[HarvestReport]:
    """Harvest one source or all, then index what changed (API, CLI and schedule)."""
    reports = container.harvest.run(source, by=by)
    index_usecases(container, [i for r in reports for i in r.changed_ids()])
    return reports


def usecase_sources(container: Container, usecase_ids: list[str] | None = None
                    ) -> list[Source]:
    """Index sources of the published use cases (all, or these), harvested ones labelled
    with their origin. Each is stamped with its revision's content hash and its label, and
    read from the database only if the index does not hold that version already."""
    import hashlib

    from ingest.pipeline import Stamped

    labels = container.usecases.provenance_labels()
    revisions = container.usecases.published_revisions(usecase_ids)

    def stamp(usecase_id: str) -> str:
        label = hashlib.sha256(labels.get(usecase_id, "").encode()).hexdigest()[:16]
        return f"revision {revisions[usecase_id]} label {label}"

    return [(f"{USECASE_SCOPE}{i}",
             Stamped(load=lambda i=i: load_published(container, i, labels.get(i)),
                     stamp=lambda i=i: stamp(i)))
            for i in sorted(revisions)]


def load_published(container: Container, usecase_id: str, label: str | None) -> LoadedDocument:
    """One published use case as a document to index."""
    from ingest.loaders import UnreadableFile, usecase_document

    source = f"{USECASE_SCOPE}{usecase_id}"
    records = container.usecases.published([usecase_id])
    if not records:
        raise UnreadableFile(source, "the use case is no longer published")
    return usecase_document(records[0], source=source, provenance=label)


def default_sources(container: Container) -> tuple[list[Source], list[str]]:
    """The shipped documents folder and every published use case (curated, submitted,
    imported), read from the repository database."""
    from ingest.pipeline import file_sources

    container.load_curated()
    sources, scopes = file_sources([container.settings.corpus_dir / "documents"],
                                   max_bytes=container.settings.max_upload_bytes)
    sources += usecase_sources(container)
    return sources, [*scopes, USECASE_SCOPE]


def with_progress(sources: Iterable[Source]) -> Iterator[Source]:
    """A progress bar on a terminal; plain iteration otherwise (CI logs, pipes)."""
    items = list(sources)
    if not sys.stderr.isatty():
        yield from items
        return
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        task = progress.add_task("Indexing", total=len(items))
        for item in items:
            progress.update(task, description=f"Indexing {Path(item[0]).name[:40]}")
            yield item
            progress.advance(task)


def print_report(report: IngestReport, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=1))
    else:
        s = report.summary()
        click.echo(f"added {s['added']}, updated {s['updated']}, unchanged {s['unchanged']}, "
                   f"removed {s['removed']}, failed {s['failed']}; {s['chunks']} chunks in the "
                   f"index; {s['seconds']} s")
        for failure in report.failed:
            click.echo(f"FAILED {failure['source']}: {failure['reason']}", err=True)
    if report.failed:
        sys.exit(1)


@click.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--rehash", is_flag=True,
              help="Read and hash every document, even those whose file size and modification "
                   "time (or record revision) are unchanged: after upgrading GAIOS's loaders.")
def ingest_command(paths: tuple[Path, ...], as_json: bool, rehash: bool) -> None:
    """Index files and folders; with no PATHS, the shipped corpus and published use cases."""
    from app.observability import observe_ingest
    from ingest.pipeline import file_sources

    container = build_container()
    if paths:
        sources, scopes = file_sources(paths, max_bytes=container.settings.max_upload_bytes)
    else:
        sources, scopes = default_sources(container)
    report = make_ingestor(container).run(sources, scopes=scopes, progress=with_progress,
                                          rehash=rehash)
    observe_ingest(report.summary())
    print_report(report, as_json)


@click.command("import")
@click.argument("kind", type=click.Choice(["us-inventory", "atrs"]))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def import_command(kind: str, path: Path, as_json: bool) -> None:
    """Import a real inventory (US federal CSV, UK ATRS JSON) as published use cases.
    Run `gaios ingest` afterwards to index them."""
    from ingest.importers import IMPORTERS

    records, report = IMPORTERS[kind](path)
    container = build_container()
    stored = container.usecases.import_records(records, by=operator())
    if as_json:
        from dataclasses import asdict
        click.echo(json.dumps({"summary": report.summary(), "stored": stored, **asdict(report)},
                              indent=1, default=str))
        return
    click.echo(f"{path}: {json.dumps(report.summary())}; stored {json.dumps(stored)}")
    for name in ("redacted", "held_back", "failed"):
        for issue in getattr(report, name)[:20]:
            click.echo(f"{name.upper()} row {issue.row} {issue.id or ''}: {issue.reason}")
        extra = len(getattr(report, name)) - 20
        if extra > 0:
            click.echo(f"... and {extra} more {name} rows (use --json for all)")


@click.group("harvest")
def harvest_command() -> None:
    """Harvest other organisations' repositories (another GAIOS, or a DCAT catalogue)."""


@harvest_command.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--kind", type=click.Choice(["gaios", "dcat"]),
              help="Default: dcat for a URL ending in .json/.jsonld, else gaios.")
def harvest_add(name: str, url: str, kind: str | None) -> None:
    """Add a source NAME at URL (nothing is fetched until `gaios harvest run`)."""
    source = build_container().harvest.add_source(name, url, kind=kind, by=operator())
    click.echo(f"added {source['name']} ({source['kind']}) {source['url']}")


@harvest_command.command("list")
def harvest_list() -> None:
    """Every source with its last run and held-back records."""
    for source in build_container().harvest.sources(by=operator()):
        report = source["last_report"] or {}
        click.echo(f"{source['name']}\t{source['kind']}\t{source['url']}\t"
                   f"{source['records']} records\tlast run: {source['last_run_at'] or 'never'}"
                   f" {report.get('status', '')}\theld back: {len(source['held'])}")


@harvest_command.command("remove")
@click.argument("name")
def harvest_remove(name: str) -> None:
    """Forget source NAME and withdraw the records it brought (history kept)."""
    container = build_container()
    withdrawn = container.harvest.remove_source(name, by=operator())
    index_usecases(container, withdrawn)
    click.echo(f"removed {name}; withdrew {len(withdrawn)} records")


@harvest_command.command("run")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
def harvest_run(name: str | None, as_json: bool) -> None:
    """Harvest source NAME, or every source, and index what changed."""
    reports = harvest_and_index(build_container(), name, by=operator())
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in reports], indent=1, default=str))
    for r in reports if not as_json else []:
        click.echo(f"{r.source}: {r.status}; added {len(r.added)}, updated {len(r.updated)}, "
                   f"withdrawn {len(r.withdrawn)}, unchanged {r.unchanged}, near-duplicates "
                   f"{len(r.duplicates)}, held back {len(r.held)}; {r.seconds} s"
                   + (f"\n  {r.error}" if r.error else ""))
        for held in r.held[:20]:
            click.echo(f"  HELD {held['remote_id']}: {held['reason']}")
    if any(r.status == "failed" for r in reports):
        sys.exit(1)

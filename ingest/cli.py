"""`gaios ingest` and `gaios import`: thin commands over the pipeline and importers."""

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import click

from app.core.config import get_settings
from app.core.container import Container
from app.observability import observe_ingest
from app.services.roles import OPERATOR
from ingest.chunking import ChunkSettings
from ingest.loaders import usecase_document
from ingest.pipeline import Ingestor, IngestReport, Source, file_sources

USECASE_SCOPE = "db:usecase/"


def make_ingestor(container: Container) -> Ingestor:
    return Ingestor(db=container.db, embedder=container.embedder, store=container.store,
                    keyword=container.keyword,
                    chunking=ChunkSettings(max_tokens=container.settings.embedding.max_tokens),
                    batch_chunks=container.settings.embedding.ingest_batch_chunks)


def index_usecase(container: Container, usecase_id: str) -> None:
    """Bring one use case's chunks in line with its published revision: indexed when
    published, removed when withdrawn (called when a reviewer publishes or deletes)."""
    ingestor = make_ingestor(container)
    published = container.usecases.published(usecase_id)
    if not published:
        ingestor.remove(usecase_id)
        ingestor.rebuild_keyword_index()
        return
    record = published[0]
    key = f"{USECASE_SCOPE}{record.id}"
    ingestor.run([(key, lambda: usecase_document(record, source=key))])


def default_sources(container: Container) -> tuple[list[Source], list[str]]:
    """The shipped documents folder and every published use case (curated, submitted,
    imported), read from the repository database."""
    container.load_curated()
    sources, scopes = file_sources([container.settings.corpus_dir / "documents"],
                                   max_bytes=container.settings.max_upload_bytes)
    for record in container.usecases.published():
        key = f"{USECASE_SCOPE}{record.id}"
        sources.append((key, lambda r=record, k=key: usecase_document(r, source=k)))
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
def ingest_command(paths: tuple[Path, ...], as_json: bool) -> None:
    """Index files and folders; with no PATHS, the shipped corpus and published use cases."""
    container = Container.build(get_settings())
    if paths:
        sources, scopes = file_sources(paths, max_bytes=container.settings.max_upload_bytes)
    else:
        sources, scopes = default_sources(container)
    report = make_ingestor(container).run(sources, scopes=scopes, progress=with_progress)
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
    container = Container.build(get_settings())
    stored = container.usecases.import_records(records, by=OPERATOR)
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

"""The `gaios` command: a thin shell over the same services the API uses.

Each command imports what it needs when it runs: `gaios --help` and every subcommand's
help load click and the settings, nothing heavier (tests/test_startup.py)."""

import json
import sys
from pathlib import Path
from typing import get_args

import click

from app.core.config import get_settings
from app.core.lazy import build_container
from app.errors import AppError
from app.schemas.keys import GrantableRole
from app.web.i18n import LANGUAGES


class AppGroup(click.Group):
    """Turns an AppError into a clean message and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except AppError as exc:
            raise click.ClickException(exc.describe()) from exc


@click.group(cls=AppGroup)
def main() -> None:
    """GAIOS: generative AI for official statistics."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, help="Worker processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API and the web interface (JSON logs, one line per request)."""
    import uvicorn

    from app.observability import log_config

    settings = get_settings()
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers,
                log_config=log_config(settings.log_level, settings.log_format), access_log=False,
                proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips)


@main.command()
@click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False))
def validate(folder: str | None) -> None:
    """Check every record and document of a corpus folder against the schema."""
    from app.services.corpus import check_corpus

    root = Path(folder) if folder else get_settings().corpus_dir
    problems = check_corpus(root)
    if problems:
        raise click.ClickException("\n".join(problems))
    click.echo(f"{root}: all records and documents are valid")


@main.group()
def keys() -> None:
    """Create, list and revoke API keys."""


@keys.command("create")
@click.option("--role", type=click.Choice(get_args(GrantableRole)), required=True,
              help="What the key may do.")
@click.option("--name", required=True, help="Who or what the key is for.")
def keys_create(role: str, name: str) -> None:
    """Create a key; it is printed once and stored only as a hash."""
    from app.services.auth import Role

    key_id, key = build_container().keys.create(name=name, role=Role(role))
    click.echo(json.dumps({"id": key_id, "name": name, "role": role, "key": key}))


@keys.command("list")
def keys_list() -> None:
    """List keys (never the keys themselves)."""
    for row in build_container().keys.list():
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        click.echo(f"{row.id}\t{row.role}\t{state}\t{row.name}")


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke a key by its id."""
    build_container().keys.revoke(key_id)
    click.echo(f"revoked {key_id}")


@main.command()
def roles() -> None:
    """Print who may do what (the table of docs/roles.md)."""
    from app.services.roles import markdown_notes, markdown_table

    click.echo(markdown_table() + "\n" + markdown_notes(), nl=False)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Back up the database, the vector and BM25 indexes and the uploads to PATH
    (.tar.gz), with a manifest of counts and checksums."""
    from app.services.backup import create_backup

    manifest = create_backup(get_settings(), path)
    click.echo(f"{path}: {manifest['database']} database, vectors: {manifest['vector_store']}; "
               f"{json.dumps(manifest['counts'])}")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace a data folder, database or Chroma collection that holds data.")
def restore(path: Path, force: bool) -> None:
    """Restore a backup made by `gaios backup` (stop the API first). The archive is
    checked completely before anything is replaced."""
    from app.services.backup import restore_backup

    manifest = restore_backup(get_settings(), path, force=force)
    click.echo(f"restored {path} (made {manifest['created']}): {json.dumps(manifest['counts'])}")


@main.group()
def report() -> None:
    """Reports on the repository."""


@report.command("landscape")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="HTML file to write.")
@click.option("--filter", "filters", multiple=True, metavar="NAME=VALUE",
              help="A use-case browser filter, e.g. gsbpm=5 or stage=pilot (repeatable).")
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True,
              help="The server the report's links open.")
@click.option("--lang", type=click.Choice(list(LANGUAGES)), default="en", show_default=True,
              help="The report's language (the web interface's catalogues).")
def report_landscape(out: Path, filters: tuple[str, ...], base_url: str, lang: str) -> None:
    """The landscape page (charts and tables) as one self-contained HTML file."""
    from datetime import date

    from app.api.routes.usecases import filters_from_query
    from app.api.routes.web import STATIC_DIR
    from app.services.landscape import build_landscape
    from app.web.i18n import Text
    from app.web.landscape import Links, landscape_report

    params = []
    for item in filters:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--filter")
        params.append((name.strip(), value.strip()))
    container = build_container()
    container.load_curated()
    land = build_landscape(container.usecases.matching(filters_from_query(params)))
    css = (STATIC_DIR / "css" / "gaios.css").read_text(encoding="utf-8")
    out.write_text(landscape_report(land, Links(params, prefix=base_url.rstrip("/")), css=css,
                                    generated=date.today().isoformat(), t=Text(lang)),
                   encoding="utf-8")
    click.echo(f"wrote {out}: {land.total} use cases")


@main.group()
def feedback() -> None:
    """Users' ratings of chat answers, for evaluators."""


@feedback.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("--rating", type=click.Choice(["1", "-1"]), help="Only helpful or only not.")
@click.option("--since", help="From this date (2026-11-01) or date and time (UTC).")
@click.option("--until", help="Up to this date (the whole day) or date and time (UTC).")
@click.option("--conversation", "conversation_id", help="Only one conversation.")
@click.option("--comments/--no-comments", "has_comment", default=None,
              help="Only ratings with (or without) a comment.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: standard output).")
def feedback_export(fmt: str, rating: str | None, since: str | None, until: str | None,
                    conversation_id: str | None, has_comment: bool | None,
                    output: Path | None) -> None:
    """Every rating with its question, answer, sources and comment, newest first (what
    `GET /api/v1/feedback` shows reviewers; comments were screened for personal data)."""
    from app.api.routes.feedback import filters_of
    from app.schemas.feedback import FeedbackItem
    from app.services import feedback as service

    filters = filters_of(int(rating) if rating else None, since, until, conversation_id,
                         has_comment)
    items = list(build_container().feedback.all(filters))
    if fmt == "csv":
        text = service.to_csv(items)
    else:
        text = json.dumps([FeedbackItem.model_validate(i).model_dump(mode="json") for i in items],
                          ensure_ascii=False, indent=1) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}: {len(items)} ratings", err=True)


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema (also done at start-up)."""
    build_container()
    click.echo("database is at the latest migration")


def _register_pipeline_commands() -> None:
    # The pipeline and evaluation packages sit on top of app/; they join here, at the shell.
    from evaluation.cli import eval_command
    from ingest.cli import harvest_command, import_command, ingest_command

    main.add_command(ingest_command)
    main.add_command(import_command)
    main.add_command(harvest_command)
    main.add_command(eval_command)


_register_pipeline_commands()

if __name__ == "__main__":
    sys.exit(main())

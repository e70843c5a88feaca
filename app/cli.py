"""The `gaios` command: a thin shell over the same services the API uses."""

import json
import sys

import click

from app.core.config import get_settings
from app.core.container import Container
from app.errors import AppError
from app.services.auth import Role
from app.services.corpus import check_corpus


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
    """Serve the API and the web interface."""
    import uvicorn

    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers)


@main.command()
@click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False))
def validate(folder: str | None) -> None:
    """Check every record and document of a corpus folder against the schema."""
    from pathlib import Path

    root = Path(folder) if folder else get_settings().corpus_dir
    problems = check_corpus(root)
    if problems:
        raise click.ClickException("\n".join(problems))
    click.echo(f"{root}: all records and documents are valid")


@main.group()
def keys() -> None:
    """Create, list and revoke API keys."""


@keys.command("create")
@click.option("--role", type=click.Choice([r.value for r in Role if r != Role.anonymous]),
              required=True, help="What the key may do.")
@click.option("--name", required=True, help="Who or what the key is for.")
def keys_create(role: str, name: str) -> None:
    """Create a key; it is printed once and stored only as a hash."""
    key_id, key = Container.build(get_settings()).keys.create(name=name, role=Role(role))
    click.echo(json.dumps({"id": key_id, "name": name, "role": role, "key": key}))


@keys.command("list")
def keys_list() -> None:
    """List keys (never the keys themselves)."""
    for row in Container.build(get_settings()).keys.list():
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        click.echo(f"{row.id}\t{row.role}\t{state}\t{row.name}")


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke a key by its id."""
    Container.build(get_settings()).keys.revoke(key_id)
    click.echo(f"revoked {key_id}")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema (also done at start-up)."""
    Container.build(get_settings())
    click.echo("database is at the latest migration")


def _register_pipeline_commands() -> None:
    # The pipeline packages sit on top of app/; they are attached here, at the shell.
    from ingest.cli import import_command, ingest_command

    main.add_command(ingest_command)
    main.add_command(import_command)


_register_pipeline_commands()

if __name__ == "__main__":
    sys.exit(main())

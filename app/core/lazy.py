"""The container for a command, imported only when the command runs.

Importing `app.core.container` loads SQLAlchemy, the retrieval stack and the harvester
(over a second); the command-line modules import this instead, so that `gaios --help`
and every subcommand's help stay fast (issue #14; tests/test_startup.py)."""

from typing import TYPE_CHECKING

from app.core.config import get_settings

if TYPE_CHECKING:
    from app.core.container import Container


def build_container() -> "Container":
    """The services of this process, built from the settings (database migrated)."""
    from app.core.container import Container

    return Container.build(get_settings())

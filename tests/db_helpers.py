"""Alembic driven by the tests, on a connection they own."""

from typing import Any

from alembic.config import Config

from app.db.session import MIGRATIONS


def alembic_config(connection: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config

"""Bring a log database to the newest schema when the store opens.

Revisions ship inside the package (`migrations/`), so an installed wheel can upgrade the
database it finds; a revision may add or reshape, never drop a log's rows. There is no
alembic.ini: the Config is built here.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection, Engine

from gateway.log.errors import StoreUnavailable

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "replyguard_log_version"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


def upgrade_on(connection: Connection, revision: str = "head") -> None:
    """Apply every revision up to `revision` that the database lacks, inside the caller's
    transaction: DDL is transactional on both backends, so a failed upgrade leaves the database
    at its old revision with every row in place. A database at a revision these migrations do
    not know (written by a newer ReplyGuard) is StoreUnavailable: it is not touched."""
    config = alembic_config()
    config.attributes["connection"] = connection
    try:
        command.upgrade(config, revision)
    except CommandError as exc:
        found = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE}).get_current_revision()
        raise StoreUnavailable(
            f"the interception log's schema is at revision {found!r}, which this ReplyGuard "
            f"does not know (newest here: {head_revision()!r}); was it written by a newer "
            f"version? Run that version, or give another database ({exc})") from None

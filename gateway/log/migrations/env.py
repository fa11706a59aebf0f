"""Alembic environment of the interception log. The store runs it in code (`gateway.log.migrate`)
on a connection it already holds; there is no alembic.ini and no URL here."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from gateway.log.migrate import VERSION_TABLE

connection = context.config.attributes["connection"]
assert isinstance(connection, Connection)
# the store's own version table name: the log may share a PostgreSQL database with other apps
context.configure(connection=connection, version_table=VERSION_TABLE,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()

"""The SQLAlchemy engine for either backend, and the one place DBAPI errors become ours.

SQLite (the embedded default) runs in WAL mode with `synchronous=FULL`: a commit fsyncs the
WAL before it returns, so a committed record survives kill -9 *and* power loss. (`NORMAL` in WAL
mode only survives a process crash: the last commits can vanish when the machine loses power.)
PostgreSQL keeps its own default, `synchronous_commit=on`: COMMIT returns after the WAL flush.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from gateway.log.errors import StoreUnavailable, ValueRejected

SQLITE_FILE = "interceptions.sqlite3"
_CONNECT_TIMEOUT_S = 5
_SQLITE_BUSY_MS = 10_000


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir.expanduser() / SQLITE_FILE}"


def make_engine(url: str, *, create: bool = True) -> Engine:
    """An engine for `url`; refuses (StoreUnavailable) a URL it cannot use. With create=False
    a SQLite file that does not exist is refused instead of created: a reader given a typo
    must not leave an empty database (and its folders) behind and report "0 records"."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            raise StoreUnavailable(f"unsupported log database {parsed.get_backend_name()!r}: "
                                   "use sqlite:///… or postgresql+psycopg://…")
        serialize = _json_dumps
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                path = Path(parsed.database).expanduser()
                if create:
                    path.parent.mkdir(parents=True, exist_ok=True)
                elif not path.is_file():
                    raise StoreUnavailable(f"log database {path} does not exist (only "
                                           "`replyguard serve` creates it)")
            engine = create_engine(parsed, json_serializer=serialize,
                                   connect_args={"timeout": _SQLITE_BUSY_MS / 1000})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(
            parsed, json_serializer=serialize, pool_pre_ping=True,
            # UTC so that date(time) means a UTC day, whatever the server's zone
            connect_args={"connect_timeout": _CONNECT_TIMEOUT_S, "options": "-c timezone=UTC"})
    except (ArgumentError, NoSuchModuleError, OSError) as exc:
        raise StoreUnavailable(f"cannot use log database {_redact(url)}: {exc}") from exc


def _sqlite_pragmas(connection: sqlite3.Connection, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # the default 2 MB cache thrashes on the random-id primary key once the log is large
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable URL)"


@contextmanager
def unavailable_on_db_error(what: str) -> Iterator[None]:
    """Turn a database failure into StoreUnavailable; integrity errors stay for the caller,
    since they mean "this record", not "this database", and a value the database refuses (NUL
    in PostgreSQL text, a lone surrogate the driver cannot encode) becomes ValueRejected."""
    try:
        yield
    except IntegrityError:
        raise
    except DataError as exc:
        raise ValueRejected(f"{what}: {_first_line(exc.orig or exc)}") from exc
    except UnicodeEncodeError as exc:
        raise ValueRejected(f"{what}: text is not valid Unicode ({exc.reason})") from exc
    except DBAPIError as exc:
        raise StoreUnavailable(f"{what}: {_first_line(exc.orig or exc)}") from exc
    except PoolTimeout as exc:
        raise StoreUnavailable(f"{what}: no free database connection ({exc})") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

"""`SqlInterceptionLog`: the interception log on SQLAlchemy Core, for SQLite and PostgreSQL.

Writes go through the `Writer` thread (ordered, group-committed); reads run in
`asyncio.to_thread` on the pooled engine. Nothing here touches the database on the event loop.
`open_log` is the way in: it picks the backend, migrates the schema and starts the writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import delete, select, text
from sqlalchemy.engine import Connection, Engine

from gateway.log import migrate
from gateway.log.engine import SQLITE_FILE, make_engine, sqlite_url, unavailable_on_db_error
from gateway.log.errors import RecordNotFound
from gateway.log.export import csv_header, csv_line, jsonl_line
from gateway.log.filters import Cursor, LogFilter
from gateway.log.privacy import BuyerHasher, data_dir_key
from gateway.log.queries import conditions, page_select, text_candidates, to_records
from gateway.log.records import (
    Appeal,
    InterceptionRecord,
    Outcome,
    OutcomeChange,
    Page,
    Review,
    ReviewState,
)
from gateway.log.schema import appeals, categories, outcome_changes, records
from gateway.log.stats import LogStats, compute
from gateway.log.store import ExportFormat
from gateway.log.writer import Writer
from gateway.log.writes import WriteOp, apply

T = TypeVar("T")

MAX_PAGE = 1000
_EXPORT_PAGE = 1000
_PURGE_CHUNK = 5000
# any constant works; it only has to be the same for every process migrating one database
_MIGRATION_LOCK = 0x5265706C79
_SQLITE_ANALYSIS_ROWS = 1000


def open_log(database_url: str | None, data_dir: Path, *, hash_buyer_ids: bool = False,
             buyer_key: bytes | None = None, max_batch: int = 1000,
             max_backlog: int = 100_000, create: bool = True) -> SqlInterceptionLog:
    """Open (creating and migrating as needed) the log at `database_url`, or the SQLite file
    under `data_dir` when no URL is given. Blocking: call before the event loop, or in a
    thread. Raises StoreUnavailable when the database cannot be reached, or (create=False:
    the read-only and maintenance commands) when the SQLite file does not exist."""
    if database_url is None and create:
        _create_private(data_dir.expanduser() / SQLITE_FILE)
    engine = make_engine(database_url or sqlite_url(data_dir), create=create)
    try:
        with unavailable_on_db_error("opening the interception log"):
            _migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    hasher = None
    if hash_buyer_ids:
        hasher = BuyerHasher(buyer_key if buyer_key is not None else data_dir_key(data_dir))
    return SqlInterceptionLog(engine, hasher=hasher, max_batch=max_batch,
                              max_backlog=max_backlog)


def _create_private(path: Path) -> None:
    """The embedded log holds agents' messages: readable by the owner only. SQLite gives its
    -wal and -shm files the database file's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _migrate(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        # replicas starting together must not both create the tables
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
            try:
                migrate.upgrade_on(connection)
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": _MIGRATION_LOCK})
        return  # autovacuum keeps PostgreSQL's planner statistics
    with engine.begin() as connection:
        migrate.upgrade_on(connection)
        # SQLite has no autoanalyze: without statistics it may walk the tier index for
        # "shop + tier" instead of the shop one. A sampled ANALYZE costs milliseconds.
        connection.execute(text(f"PRAGMA analysis_limit={_SQLITE_ANALYSIS_ROWS}"))
        connection.execute(text("ANALYZE"))


class SqlInterceptionLog:
    def __init__(self, engine: Engine, *, hasher: BuyerHasher | None = None,
                 max_batch: int = 1000, max_backlog: int = 100_000) -> None:
        self.engine = engine
        self._hasher = hasher
        self._writer = Writer(engine, apply, max_batch=max_batch, max_backlog=max_backlog)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    async def append(self, record: InterceptionRecord, *, durable: bool) -> None:
        if self._hasher is not None:
            record = self._hasher.apply(record)
        await self._submit(record, wait=durable)

    def stored_conversation(self, conversation: str) -> str:
        return conversation if self._hasher is None else self._hasher.conversation(conversation)

    async def update_outcome(self, record_id: str, outcome: Outcome,
                             detail: str | None = None, *, durable: bool = True) -> None:
        await self._submit(OutcomeChange(record_id, outcome, datetime.now(UTC), detail),
                           wait=durable)

    async def appeal(self, record_id: str, note: str) -> None:
        await self._submit(Appeal(record_id, note or None))

    async def review(self, record_id: str, state: ReviewState, note: str | None,
                     reviewer: str) -> None:
        await self._submit(Review(record_id, state, note, reviewer))

    async def _submit(self, op: WriteOp, *, wait: bool = True) -> None:
        future = self._writer.submit(op, wait=wait)
        if future is not None:
            await asyncio.wrap_future(future)

    async def history(self, record_id: str) -> Sequence[OutcomeChange]:
        def read(connection: Connection) -> list[OutcomeChange]:
            rows = connection.execute(
                select(outcome_changes).where(outcome_changes.c.record_id == record_id)
                .order_by(outcome_changes.c.seq)).mappings()
            changes = [OutcomeChange(r["record_id"], r["outcome"], r["time"], r["detail"])
                       for r in rows]
            if not changes:
                raise RecordNotFound(record_id)
            return changes
        return await self._read(read)

    async def get(self, record_id: str, *,
                  shops: frozenset[str] | None = None) -> InterceptionRecord | None:
        stmt = select(records).where(records.c.id == record_id)
        if shops is not None:
            stmt = stmt.where(records.c.shop.in_(sorted(shops)))

        def read(connection: Connection) -> InterceptionRecord | None:
            found = to_records(connection, connection.execute(stmt).mappings())
            return found[0] if found else None
        return await self._read(read)

    async def query(self, filters: LogFilter, cursor: str | None = None,
                    limit: int = 50) -> Page:
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be 1-{MAX_PAGE}, got {limit}")
        position = Cursor.decode(cursor) if cursor is not None else None
        # one extra row says whether a next page exists without a second query
        def read(connection: Connection) -> Page:
            stmt = page_select(filters, position, limit + 1,
                               text_candidates(connection, filters))
            items = to_records(connection, connection.execute(stmt).mappings())
            if len(items) <= limit:
                return Page(items, None)
            last = items[limit - 1]
            return Page(items[:limit], Cursor(last.time, last.id).encode())
        return await self._read(read)

    async def review_queue(self, filters: LogFilter, limit: int = 50
                           ) -> Sequence[InterceptionRecord]:
        unreviewed = conditions(filters) & (records.c.review_state ==
                                            str(ReviewState.UNREVIEWED))
        appealed = (select(records).where(unreviewed, records.c.appealed_at.is_not(None))
                    .order_by(records.c.appealed_at, records.c.id).limit(limit))
        rest = (select(records).where(unreviewed, records.c.appealed_at.is_(None))
                .order_by(records.c.time.desc(), records.c.id.desc()).limit(limit))

        def read(connection: Connection) -> list[InterceptionRecord]:
            items = to_records(connection, connection.execute(appealed).mappings())
            if len(items) < limit:
                items += to_records(connection, connection.execute(rest).mappings())
            return items[:limit]
        return await self._read(read)

    async def export(self, filters: LogFilter, fmt: ExportFormat) -> AsyncIterator[str]:
        line = csv_line if fmt == "csv" else jsonl_line
        if fmt == "csv":
            yield csv_header()
        cursor: str | None = None
        while True:
            page = await self.query(filters, cursor, _EXPORT_PAGE)
            for record in page.items:
                yield line(record)
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def stats(self, filters: LogFilter) -> LogStats:
        return await self._read(lambda connection: compute(connection, filters))

    async def purge(self, older_than: datetime) -> int:
        return await asyncio.to_thread(self._purge, older_than)

    def _purge(self, older_than: datetime) -> int:
        # in chunks, so the writer thread (and durable appends) never waits long for the lock
        deleted = 0
        while True:
            with unavailable_on_db_error("purging the interception log"), \
                    self.engine.begin() as connection:
                ids = list(connection.execute(
                    select(records.c.id).where(records.c.time < older_than)
                    .limit(_PURGE_CHUNK)).scalars())
                if not ids:
                    return deleted
                for table, column in ((categories, categories.c.record_id),
                                      (outcome_changes, outcome_changes.c.record_id),
                                      (appeals, appeals.c.record_id),
                                      (records, records.c.id)):
                    connection.execute(delete(table).where(column.in_(ids)))
                deleted += len(ids)

    async def flush(self) -> None:
        await asyncio.wrap_future(self._writer.barrier())

    async def close(self) -> None:
        await asyncio.to_thread(self.close_sync)

    def close_sync(self) -> None:
        """Write what is queued and release the database (for code outside an event loop)."""
        self._writer.stop()
        self.engine.dispose()

    async def _read(self, work: Callable[[Connection], T]) -> T:
        def run() -> T:
            with unavailable_on_db_error("reading the interception log"), \
                    self.engine.connect() as connection:
                return work(connection)
        return await asyncio.to_thread(run)

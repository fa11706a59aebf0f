"""The interception log as the gateway, the HTTP API and the report see it.

One implementation exists (`SqlInterceptionLog`, SQLite or PostgreSQL); this protocol is what
callers depend on. Writes and reads never block the event loop: database calls run on the
log's writer thread (writes) or a worker thread (reads).

Visibility: a batched append (`durable=False`) is visible to reads once its batch commits,
usually within milliseconds; `flush()` waits for that. Updates (outcome, appeal, review) are
ordered after every append submitted before them, so a change to a just-appended record holds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Literal, Protocol

from gateway.log.filters import LogFilter
from gateway.log.records import (
    InterceptionRecord,
    Outcome,
    OutcomeChange,
    Page,
    ReviewState,
)
from gateway.log.stats import LogStats

ExportFormat = Literal["csv", "jsonl"]


class InterceptionLog(Protocol):
    async def append(self, record: InterceptionRecord, *, durable: bool) -> None:
        """Store `record`. durable=True returns after COMMIT (blocking tiers: the hold must be
        on disk before the agent is told); durable=False queues it and returns at once."""

    async def update_outcome(self, record_id: str, outcome: Outcome,
                             detail: str | None = None, *, durable: bool = True) -> None:
        """Set the record's outcome and add the change to its history. durable=True returns
        after COMMIT (the caller acts on the change only then: send-anyway, edit, ack);
        durable=False queues it like a batched append, kept and retried through an outage
        (a change that happens whatever the log says: expired, routed)."""

    def stored_conversation(self, conversation: str) -> str:
        """`conversation` as its records store it (the buyer part hashed when buyer ids are),
        so a node can find the records of a conversation it holds."""

    async def history(self, record_id: str) -> Sequence[OutcomeChange]:
        """Every outcome the record has had, oldest first (the first is the one appended)."""

    async def appeal(self, record_id: str, note: str) -> None:
        """The agent disputes the interception; every appeal is kept, an empty note is none."""

    async def review(self, record_id: str, state: ReviewState, note: str | None,
                     reviewer: str) -> None:
        """A reviewer confirms the interception or marks it a false positive."""

    async def get(self, record_id: str, *,
                  shops: frozenset[str] | None = None) -> InterceptionRecord | None:
        """The record, or None (also when it belongs to a shop outside `shops`)."""

    async def query(self, filters: LogFilter, cursor: str | None = None,
                    limit: int = 50) -> Page:
        """One page, newest first by (time, id); pass `next_cursor` back for the next."""

    async def review_queue(self, filters: LogFilter, limit: int = 50
                           ) -> Sequence[InterceptionRecord]:
        """Unreviewed records: appealed ones first (oldest appeal first), then newest first."""

    def export(self, filters: LogFilter, fmt: ExportFormat) -> AsyncIterator[str]:
        """The selected records as CSV or JSON lines, one string per line."""

    async def stats(self, filters: LogFilter) -> LogStats:
        """Counts and rates over the selected records."""

    async def purge(self, older_than: datetime) -> int:
        """Delete records (and their history) older than `older_than`; returns how many."""

    async def flush(self) -> None:
        """Wait until every append submitted so far is committed."""

    async def close(self) -> None:
        """Flush, stop the writer and release the database."""

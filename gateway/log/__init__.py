"""The interception log: every intervention, its outcome, appeal and review, stored in SQLite
(embedded) or PostgreSQL. See docs/log.md; the exceptions are drawn in `gateway.log.errors`."""

from __future__ import annotations

from gateway.log.errors import (
    InvalidCursor,
    RecordConflict,
    RecordNotFound,
    StoreError,
    StoreUnavailable,
    ValueRejected,
)
from gateway.log.filters import LogFilter
from gateway.log.records import (
    ContextMessage,
    InterceptionRecord,
    Outcome,
    OutcomeChange,
    Page,
    Review,
    ReviewState,
    new_record_id,
)
from gateway.log.sql_store import SqlInterceptionLog, open_log
from gateway.log.stats import LogStats
from gateway.log.store import InterceptionLog

__all__ = [
    "ContextMessage", "InterceptionLog", "InterceptionRecord", "InvalidCursor", "LogFilter",
    "LogStats", "Outcome", "OutcomeChange", "Page", "RecordConflict", "RecordNotFound",
    "Review", "ReviewState", "SqlInterceptionLog", "StoreError", "StoreUnavailable",
    "ValueRejected", "new_record_id", "open_log",
]

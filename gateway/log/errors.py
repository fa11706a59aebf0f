"""What the interception log raises. Callers catch `StoreError` or one of its children:

    StoreError                 base of everything the log raises on purpose
    ├── StoreUnavailable       the database cannot be reached or refused the operation
    │                          (connection refused, disk full, locked too long, bad URL);
    │                          the gateway treats it as "log down", never as "message bad"
    ├── RecordNotFound         no record with that id (or not in the caller's shops)
    ├── RecordConflict         a record with that id already exists
    ├── ValueRejected          the database refused a value of this one operation (PostgreSQL:
    │                          a NUL character; either backend: a lone surrogate); the other
    │                          writes of its batch are unaffected (also a ValueError)
    └── InvalidCursor          a pagination cursor this log did not hand out (also a ValueError)

Programming errors (a naive datetime, an unknown outcome) stay ValueError/TypeError.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error the interception log raises on purpose."""


class StoreUnavailable(StoreError):
    """The database is unreachable or failed; the record may not have been written."""


class RecordNotFound(StoreError):
    def __init__(self, record_id: str) -> None:
        super().__init__(f"没有拦截记录 {record_id}")
        self.record_id = record_id


class RecordConflict(StoreError):
    def __init__(self, record_id: str) -> None:
        super().__init__(f"拦截记录 {record_id} 已存在")
        self.record_id = record_id


class InvalidCursor(StoreError, ValueError):
    """A cursor string that was not produced by `query` (tampered, truncated, other version)."""


class ValueRejected(StoreError, ValueError):
    """The database refused a value of one write or read (a NUL in PostgreSQL text, a lone
    surrogate): that operation's fault, not the database's, so never "log down"."""

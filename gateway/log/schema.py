"""The log's tables as SQLAlchemy Core metadata: what the store queries against. The DDL that
creates them lives in the Alembic revisions under `migrations/versions/`; a test checks the two
agree, so a schema change without a migration fails.

Every index ends in (time, id) so each filter can walk its index newest first and stop after a
page: keyset pagination never sorts, whatever the table size. Categories live in a child table
that repeats the record's time, so "category X, newest first" is one index range too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

from gateway.log.records import utc


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on both backends (SQLite keeps no zone, so it is implied)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = utc(value)
        # SQLite compares times as text: keep one format, without an offset, for every row
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else utc(value)


metadata = MetaData()

records = Table(
    "interceptions", metadata,
    Column("id", String(64), primary_key=True),
    Column("time", UTCDateTime, nullable=False),
    Column("shop", String(128), nullable=False),
    Column("user_id", String(128), nullable=False),
    Column("conversation", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("normalized", Text, nullable=False),
    Column("tier", String(32), nullable=False),
    Column("rule", String(128)),
    Column("escalation", String(128)),   # revision 0004: the repeat-offence rule that raised it
    Column("reason", Text),
    Column("categories", JSON, nullable=False),
    Column("matches", JSON, nullable=False),
    Column("tone", JSON),
    Column("intent", JSON),              # revision 0006: a buyer record's intent scores
    Column("version", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("buyer", String(128)),
    Column("context", JSON, nullable=False),
    Column("appealed_at", UTCDateTime),   # the first appeal: orders the review queue
    Column("review_state", String(16), nullable=False),
    Column("review_note", Text),
    Column("reviewer", String(128)),
    Column("reviewed_at", UTCDateTime),
    Index("ix_interceptions_time", "time", "id"),
    Index("ix_interceptions_shop", "shop", "time", "id"),
    Index("ix_interceptions_user", "user_id", "time", "id"),
    Index("ix_interceptions_tier", "tier", "time", "id"),
    Index("ix_interceptions_outcome", "outcome", "time", "id"),
    Index("ix_interceptions_review", "review_state", "time", "id"),
    Index("ix_interceptions_appealed", "appealed_at"),
    # PostgreSQL only (revision 0002): ILIKE '%…%' through trigrams instead of a table scan
    Index("ix_interceptions_text_trgm", "text", postgresql_using="gin",
          postgresql_ops={"text": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
)

categories = Table(
    "record_categories", metadata,
    Column("record_id", String(64), ForeignKey("interceptions.id", ondelete="CASCADE"),
           primary_key=True),
    Column("category", String(64), primary_key=True),
    Column("time", UTCDateTime, nullable=False),
    Index("ix_record_categories_category", "category", "time", "record_id"),
)

# Every appeal of a record, in order (revision 0005); a later one never replaces an earlier one.
appeals = Table(
    "appeals", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("record_id", String(64), ForeignKey("interceptions.id", ondelete="CASCADE"),
           nullable=False),
    Column("note", Text),
    Column("time", UTCDateTime, nullable=False),
    Index("ix_appeals_record", "record_id", "seq"),
)

outcome_changes = Table(
    "outcome_changes", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("record_id", String(64), ForeignKey("interceptions.id", ondelete="CASCADE"),
           nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("time", UTCDateTime, nullable=False),
    Column("detail", Text),
    Index("ix_outcome_changes_record", "record_id", "seq"),
)

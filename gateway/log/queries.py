"""LogFilter → SQL, and rows → records: the read side shared by query, stats and export.

A category filter drives the query from `record_categories` (its (category, time, record_id)
index is already in page order); every other filter is a condition on `interceptions`, whose
(column, time, id) indexes serve the common single-filter listings without a sort.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    RowMapping,
    Select,
    and_,
    literal,
    select,
    text,
    true,
    tuple_,
)

from gateway.log.filters import Cursor, LogFilter
from gateway.log.records import Appeal, ContextMessage, InterceptionRecord
from gateway.log.schema import UTCDateTime, appeals, categories, records

# A "text contains" search on SQLite asks the trigram index first; up to this many hits it
# fetches them by id and sorts them, beyond it the needle is common enough that walking the
# time index finds a page at once.
FTS_CANDIDATES = 5000


def text_candidates(connection: Connection, filters: LogFilter) -> list[str] | None:
    """Ids of the records whose text may contain the needle, from SQLite's trigram index, or
    None when the index cannot help (another backend, a needle under three characters, a
    needle too common to be worth it)."""
    needle = filters.text_contains
    if connection.dialect.name != "sqlite" or not needle or len(needle) < 3:
        return None
    phrase = '"' + needle.replace('"', '""') + '"'
    rows = connection.execute(text(
        "SELECT m.record_id FROM interceptions_fts f "
        "JOIN interceptions_fts_map m ON m.fts_rowid = f.rowid "
        "WHERE interceptions_fts MATCH :phrase LIMIT :cap"),
        {"phrase": phrase, "cap": FTS_CANDIDATES + 1}).scalars().all()
    return list(rows) if len(rows) <= FTS_CANDIDATES else None


def page_select(filters: LogFilter, cursor: Cursor | None, limit: int,
                candidates: list[str] | None = None) -> Select[Any]:
    """Up to `limit` records after `cursor`, newest first; `candidates` (from
    `text_candidates`) narrows a text search to the ids the index found."""
    if filters.category is not None:
        time_col, id_col = categories.c.time, categories.c.record_id
        stmt = (select(records)
                .select_from(categories.join(records, records.c.id == categories.c.record_id))
                .where(categories.c.category == filters.category))
    else:
        time_col, id_col = records.c.time, records.c.id
        stmt = select(records)
    stmt = stmt.where(conditions(filters, time_col, with_category=False))
    if candidates is not None:
        stmt = stmt.where(records.c.id.in_(candidates))
    if cursor is not None:
        stmt = stmt.where(tuple_(time_col, id_col) < tuple_(
            literal(cursor.time, UTCDateTime()), literal(cursor.id)))
    return stmt.order_by(time_col.desc(), id_col.desc()).limit(limit)


def conditions(filters: LogFilter, time_col: Any = None, *,
               with_category: bool = True) -> ColumnElement[bool]:
    """Every filter as one condition on `interceptions`; `time_col` is the time column the range
    applies to (the child table's copy when the query is driven from it)."""
    r = records.c
    time_col = r.time if time_col is None else time_col
    parts: list[ColumnElement[bool]] = []
    if filters.since is not None:
        parts.append(time_col >= filters.since)
    if filters.until is not None:
        parts.append(time_col < filters.until)
    if filters.shops is not None:
        parts.append(r.shop.in_(sorted(filters.shops)))
    if filters.users is not None:
        parts.append(r.user_id.in_(sorted(filters.users)))
    if filters.tiers is not None:
        parts.append(r.tier.in_(sorted(map(str, filters.tiers))))
    if filters.outcomes is not None:
        parts.append(r.outcome.in_(sorted(map(str, filters.outcomes))))
    if filters.review_states is not None:
        parts.append(r.review_state.in_(sorted(map(str, filters.review_states))))
    if filters.appealed_only:
        parts.append(r.appealed_at.is_not(None))
    if filters.text_contains:
        parts.append(r.text.icontains(filters.text_contains, autoescape=True))
    if with_category and filters.category is not None:
        parts.append(r.id.in_(select(categories.c.record_id)
                              .where(categories.c.category == filters.category)))
    return and_(true(), *parts)


def to_records(connection: Connection, rows: Iterable[RowMapping]) -> list[InterceptionRecord]:
    """Records of `rows`, with their appeals (one more query, only when a row was appealed)."""
    rows = list(rows)
    appealed = [row["id"] for row in rows if row["appealed_at"] is not None]
    found: dict[str, list[Appeal]] = {}
    if appealed:
        for a in connection.execute(select(appeals).where(appeals.c.record_id.in_(appealed))
                                    .order_by(appeals.c.seq)).mappings():
            found.setdefault(a["record_id"], []).append(
                Appeal(a["record_id"], a["note"], a["time"]))
    return [to_record(row, found.get(row["id"], ())) for row in rows]


def to_record(row: RowMapping, appeals: Iterable[Appeal] = ()) -> InterceptionRecord:
    return InterceptionRecord(
        id=row["id"], time=row["time"], shop=row["shop"], user=row["user_id"],
        conversation=row["conversation"], role=row["role"], text=row["text"],
        normalized=row["normalized"], tier=row["tier"], rule=row["rule"], reason=row["reason"],
        escalation=row["escalation"],
        categories=tuple(row["categories"]), matches=tuple(row["matches"]), tone=row["tone"],
        intent=row["intent"],
        version=row["version"], outcome=row["outcome"], buyer=row["buyer"],
        context=tuple(ContextMessage.from_dict(c) for c in row["context"]),
        appealed_at=row["appealed_at"], appeals=tuple(appeals),
        review_state=row["review_state"], review_note=row["review_note"],
        reviewer=row["reviewer"], reviewed_at=row["reviewed_at"])

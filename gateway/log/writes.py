"""The statements behind every write, applied in order inside one transaction.

Appends that follow each other become one executemany per table (the batching win); an update
of a record that does not exist becomes a RecordNotFound for that one operation, not a failed
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, update
from sqlalchemy.engine import Connection

from gateway.log.errors import RecordNotFound, StoreError
from gateway.log.records import Appeal, InterceptionRecord, OutcomeChange, Review
from gateway.log.schema import appeals, categories, outcome_changes, records

WriteOp = InterceptionRecord | OutcomeChange | Appeal | Review


def apply(connection: Connection, ops: Sequence[WriteOp]) -> list[StoreError | None]:
    """Run `ops` in order on `connection` (inside the caller's transaction); one result per op."""
    results: list[StoreError | None] = []
    run: list[InterceptionRecord] = []
    for op in ops:
        if isinstance(op, InterceptionRecord):
            run.append(op)
            results.append(None)
            continue
        _insert(connection, run)
        run = []
        results.append(_update(connection, op))
    _insert(connection, run)
    return results


def record_row(record: InterceptionRecord) -> dict[str, Any]:
    return {
        "id": record.id, "time": record.time, "shop": record.shop, "user_id": record.user,
        "conversation": record.conversation, "role": str(record.role), "text": record.text,
        "normalized": record.normalized, "tier": str(record.tier), "rule": record.rule,
        "escalation": record.escalation,
        "reason": record.reason, "categories": list(record.categories),
        "matches": list(record.matches), "tone": record.tone, "intent": record.intent,
        "version": record.version,
        "outcome": str(record.outcome), "buyer": record.buyer,
        "context": [c.to_dict() for c in record.context],
        "appealed_at": record.appealed_at,
        "review_state": str(record.review_state), "review_note": record.review_note,
        "reviewer": record.reviewer, "reviewed_at": record.reviewed_at,
    }


def category_rows(record: InterceptionRecord) -> list[dict[str, Any]]:
    return [{"record_id": record.id, "category": c, "time": record.time}
            for c in dict.fromkeys(record.categories)]


def first_outcome_row(record: InterceptionRecord) -> dict[str, Any]:
    """History starts with the outcome the record was appended with."""
    return {"record_id": record.id, "outcome": str(record.outcome), "time": record.time,
            "detail": None}


def appeal_rows(record: InterceptionRecord) -> list[dict[str, Any]]:
    return [{"record_id": record.id, "note": a.note, "time": a.time} for a in record.appeals]


def _insert(connection: Connection, run: list[InterceptionRecord]) -> None:
    if not run:
        return
    connection.execute(insert(records), [record_row(r) for r in run])
    rows = [row for r in run for row in appeal_rows(r)]
    if rows:
        connection.execute(insert(appeals), rows)
    rows = [row for r in run for row in category_rows(r)]
    if rows:
        connection.execute(insert(categories), rows)
    connection.execute(insert(outcome_changes), [first_outcome_row(r) for r in run])


def _update(connection: Connection, op: OutcomeChange | Appeal | Review) -> StoreError | None:
    where = records.c.id == op.record_id
    if isinstance(op, OutcomeChange):
        values: dict[str, Any] = {"outcome": str(op.outcome)}
    elif isinstance(op, Appeal):
        # appealed_at is the first appeal's time: a second appeal keeps its place in the queue
        values = {"appealed_at": func.coalesce(records.c.appealed_at, op.time)}
    else:
        values = {"review_state": str(op.state), "review_note": op.note,
                  "reviewer": op.reviewer, "reviewed_at": op.time}
    if connection.execute(update(records).where(where).values(**values)).rowcount == 0:
        return RecordNotFound(op.record_id)
    if isinstance(op, OutcomeChange):
        connection.execute(insert(outcome_changes).values(
            record_id=op.record_id, outcome=str(op.outcome), time=op.time, detail=op.detail))
    elif isinstance(op, Appeal):
        connection.execute(insert(appeals).values(record_id=op.record_id, note=op.note,
                                                  time=op.time))
    return None

"""Records as CSV or JSON lines, for `export`. Both keep Chinese text as UTF-8 (no \\u escapes).

CSV flattens the record: lists and objects (categories, matches, tone, intent, context) are JSON in
their cell, so a spreadsheet shows them and a script can still parse them back.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from gateway.log.records import InterceptionRecord

CSV_COLUMNS = (
    "id", "time", "shop", "user", "conversation", "from", "text", "normalized", "tier", "rule",
    "escalation",
    "reason", "categories", "matches", "tone", "intent", "version", "outcome", "buyer", "context",
    "appeal_note", "appealed_at", "appeals", "review_state", "review_note", "reviewer",
    "reviewed_at",
)


# The last line of an export cut short by a failure (docs/api.md): never a record's shape.
CUT_MARKER = "#export-error"


def jsonl_line(record: InterceptionRecord) -> str:
    return json.dumps(record.to_dict(), ensure_ascii=False) + "\n"


def csv_header() -> str:
    return _csv_row(list(CSV_COLUMNS))


def csv_line(record: InterceptionRecord) -> str:
    data = record.to_dict()
    return _csv_row([_cell(data[column]) for column in CSV_COLUMNS])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _csv_row(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def jsonl_cut(text: str) -> str:
    return json.dumps({CUT_MARKER: "log-unavailable", "detail": text},
                      ensure_ascii=False) + "\n"


def csv_cut(text: str) -> str:
    return _csv_row([CUT_MARKER, "log-unavailable", text])

"""QA turns reviewed false positives into work: allow-list candidates (what matched, where) and
labelled rows for retraining the tone model (`replyguard train --add FILE`).

Label of a false positive's row: `polite` — a supervisor found nothing wrong with the reply —
unless the review note says `label=X` (or `label: X`) with X one of the tone labels, e.g. a
reply that was curt but not abusive: `label=cold`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from classifiers.tone.training import LABELS
from gateway.api.deps import GatewayDep
from gateway.api.filters import QAFilter
from gateway.api.responses import GUARDED
from gateway.api.streaming import stream_lines
from gateway.log import InterceptionLog, InterceptionRecord, LogFilter, ReviewState
from gateway.log.export import csv_cut

router = APIRouter(prefix="/api/qa/false-positives", tags=["qa: false positives"],
                   responses=GUARDED)

DEFAULT_LABEL = "polite"
_LABEL = re.compile(r"\blabel\s*[=:]\s*([a-z]+)", re.IGNORECASE)
_PAGE = 1000
EXAMPLES = 3


def training_label(note: str | None) -> str:
    found = _LABEL.search(note or "")
    label = found[1].lower() if found else DEFAULT_LABEL
    return label if label in LABELS else DEFAULT_LABEL


async def false_positives(log: InterceptionLog, filters: LogFilter
                          ) -> AsyncIterator[InterceptionRecord]:
    filters = dataclasses.replace(filters, review_states=frozenset({ReviewState.FALSE_POSITIVE}))
    cursor: str | None = None
    while True:
        page = await log.query(filters, cursor, _PAGE)
        for record in page.items:
            yield record
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


class AllowCandidate(BaseModel):
    category: str
    term: str = Field(description="the lexicon term that fired")
    matched: str = Field(description="the text it matched in the message (original span)")
    count: int = Field(description="false positives with this hit")
    examples: list[str] = Field(description="whole messages: pick an allow phrase from them "
                                            "that covers the match")
    record_ids: list[str]


@router.get("/allow-candidates", summary="Allow-list candidates from false positives (qa)")
async def allow_candidates(gateway: GatewayDep, filters: QAFilter) -> list[AllowCandidate]:
    """Role **qa**. The hits of records reviewed as false positives (within your shops and the
    filters), grouped by category, term and matched text, most frequent first."""
    groups: dict[tuple[str, str, str], AllowCandidate] = {}
    async for record in false_positives(gateway.log, filters):
        for match in record.matches:
            key = (str(match["category"]), str(match["term"]), str(match["text"]))
            group = groups.setdefault(key, AllowCandidate(
                category=key[0], term=key[1], matched=key[2], count=0, examples=[],
                record_ids=[]))
            if record.id in group.record_ids:
                continue
            group.count += 1
            group.record_ids.append(record.id)
            if len(group.examples) < EXAMPLES and record.text not in group.examples:
                group.examples.append(record.text)
    return sorted(groups.values(), key=lambda g: (-g.count, g.category, g.term, g.matched))


@router.get("/training.csv", summary="False positives as tone training rows (qa)",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/csv; charset=utf-8": {}}}})
async def training_rows(gateway: GatewayDep, filters: QAFilter) -> StreamingResponse:
    """Role **qa**. CSV `text,label` (what `replyguard train --add` reads), one row per
    distinct message text: `polite` unless the review note says `label=<tone label>`."""

    async def rows() -> AsyncIterator[str]:
        yield _csv_row("text", "label")
        seen: set[str] = set()
        async for record in false_positives(gateway.log, filters):
            if record.text not in seen:
                seen.add(record.text)
                yield _csv_row(record.text, training_label(record.review_note))

    return await stream_lines(rows(), media_type="text/csv; charset=utf-8",
                              filename="false-positives.csv", error_line=csv_cut)


def _csv_row(*cells: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()

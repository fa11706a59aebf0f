"""QA previews a candidate policy on the last days of the interception log (never applied)."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gateway.api.deps import GatewayDep, RequireQA
from gateway.api.filters import scoped
from gateway.api.responses import GUARDED, WITH_BODY
from gateway.config.replay import ReplayRecord, replay
from gateway.log import LogFilter

router = APIRouter(prefix="/api/replay", tags=["qa: replay"], responses=GUARDED)

CANDIDATE_FILE = "candidate-policy.yaml"
MAX_POLICY_CHARS = 500_000
_PAGE = 1000


class ReplayIn(BaseModel):
    policy: str = Field(max_length=MAX_POLICY_CHARS, description="the candidate policies.yaml")
    days: int = Field(default=7, ge=1, le=366, description="replay the log of the last N days")
    limit: int = Field(default=20_000, ge=1, le=200_000, description="at most this many records")
    examples: int = Field(default=3, ge=0, le=20, description="examples kept per move")


class ReplayOut(BaseModel):
    """`ReplayDiff.to_dict()`."""

    current_version: str
    candidate_version: str
    total: int
    changed: int
    bad_records: list[dict[str, Any]]
    tiers: dict[str, dict[str, int]]
    moves: list[dict[str, Any]]
    categories: dict[str, dict[str, int]]


@router.post("", summary="Replay the log under a candidate policy (qa)",
             responses=WITH_BODY)
async def replay_log(gateway: GatewayDep, user: RequireQA, body: ReplayIn) -> ReplayOut:
    """Role **qa**. Re-scores the interception records of the last `days` days (your shops)
    under the running configuration and under the candidate policy (with the running lexicons
    and tone model), and returns what moves between tiers. The candidate is never swapped in.
    An invalid policy is 422 with `candidate-policy.yaml:line:column`. The log holds only
    messages the running policy acted on, so this shows what a candidate would relax or
    re-tier, not what it would newly catch."""
    live = gateway.live
    current = live.current
    source = live.source
    with tempfile.TemporaryDirectory(prefix="replyguard-replay-") as directory:
        path = Path(directory) / CANDIDATE_FILE
        path.write_text(body.policy, encoding="utf-8")
        candidate = await asyncio.to_thread(source.with_files(policy_file=path).load, current)
    filters = scoped(LogFilter(since=datetime.now(UTC) - timedelta(days=body.days)), user)
    records: list[ReplayRecord] = []
    cursor: str | None = None
    while len(records) < body.limit:
        page = await gateway.log.query(filters, cursor, min(_PAGE, body.limit - len(records)))
        records += [ReplayRecord(len(records) + i + 1, r.text, r.role, r.shop, r.user, r.time,
                                 r.answered)
                    for i, r in enumerate(page.items)]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    records.reverse()  # oldest first, so repeat offences escalate in the order they happened
    # scoring is CPU work: its own loop in a worker thread keeps this one serving the relay
    diff = await asyncio.to_thread(asyncio.run, replay(records, current, candidate,
                                                       examples=body.examples))
    return ReplayOut.model_validate(diff.to_dict())

"""Supervisors review interceptions (confirmed / false positive) and work the review queue,
where agents' appeals come first."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from gateway.api.deps import GatewayDep, RequireSupervisor
from gateway.api.filters import SupervisorFilter
from gateway.api.interceptions import RecordId, record_out, visible_record
from gateway.api.models import RecordOut, ReviewQueue
from gateway.api.responses import GUARDED, errors
from gateway.log import ReviewState
from gateway.log.sql_store import MAX_PAGE
from gateway.storable import StorableStr

router = APIRouter(tags=["supervisor: review"], responses=GUARDED)


class ReviewIn(BaseModel):
    state: Literal["confirmed", "false-positive"] = Field(
        description="confirmed: the interception was right; false-positive: it was not")
    note: StorableStr | None = Field(default=None, max_length=2000, description=(
        "why; on a false positive, `label=cold` (any tone label) sets the label of its "
        "retraining row, which is otherwise polite"))


@router.post("/api/interceptions/{record_id}/review",
             summary="Review an interception (supervisor)",
             responses=errors(400, 404))
async def review_interception(gateway: GatewayDep, user: RequireSupervisor,
                              record_id: RecordId, body: ReviewIn) -> RecordOut:
    """Role **supervisor**. Records the verdict with your user id as reviewer and the current
    time; a later review replaces an earlier one. Returns the updated record."""
    await visible_record(gateway, user, record_id)
    await gateway.log.review(record_id, ReviewState(body.state), body.note or None, user.user)
    return record_out(await visible_record(gateway, user, record_id))


@router.get("/api/review-queue", summary="Unreviewed interceptions, appeals first (supervisor)")
async def review_queue(
    gateway: GatewayDep, filters: SupervisorFilter,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> ReviewQueue:
    """Role **supervisor**. Unreviewed records of your shops: those the agent appealed first
    (oldest appeal first), then the rest newest first. Takes the list's filters."""
    items = await gateway.log.review_queue(filters, limit)
    return ReviewQueue(items=[record_out(r) for r in items])

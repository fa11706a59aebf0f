"""Supervisors' figures: what was intercepted and what the interventions achieved."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.api.deps import GatewayDep
from gateway.api.filters import SupervisorFilter
from gateway.api.models import StatsOut
from gateway.api.responses import GUARDED

router = APIRouter(prefix="/api/stats", tags=["supervisor: stats"], responses=GUARDED)


@router.get("", summary="Interception statistics (supervisor)")
async def stats(gateway: GatewayDep, filters: SupervisorFilter) -> StatsOut:
    """Role **supervisor**. Over the records the list's filters select (your shops only):
    counts by tier, category, agent, shop, day and outcome; notices per agent, shop and rule;
    send-anyway rate after suggest-edit, edit-then-pass rate, time spent in forced edit,
    acknowledgements; reviews, false-positive rate and appeals. A rate is null when nothing
    was there to divide by."""
    return StatsOut.model_validate((await gateway.log.stats(filters)).to_dict())

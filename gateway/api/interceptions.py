"""Supervisors read the interception log: list with filters and cursor pages, one record with
its conversation context and outcome history, CSV / JSONL export. Always within their shops."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from gateway.api.deps import GatewayDep, RequireSupervisor
from gateway.api.filters import SupervisorFilter
from gateway.api.models import OutcomeChangeOut, RecordDetail, RecordOut, RecordPage
from gateway.api.responses import GUARDED, errors
from gateway.api.streaming import stream_lines
from gateway.auth import Principal
from gateway.errors import NotFound
from gateway.log import InterceptionRecord
from gateway.log.export import csv_cut, jsonl_cut
from gateway.log.sql_store import MAX_PAGE
from gateway.runtime import Gateway
from gateway.storable import StorableStr

router = APIRouter(prefix="/api/interceptions", tags=["supervisor: interceptions"],
                   responses=GUARDED)

RecordId = Annotated[StorableStr, Path(min_length=1, max_length=64, description="record id")]
_MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


def record_out(record: InterceptionRecord) -> RecordOut:
    return RecordOut.model_validate(record.to_dict())


async def visible_record(gateway: Gateway, user: Principal, record_id: str
                         ) -> InterceptionRecord:
    """The record if `user` may see it; another shop's record is as unknown as a missing one,
    so an id never confirms that a record exists elsewhere."""
    record = await gateway.log.get(record_id, shops=user.shops)
    if record is None:
        raise NotFound(f"没有拦截记录 {record_id}")
    return record


@router.get("", summary="List interceptions (supervisor)", responses=errors(400))
async def list_interceptions(
    gateway: GatewayDep, filters: SupervisorFilter,
    cursor: Annotated[StorableStr | None, Query(description="`next_cursor` of the previous page")]
    = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> RecordPage:
    """Role **supervisor**. Newest first; every filter narrows (they combine with AND). Only
    your shop's records, or every shop's with a `*` token."""
    page = await gateway.log.query(filters, cursor, limit)
    return RecordPage(items=[record_out(r) for r in page.items], next_cursor=page.next_cursor)


@router.get("/export", summary="Export interceptions as CSV or JSONL (supervisor)",
            response_class=StreamingResponse,
            responses={200: {"content": {_MEDIA["csv"]: {}, _MEDIA["jsonl"]: {}}}})
async def export_interceptions(
    gateway: GatewayDep, filters: SupervisorFilter,
    format: Annotated[Literal["csv", "jsonl"], Query(description="csv or jsonl")] = "jsonl",
) -> StreamingResponse:
    """Role **supervisor**. Every selected record (same filters as the list), streamed page by
    page; CSV cells holding lists or objects are JSON."""
    return await stream_lines(gateway.log.export(filters, format), media_type=_MEDIA[format],
                              filename=f"interceptions.{format}",
                              error_line=csv_cut if format == "csv" else jsonl_cut)


@router.get("/{record_id}", summary="One interception with its context (supervisor)",
            responses=errors(404))
async def get_interception(gateway: GatewayDep, user: RequireSupervisor,
                           record_id: RecordId) -> RecordDetail:
    """Role **supervisor**. The record, the conversation messages that preceded it
    (`context`) and its outcome history. 404 for an unknown id or another shop's record."""
    record = await visible_record(gateway, user, record_id)
    history = await gateway.log.history(record_id)
    return RecordDetail.model_validate({
        **record.to_dict(),
        "history": [OutcomeChangeOut(outcome=c.outcome, time=c.time, detail=c.detail)
                    for c in history]})

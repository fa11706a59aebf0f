"""The running configuration: read it (qa, supervisor) and reload it from its files (qa)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gateway.api.deps import GatewayDep, RequireConfigReader, RequireQA
from gateway.api.responses import GUARDED

router = APIRouter(prefix="/api/config", tags=["config"], responses=GUARDED)


@router.get("", summary="The running configuration (qa, supervisor)")
async def read_config(gateway: GatewayDep, user: RequireConfigReader) -> dict[str, Any]:
    """Roles **qa**, **supervisor**. This node's version, last error and recent reloads; with
    several nodes, every node's version too (`nodes`)."""
    return {**gateway.live.status(), "nodes": await gateway.nodes()}


@router.post("/reload", summary="Reload the configuration from its files (qa)")
async def reload_config(gateway: GatewayDep, user: RequireQA) -> dict[str, Any]:
    """Role **qa**. Builds the configuration from the policy and lexicon files and swaps it in
    if it builds; a rejected change keeps the running version (`result: rejected`)."""
    event = await gateway.live.reload("api")
    return event.to_dict()

"""The running configuration: read it (qa, supervisor) and reload it from its files (qa)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gateway.api.deps import GatewayDep, RequireConfigReader, RequireQA
from gateway.api.responses import GUARDED
from gateway.api.tenancy import own_scope, visible_error
from gateway.config.scope import only_shop

router = APIRouter(prefix="/api/config", tags=["config"], responses=GUARDED)


@router.get("", summary="The running configuration (qa, supervisor)")
async def read_config(gateway: GatewayDep, user: RequireConfigReader) -> dict[str, Any]:
    """Roles **qa**, **supervisor**. This node's version, last error and recent reloads; with
    several nodes, every node's version too (`nodes`). An error inside another shop's lexicon
    overlay is shown to a shop's token without its text."""
    status = gateway.live.status()
    nodes = await gateway.nodes()
    status["error"] = visible_error(status["error"], user)
    for event in status["events"]:
        event["error"] = visible_error(event["error"], user)
    for node in (nodes or {}).values():
        node["error"] = visible_error(node.get("error"), user)
    return {**status, "nodes": nodes}


@router.post("/reload", summary="Reload the configuration from its files (qa)")
async def reload_config(gateway: GatewayDep, user: RequireQA) -> dict[str, Any]:
    """Role **qa**. Builds the configuration from the policy and lexicon files and swaps it in
    if it builds; a rejected change keeps the running version (`result: rejected`). A shop's
    token applies only changes confined to its own shop (its lexicon overlay, its `shops:`
    section of the policy): if the files also hold other changes, 403 and nothing is swapped.
    """
    scope = own_scope(user)
    event = await gateway.live.reload("api", admit=only_shop(scope) if scope else None)
    return {**event.to_dict(), "error": visible_error(event.error, user)}

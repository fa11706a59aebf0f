"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError

from gateway.api.deps import GatewayDep
from gateway.errors import StateUnavailable
from gateway.log import StoreError

router = APIRouter(tags=["operations"])
log = logging.getLogger("replyguard.health")
# /readyz has no token: which host, port or driver failed goes to the server log, not here
_DOWN = "unreachable (details in the server log)"


_SYNC_DOWN = "configuration sync is not subscribed; reconnecting to Redis"


def _down(what: str, exc: Exception) -> dict[str, Any]:
    log.warning("readiness: %s unavailable: %s", what, exc)
    return {"ok": False, "error": _DOWN}


@router.get("/healthz", summary="Liveness (no token)")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness (no token)",
            responses={503: {"description": "not ready: the same body, a check with ok false"}})
async def readyz(gateway: GatewayDep) -> JSONResponse:
    """Ready when a configuration is loaded, the shared state answers and the log can be
    read."""
    live = gateway.live
    # A rejected change keeps the last good version running: still ready (the error is shown),
    # or one bad edit would take every node out of rotation at once.
    checks: dict[str, Any] = {"config": {"ok": True, "version": live.version,
                                         "error": live.last_error}}
    try:
        await gateway.state.ping()
        checks["state"] = {"ok": True, "policy_version": await gateway.state.policy_version()}
    except StateUnavailable as exc:
        checks["state"] = _down("shared state", exc)
    sync = gateway.config_sync
    if sync is not None:
        # a node that no longer hears configuration changes would enforce a stale one
        # (why is in the node's log: hosts and driver text stay off this unauthenticated page)
        checks["sync"] = {"ok": sync.healthy, "error": None if sync.healthy else _SYNC_DOWN}
    try:
        nodes = await gateway.nodes()
        if nodes is not None:
            # informational: another node's lag or error does not make this one unready
            checks["nodes"] = nodes
    except (StateUnavailable, RedisError) as exc:
        checks["state"] = _down("shared state", exc)
    try:
        await gateway.log.get("readiness-probe")  # a point read: cheap on any log size
        checks["log"] = {"ok": True}
    except StoreError as exc:
        checks["log"] = _down("interception log", exc)
    ready = all(check["ok"] for name, check in checks.items() if name != "nodes") \
        and not gateway.draining
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics (no token)", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
                             "description": "Prometheus text format"}})
async def metrics(gateway: GatewayDep) -> Response:
    return Response(generate_latest(gateway.metrics.registry), media_type=CONTENT_TYPE_LATEST)

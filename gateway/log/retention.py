"""Retention: interception records older than `Settings.retention_days` are purged by a
background task of the app, once at start-up and then daily (`replyguard log purge` does the
same once, from the command line). With several nodes each one purges; a purge that finds
nothing left to delete costs one index read."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from gateway.log import InterceptionLog, StoreError

log = logging.getLogger("replyguard.retention")

PURGE_INTERVAL_S = 24 * 3600.0


def cutoff(retention_days: int, now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)) - timedelta(days=retention_days)


async def purge_daily(interception_log: InterceptionLog, retention_days: int,
                      stop: asyncio.Event, interval_s: float = PURGE_INTERVAL_S) -> None:
    """Purge now, then every `interval_s`, until `stop` is set. A failed purge (database down)
    is logged and retried at the next interval: retention must never take the gateway down."""
    while not stop.is_set():
        try:
            deleted = await interception_log.purge(cutoff(retention_days))
            log.info("retention: purged %d records older than %d days", deleted,
                     retention_days)
        except StoreError:
            log.exception("retention purge failed; retrying in %.0f s", interval_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)

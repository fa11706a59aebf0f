"""Repeat-offence counters: how many counted messages a sender had within a sliding window.

`LocalOffenceCounter` is the embedded default (one process); a Redis implementation shares the
counts between gateway nodes. Both take the time as an argument, so tests control the clock.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol


class OffenceCounter(Protocol):
    async def hit(self, key: str, now: float, window_s: float) -> int:
        """Record one offence at `now` (seconds) and return the offences within the last
        `window_s` seconds, this one included."""
        ...

    async def restore(self, key: str, offences: dict[str, float], window_s: float) -> None:
        """Put back offences known from elsewhere (origin id → time, e.g. interception records
        after Redis lost its data); restoring the same origin twice counts it once."""
        ...


class LocalOffenceCounter:
    def __init__(self, max_keys: int = 100_000) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._windows: dict[str, float] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, now: float, window_s: float) -> int:
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self._max_keys:
                self._forget_stale(now)
            hits = self._hits[key] = deque()
        self._windows[key] = window_s
        hits.append(now)
        while hits and hits[0] <= now - window_s:
            hits.popleft()
        return len(hits)

    async def restore(self, key: str, offences: dict[str, float], window_s: float) -> None:
        """One process: nothing is ever lost, so there is nothing to put back."""

    def _forget_stale(self, now: float) -> None:
        # Bounded memory: a sender whose newest offence left its window holds no count.
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self._windows[k]]:
            del self._hits[key]
            del self._windows[key]

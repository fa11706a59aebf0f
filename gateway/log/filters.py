"""What `query`, `stats`, `export` and `purge` select, and the opaque pagination cursor.

A `LogFilter` is a conjunction: every field that is set must hold. `scoped_to(shops)` is how an
API confines a caller to its own shops: it intersects, so a caller can narrow but never widen.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from classifiers.tiers import Tier
from gateway.log.errors import InvalidCursor
from gateway.log.records import Outcome, ReviewState, utc

_CURSOR_VERSION = 1


@dataclass(frozen=True, slots=True)
class LogFilter:
    since: datetime | None = None               # inclusive
    until: datetime | None = None               # exclusive
    shops: frozenset[str] | None = None
    users: frozenset[str] | None = None
    tiers: frozenset[Tier] | None = None
    category: str | None = None
    outcomes: frozenset[Outcome] | None = None
    review_states: frozenset[ReviewState] | None = None
    appealed_only: bool = False
    text_contains: str | None = None            # case-insensitive, on the original text

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, utc(value))
        for name, kind in (("tiers", Tier), ("outcomes", Outcome),
                           ("review_states", ReviewState)):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, frozenset(kind(v) for v in value))
        for name in ("shops", "users"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, frozenset(value))

    def scoped_to(self, shops: Iterable[str]) -> LogFilter:
        """This filter confined to `shops` (an empty intersection selects nothing)."""
        allowed = frozenset(shops)
        return replace(self, shops=allowed if self.shops is None else self.shops & allowed)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Position after the last record of a page: pages are ordered by (time, id) descending."""

    time: datetime
    id: str

    def encode(self) -> str:
        raw = json.dumps([_CURSOR_VERSION, self.time.isoformat(), self.id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            version, time, record_id = json.loads(raw)
            if version != _CURSOR_VERSION or not isinstance(record_id, str):
                raise ValueError(version)
            return cls(utc(datetime.fromisoformat(time)), record_id)
        # RecursionError: deeply nested JSON; OverflowError: a time whose UTC is out of range
        except (binascii.Error, ValueError, TypeError, RecursionError, OverflowError) as exc:
            raise InvalidCursor(
                f"不是本日志的分页游标：{text[:40]}") from exc

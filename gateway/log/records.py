"""What the interception log stores: one `InterceptionRecord` per scored shop-side message that
the policy acted on, the `OutcomeChange`s that follow it (held → edited, delivered →
acknowledged, …) and the human `Review` of it.

Records are immutable values; the store owns their later state (outcome, appeal, review) and
hands back a fresh record from `get`/`query`. Every datetime is timezone-aware UTC: a naive one is
refused here rather than guessed at.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from classifiers.results import Role, Verdict
from classifiers.tiers import Tier


class Outcome(StrEnum):
    """What happened to the message after the verdict."""

    DELIVERED = "delivered"        # went out as written (notice, or no hold)
    HELD = "held"                  # waiting for the agent (suggest/force edit, block)
    OVERRIDDEN = "overridden"      # the agent sent it anyway after a suggest-edit
    EDITED = "edited"              # the agent rewrote it and the rewrite passed
    BLOCKED = "blocked"            # never delivered
    ACKNOWLEDGED = "acknowledged"  # the agent acknowledged a block-with-warning
    ROUTED = "routed"              # handed to a human supervisor
    UNSCORED = "unscored"          # the scorer failed or timed out; delivered unscored
    EXPIRED = "expired"            # the agent never acted on the hold
    UNDELIVERED = "undelivered"    # was to go out, but delivery failed; the sender was refused


class ReviewState(StrEnum):
    UNREVIEWED = "unreviewed"
    CONFIRMED = "confirmed"
    FALSE_POSITIVE = "false-positive"


def new_record_id() -> str:
    """The id a caller assigns before appending, so it can reference the record at once."""
    return uuid.uuid4().hex


def utc(value: datetime) -> datetime:
    """`value` in UTC; naive datetimes are refused, since their zone is a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()}: interception times must be aware")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ContextMessage:
    """One message that preceded the intercepted one in the conversation."""

    role: Role
    user: str
    text: str
    time: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))
        object.__setattr__(self, "time", utc(self.time))

    def to_dict(self) -> dict[str, str]:
        return {"from": str(self.role), "user": self.user, "text": self.text,
                "time": self.time.isoformat()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ContextMessage:
        return cls(Role(data["from"]), str(data["user"]), str(data["text"]),
                   datetime.fromisoformat(data["time"]))


@dataclass(frozen=True, slots=True)
class Appeal:
    """The agent disputes the interception; appealed records come first in the review queue.
    Every appeal is kept, in order; an empty note is no note (None)."""

    record_id: str
    note: str | None
    time: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        object.__setattr__(self, "note", self.note or None)
        object.__setattr__(self, "time", utc(self.time))

    def to_dict(self) -> dict[str, Any]:
        return {"note": self.note, "time": self.time.isoformat()}


@dataclass(frozen=True, slots=True)
class InterceptionRecord:
    id: str
    time: datetime
    shop: str
    user: str                        # the agent's (or bot's) user id
    conversation: str
    role: Role
    text: str                        # as the agent wrote it
    normalized: str
    tier: Tier
    rule: str | None
    reason: str | None
    categories: tuple[str, ...]
    matches: tuple[dict[str, Any], ...]     # Match.to_dict() each
    tone: dict[str, Any] | None             # ToneScores.to_dict(), absent without a tone model
    version: str                            # policy version that decided
    outcome: Outcome
    buyer: str | None = None                # HMAC of the buyer id when hashing is on
    context: tuple[ContextMessage, ...] = ()
    appealed_at: datetime | None = None     # the first appeal
    appeals: tuple[Appeal, ...] = ()        # every appeal, oldest first
    review_state: ReviewState = ReviewState.UNREVIEWED
    review_note: str | None = None
    reviewer: str | None = None
    reviewed_at: datetime | None = None
    # The repeat-offence rule (policy `escalation:` id) that raised the tier above the rule's.
    escalation: str | None = None
    # A buyer record's IntentScores.to_dict() (why it was routed); None for shop-side records.
    intent: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not self.id or len(self.id) > 64:
            raise ValueError(f"record id must be 1-64 characters, got {self.id!r}")
        object.__setattr__(self, "time", utc(self.time))
        object.__setattr__(self, "role", Role(self.role))
        object.__setattr__(self, "tier", Tier(self.tier))
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        object.__setattr__(self, "review_state", ReviewState(self.review_state))
        object.__setattr__(self, "categories", tuple(self.categories))
        object.__setattr__(self, "matches", tuple(self.matches))
        object.__setattr__(self, "context", tuple(self.context))
        object.__setattr__(self, "appeals", tuple(self.appeals))
        for name in ("appealed_at", "reviewed_at"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, utc(value))

    @property
    def answered(self) -> str | None:
        """The message just before this one when it was the buyer's: what a shop-side reply
        answered, as the gateway scored it (the context a replay scores it against)."""
        last = self.context[-1] if self.context else None
        return last.text if last is not None and last.role is Role.BUYER else None

    @property
    def appealed(self) -> bool:
        return self.appealed_at is not None

    @property
    def appeal_note(self) -> str | None:
        """The latest note an appeal gave (an appeal without one does not blank it)."""
        return next((a.note for a in reversed(self.appeals) if a.note is not None), None)

    @classmethod
    def from_verdict(cls, verdict: Verdict, *, id: str, shop: str, user: str,
                     conversation: str, buyer: str | None, outcome: Outcome,
                     context: Iterable[ContextMessage] = (),
                     time: datetime | None = None) -> InterceptionRecord:
        return cls(
            id=id, time=time or datetime.now(UTC), shop=shop, user=user,
            conversation=conversation, role=verdict.role, text=verdict.text,
            normalized=verdict.normalized, tier=verdict.tier, rule=verdict.rule,
            escalation=verdict.escalation, reason=verdict.reason, categories=verdict.categories,
            matches=tuple(m.to_dict() for m in verdict.matches),
            tone=verdict.tone.to_dict() if verdict.tone is not None else None,
            intent=verdict.intent.to_dict() if verdict.intent is not None else None,
            version=verdict.version, outcome=outcome, buyer=buyer, context=tuple(context))

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a record (export, API)."""
        return {
            "id": self.id, "time": self.time.isoformat(), "shop": self.shop, "user": self.user,
            "conversation": self.conversation, "from": str(self.role), "text": self.text,
            "normalized": self.normalized, "tier": str(self.tier), "rule": self.rule,
            "escalation": self.escalation,
            "reason": self.reason, "categories": list(self.categories),
            "matches": list(self.matches), "tone": self.tone, "intent": self.intent,
            "version": self.version,
            "outcome": str(self.outcome), "buyer": self.buyer,
            "context": [c.to_dict() for c in self.context],
            "appeal_note": self.appeal_note, "appealed_at": _iso(self.appealed_at),
            "appeals": [a.to_dict() for a in self.appeals],
            "review_state": str(self.review_state), "review_note": self.review_note,
            "reviewer": self.reviewer, "reviewed_at": _iso(self.reviewed_at),
        }


@dataclass(frozen=True, slots=True)
class OutcomeChange:
    record_id: str
    outcome: Outcome
    time: datetime
    detail: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        object.__setattr__(self, "time", utc(self.time))


@dataclass(frozen=True, slots=True)
class Review:
    record_id: str
    state: ReviewState
    note: str | None
    reviewer: str
    time: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", ReviewState(self.state))
        object.__setattr__(self, "time", utc(self.time))
        if self.state is ReviewState.UNREVIEWED:
            raise ValueError("a review must confirm or reject the interception")


@dataclass(frozen=True, slots=True)
class Page:
    """One page of `query`, newest first; `next_cursor` is None on the last page."""

    items: Sequence[InterceptionRecord]
    next_cursor: str | None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None

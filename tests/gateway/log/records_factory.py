"""Hand-built interception records for the log tests: every field set, each overridable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from classifiers.results import Role
from classifiers.tiers import Tier
from gateway.log import ContextMessage, InterceptionRecord, Outcome, new_record_id

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def make_record(**overrides: Any) -> InterceptionRecord:
    fields: dict[str, Any] = {
        "id": new_record_id(), "time": T0, "shop": "shop-a", "user": "agent-1",
        "conversation": "conv-1", "role": Role.AGENT, "text": "亲，加我微信聊",
        "normalized": "亲,加我微信聊", "tier": Tier.BLOCK, "rule": "off-platform",
        "reason": "off-platform contact", "categories": ("off_platform",),
        "matches": ({"term": "微信", "category": "off_platform", "severity": 3, "start": 4,
                     "end": 6, "text": "微信", "mode": "substring", "view": "base",
                     "trace": [], "evasion": False},),
        "tone": {"label": "neutral", "scores": {"neutral": 0.9, "cold": 0.1}},
        "version": "policy-1", "outcome": Outcome.BLOCKED, "buyer": "buyer-9",
        "context": (ContextMessage(Role.BUYER, "buyer-9", "在吗？", T0 - timedelta(minutes=1)),),
    }
    fields.update(overrides)
    return InterceptionRecord(**fields)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)

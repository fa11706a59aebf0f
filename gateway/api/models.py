"""Response models of the log and QA APIs: the JSON shapes `/docs` shows. They mirror the
`to_dict()` of the values they wrap (record, stats, verdict), so the API, the export and the CLI
agree on one shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from classifiers.tiers import Tier
from gateway.log import Outcome, ReviewState


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class ContextMessageOut(_Out):
    sender: Literal["agent", "bot", "buyer"] = Field(alias="from")
    user: str = Field(description="user id (a buyer's is an HMAC when hashing is on)")
    text: str
    time: datetime


class AppealOut(_Out):
    note: str | None = Field(description="the agent's note; null when none was given")
    time: datetime


class RecordOut(_Out):
    id: str
    time: datetime
    shop: str
    user: str = Field(description="who wrote the message (an agent or bot; a buyer for "
                                  "route-to-human records)")
    conversation: str
    sender: Literal["agent", "bot", "buyer"] = Field(alias="from")
    text: str
    normalized: str
    tier: Tier
    rule: str | None
    escalation: str | None = Field(description="the repeat-offence rule that raised the tier "
                                               "above the rule's (docs/policy.md)")
    reason: str | None
    categories: list[str]
    matches: list[dict[str, Any]] = Field(description="Match.to_dict() each")
    tone: dict[str, Any] | None
    intent: dict[str, Any] | None = Field(
        description="a buyer record's intent scores (why it was routed); null otherwise")
    version: str = Field(description="configuration version that decided")
    outcome: Outcome
    buyer: str | None
    context: list[ContextMessageOut] = Field(
        description="the messages that preceded this one in the conversation")
    appeal_note: str | None = Field(description="the latest note given")
    appealed_at: datetime | None = Field(description="the first appeal's time")
    appeals: list[AppealOut] = Field(description="every appeal, oldest first")
    review_state: ReviewState
    review_note: str | None
    reviewer: str | None
    reviewed_at: datetime | None


class RecordPage(_Out):
    items: list[RecordOut]
    next_cursor: str | None = Field(description="pass back as `cursor`; null on the last page")


class OutcomeChangeOut(_Out):
    outcome: Outcome
    time: datetime
    detail: str | None


class RecordDetail(RecordOut):
    history: list[OutcomeChangeOut] = Field(description="every outcome, oldest first")


class ReviewQueue(_Out):
    items: list[RecordOut] = Field(description="appealed first (oldest appeal first), then "
                                               "the newest unreviewed")


class TermCount(_Out):
    term: str
    category: str
    count: int


class StatsOut(_Out):
    total: int
    by_tier: dict[str, int]
    by_category: dict[str, int]
    by_user: dict[str, int]
    by_shop: dict[str, int]
    by_day: dict[str, int] = Field(description="ISO date (UTC) → records")
    by_outcome: dict[str, int]
    notices_by_user: dict[str, int]
    notices_by_shop: dict[str, int]
    notices_by_rule: dict[str, int]
    suggest_edits: int
    overridden: int
    send_anyway_rate: float | None = Field(description="overridden / suggest-edit records")
    held: int
    edited: int
    edit_then_pass_rate: float | None = Field(description="edited / held records")
    forced_edit_mean_s: float | None = Field(description="hold → passing rewrite, force-edit")
    forced_edit_median_s: float | None
    acknowledged: int
    confirmed: int
    false_positives: int
    false_positive_rate: float | None = Field(description="false-positive / reviewed")
    appealed: int
    appealed_reviewed: int
    appeals_upheld: int
    appeal_upheld_rate: float | None
    top_terms: list[TermCount]

"""The figures behind `replyguard report` and `GET /api/stats`, over any LogFilter.

Rates are None when their denominator is zero (no suggest-edits means no send-anyway rate, not
a rate of 0). Definitions:

- send-anyway rate: suggest-edit records the agent sent unchanged (outcome `overridden`) /
  suggest-edit records;
- edit-then-pass rate: records held for an edit (suggest-edit, force-edit: a block is dropped,
  never edited into a pass) whose rewrite passed (outcome `edited`) / those records;
- per user (`by_user`, `notices_by_user`): shop-side senders only (agents and bots); a buyer's
  message is logged too (e.g. routed to a human) but counts in totals, tiers and shops only;
- false-positive rate: reviewed `false-positive` / reviewed (confirmed + false-positive);
- appeal upheld rate: appealed records reviewed as false positives / appealed records reviewed;
- time in forced edit: for force-edit records whose rewrite passed, seconds from the record
  (the hold) to its `edited` outcome change; mean and median.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.engine import Connection

from classifiers.results import Role
from classifiers.tiers import Tier
from gateway.log.filters import LogFilter
from gateway.log.queries import conditions
from gateway.log.records import Outcome, ReviewState
from gateway.log.schema import categories, outcome_changes, records

TOP_TERMS = 20
EDIT_TIERS = sorted(str(t) for t in Tier if t.awaits_edit)
SHOP_SIDE = sorted(str(role) for role in (Role.AGENT, Role.BOT))


@dataclass(frozen=True, slots=True)
class LogStats:
    total: int
    by_tier: dict[str, int]
    by_category: dict[str, int]
    by_user: dict[str, int]
    by_shop: dict[str, int]
    by_day: dict[str, int]                  # ISO date (UTC) → count
    by_outcome: dict[str, int]
    notices_by_user: dict[str, int]
    notices_by_shop: dict[str, int]
    notices_by_rule: dict[str, int]
    suggest_edits: int
    overridden: int
    held: int
    edited: int
    acknowledged: int
    confirmed: int
    false_positives: int
    appealed: int
    appealed_reviewed: int
    appeals_upheld: int
    top_terms: list[tuple[str, str, int]] = field(default_factory=list)  # term, category, n
    forced_edit_mean_s: float | None = None
    forced_edit_median_s: float | None = None

    @property
    def send_anyway_rate(self) -> float | None:
        return _rate(self.overridden, self.suggest_edits)

    @property
    def edit_then_pass_rate(self) -> float | None:
        return _rate(self.edited, self.held)

    @property
    def false_positive_rate(self) -> float | None:
        return _rate(self.false_positives, self.confirmed + self.false_positives)

    @property
    def appeal_upheld_rate(self) -> float | None:
        return _rate(self.appeals_upheld, self.appealed_reviewed)

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["top_terms"] = [{"term": t, "category": c, "count": n}
                             for t, c, n in self.top_terms]
        for name in ("send_anyway_rate", "edit_then_pass_rate", "false_positive_rate",
                     "appeal_upheld_rate"):
            data[name] = getattr(self, name)
        return data


def compute(connection: Connection, filters: LogFilter) -> LogStats:
    where = conditions(filters)
    r = records.c

    def grouped(column: Any, *extra: ColumnElement[bool]) -> dict[str, int]:
        stmt = (select(column, func.count()).where(where, *extra).group_by(column))
        return {str(key): int(n) for key, n in connection.execute(stmt) if key is not None}

    def count(*extra: ColumnElement[bool]) -> int:
        return int(connection.execute(
            select(func.count()).select_from(records).where(where, *extra)).scalar_one())

    notice = r.tier == str(Tier.NOTICE)
    shop_side = r.role.in_(SHOP_SIDE)
    reviewed = r.review_state.in_([str(ReviewState.CONFIRMED),
                                   str(ReviewState.FALSE_POSITIVE)])
    by_review = grouped(r.review_state)
    by_outcome = grouped(r.outcome)
    by_category = {str(key): int(n) for key, n in connection.execute(
        select(categories.c.category, func.count())
        .select_from(categories.join(records, records.c.id == categories.c.record_id))
        .where(where).group_by(categories.c.category))}
    return LogStats(
        total=count(),
        by_tier=grouped(r.tier), by_category=by_category,
        by_user=grouped(r.user_id, shop_side),
        by_shop=grouped(r.shop), by_day=grouped(func.date(r.time)), by_outcome=by_outcome,
        notices_by_user=grouped(r.user_id, notice, shop_side),
        notices_by_shop=grouped(r.shop, notice),
        notices_by_rule=grouped(r.rule, notice),
        suggest_edits=count(r.tier == str(Tier.SUGGEST_EDIT)),
        overridden=count(r.tier == str(Tier.SUGGEST_EDIT),
                         r.outcome == str(Outcome.OVERRIDDEN)),
        held=count(r.tier.in_(EDIT_TIERS), shop_side),
        edited=count(r.tier.in_(EDIT_TIERS), shop_side, r.outcome == str(Outcome.EDITED)),
        acknowledged=by_outcome.get(str(Outcome.ACKNOWLEDGED), 0),
        confirmed=by_review.get(str(ReviewState.CONFIRMED), 0),
        false_positives=by_review.get(str(ReviewState.FALSE_POSITIVE), 0),
        appealed=count(r.appealed_at.is_not(None)),
        appealed_reviewed=count(and_(r.appealed_at.is_not(None), reviewed)),
        appeals_upheld=count(r.appealed_at.is_not(None),
                             r.review_state == str(ReviewState.FALSE_POSITIVE)),
        top_terms=_top_terms(connection, where),
        **_forced_edit_times(connection, where))


def _top_terms(connection: Connection, where: ColumnElement[bool]) -> list[tuple[str, str, int]]:
    # matches are JSON documents; counting terms in SQL would need per-backend JSON functions,
    # and a report over a window reads each record's matches once either way
    counts: Counter[tuple[str, str]] = Counter()
    result = connection.execution_options(yield_per=2000).execute(
        select(records.c.matches).where(where))
    for (matches,) in result:
        counts.update({(m["term"], m["category"]) for m in matches})
    return [(term, category, n) for (term, category), n in counts.most_common(TOP_TERMS)]


def _forced_edit_times(connection: Connection, where: ColumnElement[bool]
                       ) -> dict[str, float | None]:
    # differences of timestamps are per-backend SQL (julianday vs epoch): subtract in Python
    stmt = (select(records.c.time, func.min(outcome_changes.c.time))
            .select_from(records.join(outcome_changes,
                                      outcome_changes.c.record_id == records.c.id))
            .where(where, records.c.tier == str(Tier.FORCE_EDIT),
                   outcome_changes.c.outcome == str(Outcome.EDITED))
            .group_by(records.c.id, records.c.time))
    seconds = [(edited - held).total_seconds() for held, edited in connection.execute(stmt)]
    if not seconds:
        return {"forced_edit_mean_s": None, "forced_edit_median_s": None}
    return {"forced_edit_mean_s": statistics.fmean(seconds),
            "forced_edit_median_s": statistics.median(seconds)}


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None

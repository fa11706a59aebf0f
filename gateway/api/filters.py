"""Query parameters → `LogFilter`, always confined to the caller's shops.

Every endpoint that reads interception records takes its filter from `SupervisorFilter` or
`QAFilter`, never builds one itself: the scoping rule lives here once. A caller whose token names
one shop sees that shop only (asking for another is 403); a token for shop `*` sees every shop.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query
from pydantic import AfterValidator, AwareDatetime

from classifiers.contacts import CATEGORY as CONTACT_CATEGORY
from classifiers.tiers import Tier
from gateway.api.deps import GatewayDep, RequireQA, RequireSupervisor
from gateway.auth import Principal
from gateway.errors import Forbidden, InvalidRequest
from gateway.log import LogFilter, Outcome, ReviewState
from gateway.storable import StorableStr

MAX_TEXT_FILTER = 200


def _in_utc(value: datetime) -> datetime:
    # 0001-01-01T00:00+14:00 is a valid ISO date whose UTC instant is before year 1
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("时间超出可表示的范围（换算为 UTC 后早于公元 1 年或晚于 9999 年）"
                         ) from None


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]


def record_filter(
    gateway: GatewayDep,
    since: Annotated[UtcDatetime | None, Query(
        description="records at or after this time (ISO 8601 with a zone)")] = None,
    until: Annotated[UtcDatetime | None, Query(description="records before this time")] = None,
    shop: Annotated[list[StorableStr] | None, Query(
        description="repeatable; within your shops")] = None,
    agent: Annotated[list[StorableStr] | None, Query(
        description="agent/bot user id; repeatable")] = None,
    tier: Annotated[list[Tier] | None, Query(description="repeatable")] = None,
    category: Annotated[StorableStr | None, Query(
        description="a category of the running configuration, e.g. off_platform")] = None,
    outcome: Annotated[list[Outcome] | None, Query(description="repeatable")] = None,
    review: Annotated[list[ReviewState] | None, Query(
        description="review state: unreviewed, confirmed, false-positive; repeatable")] = None,
    appealed: Annotated[bool, Query(description="only records the agent appealed")] = False,
    text: Annotated[StorableStr | None, Query(
        max_length=MAX_TEXT_FILTER, description="the message contains this (any case)")] = None,
) -> LogFilter:
    if since is not None and until is not None and since >= until:
        raise InvalidRequest("since 必须早于 until")
    if category:
        # like a bad tier or outcome: a typo answers 422, not an empty list that looks like
        # "no such records"
        known = sorted({*gateway.live.current.lexicon.categories, CONTACT_CATEGORY})
        if category not in known:
            raise InvalidRequest(f"未知的类别 {category}；可用：{'、'.join(known)}")
    return LogFilter(
        since=since, until=until, shops=frozenset(shop) if shop else None,
        users=frozenset(agent) if agent else None, tiers=frozenset(tier) if tier else None,
        category=category or None, outcomes=frozenset(outcome) if outcome else None,
        review_states=frozenset(review) if review else None, appealed_only=appealed,
        text_contains=text or None)


RecordFilter = Annotated[LogFilter, Depends(record_filter)]


def scoped(filters: LogFilter, user: Principal) -> LogFilter:
    """`filters` confined to `user`'s shops; naming a shop outside them is refused."""
    allowed = user.shops
    if allowed is None:
        return filters
    if filters.shops is not None and not filters.shops <= allowed:
        raise Forbidden("不能查看其他店铺的拦截记录")
    return filters.scoped_to(allowed)


def supervisor_filter(filters: RecordFilter, user: RequireSupervisor) -> LogFilter:
    return scoped(filters, user)


def qa_filter(filters: RecordFilter, user: RequireQA) -> LogFilter:
    return scoped(filters, user)


SupervisorFilter = Annotated[LogFilter, Depends(supervisor_filter)]
QAFilter = Annotated[LogFilter, Depends(qa_filter)]

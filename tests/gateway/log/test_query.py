"""Filtered listing and keyset pagination, on both backends."""

from __future__ import annotations

import asyncio

import pytest

from classifiers.tiers import Tier
from gateway.log import (
    InterceptionRecord,
    InvalidCursor,
    LogFilter,
    Outcome,
    ReviewState,
    SqlInterceptionLog,
)
from tests.gateway.log.records_factory import at, make_record

pytestmark = pytest.mark.anyio


async def fill(log: SqlInterceptionLog) -> list[InterceptionRecord]:
    """Twelve records, one distinguishing trait each, a minute apart (index = minute)."""
    records = [
        make_record(time=at(0)),
        make_record(time=at(1), shop="shop-b"),
        make_record(time=at(2), user="agent-2"),
        make_record(time=at(3), tier=Tier.NOTICE, rule="perfunctory",
                    categories=("perfunctory",), outcome=Outcome.DELIVERED),
        make_record(time=at(4), categories=("abuse", "sarcasm")),
        make_record(time=at(5), outcome=Outcome.ACKNOWLEDGED),
        make_record(time=at(6), text="你是 SB 吧"),
        make_record(time=at(7), text="100%_折扣"),
        make_record(time=at(8)),
        make_record(time=at(9)),
        make_record(time=at(10), shop="shop-c", categories=("cold",)),
        make_record(time=at(11)),
    ]
    for record in records:
        await log.append(record, durable=False)
    await log.appeal(records[8].id, "误判")
    await log.review(records[9].id, ReviewState.CONFIRMED, None, "qa")
    await log.flush()
    return records


async def ids(log: SqlInterceptionLog, filters: LogFilter) -> list[int]:
    """Minutes of the selected records (their index in `fill`), newest first."""
    page = await log.query(filters, limit=100)
    return [int((r.time - at(0)).total_seconds() // 60) for r in page.items]


async def test_every_filter_selects_exactly_its_records(
        interception_log: SqlInterceptionLog) -> None:
    await fill(interception_log)
    log = interception_log
    assert await ids(log, LogFilter()) == list(range(11, -1, -1))
    assert await ids(log, LogFilter(since=at(9))) == [11, 10, 9]
    assert await ids(log, LogFilter(until=at(2))) == [1, 0]
    assert await ids(log, LogFilter(since=at(3), until=at(5))) == [4, 3]
    assert await ids(log, LogFilter(shops=frozenset({"shop-b"}))) == [1]
    assert await ids(log, LogFilter(shops=frozenset({"shop-b", "shop-c"}))) == [10, 1]
    assert await ids(log, LogFilter(users=frozenset({"agent-2"}))) == [2]
    assert await ids(log, LogFilter(tiers=frozenset({Tier.NOTICE}))) == [3]
    assert await ids(log, LogFilter(category="sarcasm")) == [4]
    assert await ids(log, LogFilter(category="abuse", since=at(4), until=at(5))) == [4]
    assert await ids(log, LogFilter(category="off_platform", shops=frozenset({"shop-b"}))
                     ) == [1]
    assert await ids(log, LogFilter(outcomes=frozenset({Outcome.ACKNOWLEDGED,
                                                        Outcome.DELIVERED}))) == [5, 3]
    assert await ids(log, LogFilter(review_states=frozenset({ReviewState.CONFIRMED}))) == [9]
    assert await ids(log, LogFilter(appealed_only=True)) == [8]
    assert await ids(log, LogFilter(text_contains="sb")) == [6]  # case-insensitive
    assert await ids(log, LogFilter(text_contains="%_")) == [7]  # wildcards are literal
    assert await ids(log, LogFilter(text_contains="加我微信")) == [
        m for m in range(11, -1, -1) if m not in (6, 7)]
    assert await ids(log, LogFilter(shops=frozenset())) == []


async def test_pages_cover_everything_once_in_order(
        interception_log: SqlInterceptionLog) -> None:
    # equal times, so the id is the tie-breaker the cursor must respect
    records = [make_record(time=at(i // 3)) for i in range(50)]
    for record in records:
        await interception_log.append(record, durable=False)
    await interception_log.flush()
    for filters in (LogFilter(), LogFilter(category="off_platform")):
        seen: list[InterceptionRecord] = []
        cursor: str | None = None
        while True:
            page = await interception_log.query(filters, cursor, limit=7)
            seen += page.items
            if page.next_cursor is None:
                break
            assert len(page.items) == 7
            cursor = page.next_cursor
        expected = sorted(records, key=lambda r: (r.time, r.id), reverse=True)
        assert [r.id for r in seen] == [r.id for r in expected]


async def test_pagination_is_stable_while_new_records_arrive(
        interception_log: SqlInterceptionLog) -> None:
    before = [make_record(time=at(i)) for i in range(40)]
    for record in before:
        await interception_log.append(record, durable=True)

    async def arrive() -> None:
        for i in range(40):
            await interception_log.append(make_record(time=at(100 + i)), durable=i % 2 == 0)
            await asyncio.sleep(0)

    arrivals = asyncio.ensure_future(arrive())
    seen: list[str] = []
    page = await interception_log.query(LogFilter(until=at(100)), limit=6)
    seen += [r.id for r in page.items]
    while page.next_cursor is not None:
        page = await interception_log.query(LogFilter(), page.next_cursor, limit=6)
        seen += [r.id for r in page.items]
    await arrivals
    assert seen == [r.id for r in reversed(before)]


async def test_bad_cursors_and_limits_are_refused(
        interception_log: SqlInterceptionLog) -> None:
    with pytest.raises(InvalidCursor):
        await interception_log.query(LogFilter(), "not-a-cursor")
    with pytest.raises(ValueError):
        await interception_log.query(LogFilter(), limit=0)


async def test_text_search_rare_common_and_after_purge(
        interception_log: SqlInterceptionLog, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same answers whether the trigram index (SQLite) drives the search or not: a rare
    needle, one too common for the index, quotes, short needles, and records purged."""
    log = interception_log
    texts = ["亲，退货地址已经发您了"] + ["亲，加我微信聊"] * 6 + ['他说"好评返现"了', "退货"]
    for minute, text in enumerate(texts):
        await log.append(make_record(time=at(minute), text=text), durable=False)
    await log.flush()
    assert await ids(log, LogFilter(text_contains="退货地址")) == [0]
    assert await ids(log, LogFilter(text_contains='"好评返现"')) == [7]
    assert await ids(log, LogFilter(text_contains="退货")) == [8, 0]        # < 3 characters
    assert await ids(log, LogFilter(text_contains="加我微信")) == [6, 5, 4, 3, 2, 1]
    monkeypatch.setattr("gateway.log.queries.FTS_CANDIDATES", 3)        # now "too common"
    assert await ids(log, LogFilter(text_contains="加我微信")) == [6, 5, 4, 3, 2, 1]
    assert await ids(log, LogFilter(text_contains="退货地址", shops=frozenset({"shop-a"}))
                     ) == [0]
    assert await log.purge(at(1)) == 1
    assert await ids(log, LogFilter(text_contains="退货地址")) == []
    await log.append(make_record(time=at(9), text="新的退货地址"), durable=True)
    assert await ids(log, LogFilter(text_contains="退货地址")) == [9]

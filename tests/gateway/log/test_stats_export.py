"""Report figures on a hand-built log, and exports that round-trip (Chinese included)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from classifiers.results import Role
from classifiers.tiers import Tier
from gateway.log import InterceptionRecord, LogFilter, Outcome, ReviewState, SqlInterceptionLog
from gateway.log.export import CSV_COLUMNS
from tests.gateway.log.records_factory import at, make_record

pytestmark = pytest.mark.anyio


def match(term: str, category: str) -> dict[str, object]:
    return {"term": term, "category": category, "severity": 2, "start": 0, "end": len(term),
            "text": term, "mode": "substring", "view": "base", "trace": [], "evasion": False}


def build() -> list[InterceptionRecord]:
    cold = {"categories": ("cold",), "matches": (match("爱买不买", "cold"),)}
    notice = {"tier": Tier.NOTICE, "rule": "perfunctory", "outcome": Outcome.DELIVERED,
              "categories": ("perfunctory",), "matches": (match("嗯", "perfunctory"),)}
    day2 = timedelta(days=1)
    return [
        make_record(time=at(0), tier=Tier.SUGGEST_EDIT, outcome=Outcome.OVERRIDDEN, **cold),
        make_record(time=at(1), tier=Tier.SUGGEST_EDIT, outcome=Outcome.EDITED, **cold),
        make_record(time=at(2), tier=Tier.SUGGEST_EDIT, outcome=Outcome.HELD, **cold),
        make_record(time=at(3), tier=Tier.SUGGEST_EDIT, outcome=Outcome.EXPIRED, **cold),
        make_record(time=at(4), tier=Tier.FORCE_EDIT, outcome=Outcome.EDITED,
                    categories=("sarcasm", "cold"),
                    matches=(match("呵呵", "sarcasm"), match("爱买不买", "cold"))),
        make_record(time=at(5), tier=Tier.FORCE_EDIT, outcome=Outcome.EXPIRED,
                    categories=("sarcasm",), matches=(match("呵呵", "sarcasm"),)),
        make_record(time=at(6)),                                  # block, 微信
        make_record(time=at(7), user="agent-2"),                  # block, 微信
        make_record(time=at(8), tier=Tier.BLOCK_WITH_WARNING, outcome=Outcome.ACKNOWLEDGED,
                    rule="abuse", categories=("abuse",), matches=(match("傻逼", "abuse"),)),
        make_record(time=at(9) + day2, **notice),
        make_record(time=at(10) + day2, **notice),
        make_record(time=at(11) + day2, user="agent-2", shop="shop-b", **notice),
        make_record(time=at(12) + day2, tier=Tier.ROUTE_TO_HUMAN, outcome=Outcome.ROUTED,
                    rule="escalation", categories=("escalation",),
                    matches=(match("投诉", "escalation"),)),
        # a buyer's message is logged too (routed, never held) but its sender is no agent
        make_record(time=at(13) + day2, role=Role.BUYER, user="buyer-9",
                    tier=Tier.ROUTE_TO_HUMAN, outcome=Outcome.ROUTED, rule="escalation",
                    categories=("escalation",), matches=(match("我要投诉", "escalation"),)),
    ]


async def stored(log: SqlInterceptionLog) -> list[InterceptionRecord]:
    records = build()
    for record in records:
        await log.append(record, durable=False)
    await log.review(records[6].id, ReviewState.CONFIRMED, None, "qa")
    await log.review(records[7].id, ReviewState.CONFIRMED, None, "qa")
    await log.review(records[8].id, ReviewState.FALSE_POSITIVE, "在说产品名", "qa")
    await log.appeal(records[8].id, "不是骂人")
    await log.appeal(records[5].id, "只是语气词")
    return records


async def test_stats_on_a_hand_built_log(interception_log: SqlInterceptionLog) -> None:
    await stored(interception_log)
    stats = await interception_log.stats(LogFilter())
    assert stats.total == 14
    assert stats.by_tier == {"suggest-edit": 4, "force-edit": 2, "block": 2,
                             "block-with-warning": 1, "notice": 3, "route-to-human": 2}
    assert stats.by_category == {"cold": 5, "sarcasm": 2, "off_platform": 2, "abuse": 1,
                                 "perfunctory": 3, "escalation": 2}
    assert stats.by_user == {"agent-1": 11, "agent-2": 2}         # agents only, no buyer
    assert stats.by_day == {"2025-03-01": 9, "2025-03-02": 5}
    assert stats.notices_by_user == {"agent-1": 2, "agent-2": 1}
    assert stats.notices_by_shop == {"shop-a": 2, "shop-b": 1}
    assert stats.notices_by_rule == {"perfunctory": 3}
    assert (stats.suggest_edits, stats.overridden, stats.send_anyway_rate) == (4, 1, 0.25)
    # held for an edit: suggest-edit and force-edit; a block is never edited into a pass
    assert (stats.held, stats.edited) == (6, 2)
    assert stats.edit_then_pass_rate == pytest.approx(2 / 6)
    assert stats.acknowledged == 1
    assert (stats.confirmed, stats.false_positives) == (2, 1)
    assert stats.false_positive_rate == pytest.approx(1 / 3)
    assert (stats.appealed, stats.appealed_reviewed, stats.appeals_upheld) == (2, 1, 1)
    assert stats.appeal_upheld_rate == 1.0
    assert stats.top_terms[:3] == [("爱买不买", "cold", 5), ("嗯", "perfunctory", 3),
                                   ("呵呵", "sarcasm", 2)]
    json.dumps(stats.to_dict())  # the --json report shape serialises

    day_two = await interception_log.stats(LogFilter(since=at(0) + timedelta(days=1)))
    assert (day_two.total, day_two.suggest_edits, day_two.send_anyway_rate) == (5, 0, None)
    cold = await interception_log.stats(LogFilter(category="cold"))
    assert (cold.total, cold.by_category["sarcasm"]) == (5, 1)


async def test_exports_round_trip_every_record(interception_log: SqlInterceptionLog) -> None:
    records = await stored(interception_log)
    await interception_log.flush()
    lines = [line async for line in interception_log.export(LogFilter(), "jsonl")]
    exported = [json.loads(line) for line in lines]
    current = [await interception_log.get(r.id) for r in reversed(records)]
    assert exported == [r.to_dict() for r in current if r is not None]
    assert "爱买不买" in lines[-1]  # UTF-8, not \\u escapes

    text = "".join([line async for line in interception_log.export(LogFilter(), "csv")])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == len(records)
    assert [row["id"] for row in rows] == [r.id for r in reversed(records)]
    assert rows[-1]["text"] == records[0].text == "亲，加我微信聊"
    assert json.loads(rows[-1]["matches"]) == list(records[0].matches)
    reviewed = {row["id"]: row for row in rows}[records[8].id]
    assert reviewed["review_note"] == "在说产品名"
    assert [a["note"] for a in json.loads(reviewed["appeals"])] == ["不是骂人"]


async def test_export_pages_through_large_selections(
        interception_log: SqlInterceptionLog) -> None:
    for i in range(2100):
        await interception_log.append(make_record(time=at(i)), durable=False)
    await interception_log.flush()
    lines = [line async for line in interception_log.export(
        LogFilter(category="off_platform"), "jsonl")]
    assert len(lines) == len({json.loads(line)["id"] for line in lines}) == 2100


async def test_stats_time_in_forced_edit(interception_log: SqlInterceptionLog) -> None:
    now = datetime.now(UTC)
    held = [make_record(time=now - timedelta(seconds=s), tier=Tier.FORCE_EDIT,
                        outcome=Outcome.HELD) for s in (30, 60, 120)]
    for record in held:
        await interception_log.append(record, durable=True)
    for record in held[:2]:  # the third is never edited: it does not count
        await interception_log.update_outcome(record.id, Outcome.EDITED, "rewrite passed")
    stats = await interception_log.stats(LogFilter())
    assert stats.forced_edit_mean_s == pytest.approx(45, abs=5)
    assert stats.forced_edit_median_s == pytest.approx(45, abs=5)
    assert (await interception_log.stats(LogFilter(users=frozenset({"x"})))
            ).forced_edit_mean_s is None

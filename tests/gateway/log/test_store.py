"""The log store on both backends: appends, outcome history, appeals, reviews, scoping,
privacy and retention. Every test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from pathlib import Path

import pytest

from classifiers.results import Role
from classifiers.tiers import Tier
from gateway.log import (
    LogFilter,
    Outcome,
    RecordConflict,
    RecordNotFound,
    ReviewState,
    SqlInterceptionLog,
    ValueRejected,
    open_log,
)
from tests.gateway.log.records_factory import at, make_record

pytestmark = pytest.mark.anyio


async def test_a_durable_append_is_readable_as_soon_as_it_returns(
        interception_log: SqlInterceptionLog) -> None:
    record = make_record()
    await interception_log.append(record, durable=True)
    assert await interception_log.get(record.id) == record


async def test_the_escalation_that_raised_a_tier_is_stored(
        interception_log: SqlInterceptionLog) -> None:
    record = make_record(tier=Tier.BLOCK_WITH_WARNING, escalation="repeat-diversion")
    await interception_log.append(record, durable=True)
    stored = await interception_log.get(record.id)
    assert stored == record and stored.escalation == "repeat-diversion"


async def test_a_routed_buyer_record_keeps_the_intent_scores_that_routed_it(
        interception_log: SqlInterceptionLog) -> None:
    intent = {"label": "wants_human", "scores": {"wants_human": 0.97, "complaint": 0.01,
                                                 "anger": 0.01, "ordinary": 0.01}}
    record = make_record(role=Role.BUYER, user="buyer-9", text="转人工！！", normalized="转人工!!",
                         tier=Tier.ROUTE_TO_HUMAN, rule="buyer-intent", categories=(),
                         matches=(), tone=None, intent=intent, outcome=Outcome.ROUTED)
    await interception_log.append(record, durable=True)
    stored = await interception_log.get(record.id)
    assert stored == record and stored.intent == intent
    assert stored.to_dict()["intent"] == intent


async def test_batched_appends_are_all_written_by_flush(
        interception_log: SqlInterceptionLog) -> None:
    batch = [make_record(time=at(i), text=f"第{i}条 消息") for i in range(300)]
    for record in batch:
        await interception_log.append(record, durable=False)
    await interception_log.flush()
    page = await interception_log.query(LogFilter(), limit=1000)
    assert [r.id for r in page.items] == [r.id for r in reversed(batch)]
    assert page.items[0] == batch[-1]


async def test_a_duplicate_id_is_a_conflict_and_spares_its_batch(
        interception_log: SqlInterceptionLog) -> None:
    first = make_record()
    await interception_log.append(first, durable=True)
    neighbours = [make_record(time=at(i)) for i in range(1, 4)]
    await interception_log.append(neighbours[0], durable=False)
    with pytest.raises(RecordConflict):
        await interception_log.append(make_record(id=first.id, text="另一条"), durable=True)
    for record in neighbours[1:]:
        await interception_log.append(record, durable=False)
    await interception_log.flush()
    assert (await interception_log.get(first.id)) == first
    for record in neighbours:
        assert await interception_log.get(record.id) == record


async def test_outcome_changes_are_kept_in_order(interception_log: SqlInterceptionLog) -> None:
    record = make_record(tier=Tier.SUGGEST_EDIT, outcome=Outcome.HELD)
    await interception_log.append(record, durable=False)  # the update queues behind it
    await interception_log.update_outcome(record.id, Outcome.EDITED, "rewrote the reply")
    stored = await interception_log.get(record.id)
    assert stored is not None and stored.outcome is Outcome.EDITED
    history = await interception_log.history(record.id)
    assert [(c.outcome, c.detail) for c in history] == [
        (Outcome.HELD, None), (Outcome.EDITED, "rewrote the reply")]
    assert history[0].time == record.time and history[1].time >= history[0].time


async def test_changing_an_unknown_record_is_not_found(
        interception_log: SqlInterceptionLog) -> None:
    with pytest.raises(RecordNotFound):
        await interception_log.update_outcome("nope", Outcome.EDITED)
    with pytest.raises(RecordNotFound):
        await interception_log.appeal("nope", "误判")
    with pytest.raises(RecordNotFound):
        await interception_log.review("nope", ReviewState.CONFIRMED, None, "qa")
    with pytest.raises(RecordNotFound):
        await interception_log.history("nope")
    assert await interception_log.get("nope") is None


async def test_appeal_and_review_are_stored_and_drive_the_queue(
        interception_log: SqlInterceptionLog) -> None:
    old, middle, new, done = (make_record(time=at(i)) for i in range(4))
    for record in (old, middle, new, done):
        await interception_log.append(record, durable=True)
    await interception_log.appeal(old.id, "顾客自己要的微信，不是我拉的")
    await interception_log.review(done.id, ReviewState.FALSE_POSITIVE, "product name", "qa-1")

    appealed = await interception_log.get(old.id)
    assert appealed is not None and appealed.appealed
    assert appealed.appeal_note == "顾客自己要的微信，不是我拉的"
    reviewed = await interception_log.get(done.id)
    assert reviewed is not None
    assert (reviewed.review_state, reviewed.review_note, reviewed.reviewer) == (
        ReviewState.FALSE_POSITIVE, "product name", "qa-1")
    assert reviewed.reviewed_at is not None

    queue = await interception_log.review_queue(LogFilter())
    assert [r.id for r in queue] == [old.id, new.id, middle.id]
    assert [r.id for r in await interception_log.review_queue(LogFilter(), limit=2)] == [
        old.id, new.id]


async def test_every_appeal_is_kept_and_the_first_keeps_the_queue_place(
        interception_log: SqlInterceptionLog) -> None:
    first, second = make_record(time=at(0)), make_record(time=at(1))
    for appended in (first, second):
        await interception_log.append(appended, durable=True)
    await interception_log.appeal(first.id, "顾客自己要的")
    await interception_log.appeal(second.id, "只是语气词")
    await interception_log.appeal(first.id, "")       # no note: the earlier one stays
    await interception_log.appeal(first.id, "补充：有聊天截图")
    record = await interception_log.get(first.id)
    assert record is not None
    assert [a.note for a in record.appeals] == ["顾客自己要的", None, "补充：有聊天截图"]
    assert record.appeal_note == "补充：有聊天截图"
    assert record.appealed_at == record.appeals[0].time
    assert record.to_dict()["appeals"][1] == {"note": None,
                                              "time": record.appeals[1].time.isoformat()}
    # the queue orders by the first appeal, so appealing again does not jump the queue
    assert [r.id for r in await interception_log.review_queue(LogFilter())] == [
        first.id, second.id]
    page = await interception_log.query(LogFilter(appealed_only=True))
    assert {r.id: len(r.appeals) for r in page.items} == {first.id: 3, second.id: 1}
    assert await interception_log.purge(at(5)) == 2     # appeals go with their records


async def test_a_shop_never_sees_another_shops_records(
        interception_log: SqlInterceptionLog) -> None:
    mine, theirs = make_record(shop="mine"), make_record(shop="theirs", time=at(1))
    for record in (mine, theirs):
        await interception_log.append(record, durable=True)
    scope = frozenset({"mine"})
    assert await interception_log.get(theirs.id, shops=scope) is None
    assert await interception_log.get(mine.id, shops=scope) == mine
    asked_for_theirs = LogFilter(shops=frozenset({"theirs"})).scoped_to(scope)
    assert (await interception_log.query(asked_for_theirs)).items == []
    assert [r.id for r in (await interception_log.query(LogFilter().scoped_to(scope))).items
            ] == [mine.id]
    assert [r.id for r in await interception_log.review_queue(LogFilter().scoped_to(scope))
            ] == [mine.id]
    assert (await interception_log.stats(LogFilter().scoped_to(scope))).total == 1


async def test_buyer_ids_are_stored_as_hmac_when_hashing_is_on(
        log_url: str, tmp_path: Path) -> None:
    key = b"k" * 32
    log = open_log(log_url, tmp_path, hash_buyer_ids=True, buyer_key=key)
    try:
        record = make_record(buyer="buyer-9")
        await log.append(record, durable=True)
        stored = await log.get(record.id)
    finally:
        await log.close()
    expected = hmac.new(key, b"buyer-9", hashlib.sha256).hexdigest()
    assert stored is not None and stored.buyer == expected
    [buyer_line] = stored.context
    assert buyer_line.role is Role.BUYER and buyer_line.user == expected
    assert "buyer-9" not in repr(stored)


def test_without_a_key_hashing_keeps_one_key_per_data_directory(tmp_path: Path) -> None:
    first = open_log(None, tmp_path, hash_buyer_ids=True)
    first.close_sync()
    key = (tmp_path / "buyer-hash.key").read_bytes()
    assert len(key) == 32 and (tmp_path / "buyer-hash.key").stat().st_mode & 0o077 == 0
    open_log(None, tmp_path, hash_buyer_ids=True).close_sync()
    assert (tmp_path / "buyer-hash.key").read_bytes() == key


async def test_purge_deletes_old_records_with_their_children(
        interception_log: SqlInterceptionLog) -> None:
    old = [make_record(time=at(i), categories=("abuse", "cold")) for i in range(7)]
    kept = make_record(time=at(60))
    for record in (*old, kept):
        await interception_log.append(record, durable=False)
    await interception_log.update_outcome(old[0].id, Outcome.ACKNOWLEDGED)
    assert await interception_log.purge(at(30)) == len(old)
    assert await interception_log.get(old[0].id) is None
    with pytest.raises(RecordNotFound):
        await interception_log.history(old[0].id)
    assert [r.id for r in (await interception_log.query(LogFilter(category="abuse"))).items
            ] == []
    assert (await interception_log.query(LogFilter())).items == [kept]
    assert await interception_log.purge(at(30)) == 0


def test_the_embedded_default_is_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    log = open_log(None, tmp_path / "data")
    try:
        assert log.backend == "sqlite"
        assert (tmp_path / "data" / "interceptions.sqlite3").exists()
    finally:
        log.close_sync()


def test_the_embedded_log_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    open_log(None, tmp_path).close_sync()
    files = sorted(tmp_path.glob("interceptions.sqlite3*"))
    assert files
    assert all(path.stat().st_mode & 0o077 == 0 for path in files), \
        [(p.name, oct(p.stat().st_mode)) for p in files]


@pytest.mark.issue(18)
@pytest.mark.parametrize("bad", ["申诉\x00说明", "申诉\ud800说明"], ids=["nul", "lone-surrogate"])
async def test_a_value_the_database_refuses_fails_only_its_own_write(
        interception_log: SqlInterceptionLog, bad: str) -> None:
    """One agent's unstorable appeal note shares a batch with other shops' writes: only the
    appeal fails (ValueRejected, not "log down"); every other write of the batch lands."""
    if "\x00" in bad and interception_log.backend == "sqlite":
        pytest.skip("SQLite stores NUL; only PostgreSQL refuses it")
    target = make_record(shop="shop-a")
    await interception_log.append(target, durable=True)
    durable = [make_record(shop=f"shop-{i}", time=at(i)) for i in range(60)]
    batched = [make_record(shop=f"shop-b{i}", time=at(100 + i)) for i in range(60)]
    for record in batched[:30]:
        await interception_log.append(record, durable=False)
    results = await asyncio.gather(
        *(interception_log.append(r, durable=True) for r in durable[:30]),
        interception_log.appeal(target.id, bad),
        *(interception_log.append(r, durable=True) for r in durable[30:]),
        return_exceptions=True)
    for record in batched[30:]:
        await interception_log.append(record, durable=False)
    await interception_log.flush()
    assert isinstance(results[30], ValueRejected), results[30]
    assert [r for r in results[:30] + results[31:] if r is not None] == []
    for record in durable + batched:
        assert await interception_log.get(record.id) == record
    stored = await interception_log.get(target.id)
    assert stored is not None and stored.appeal_note is None

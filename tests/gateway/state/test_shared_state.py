"""One contract for both implementations of the shared state: in-process and a real Redis."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.redisserver import RedisServer
from gateway.auth import UserRole
from gateway.errors import StateUnavailable
from gateway.state import (
    Handler,
    HeldDraft,
    HistoryEntry,
    Intercepted,
    PendingAck,
    Publication,
    SharedState,
)
from gateway.state.local_state import LocalState
from gateway.state.redis_state import RedisState


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["local", "redis"])
def make_state(request: pytest.FixtureRequest) -> Callable[[Clock], SharedState]:
    def make(clock: Clock) -> SharedState:
        if request.param == "local":
            return LocalState(clock=clock)
        url: str = request.getfixturevalue("redis_url")
        return RedisState.from_url(url, clock=clock)
    return make


def run(test: Callable[..., Any]) -> Callable[..., None]:
    """Run an async test body with a fresh state on its own loop, closing it afterwards."""
    def wrapper(make_state: Callable[[Clock], SharedState]) -> None:
        async def main() -> None:
            clock = Clock()
            state = make_state(clock)
            try:
                await test(state, clock)
            finally:
                await state.close()
        asyncio.run(main())
    wrapper.__name__ = test.__name__
    return wrapper


@run
async def test_state_presence_expires_and_offline_is_absent(state: SharedState,
                                                            clock: Clock) -> None:
    await state.set_presence("s1", "a1", UserRole.AGENT, "online", 30)
    await state.set_presence("s1", "b1", UserRole.BOT, "away", 10)
    await state.set_presence("s1", "a2", UserRole.AGENT, "offline", 30)
    await state.set_presence("s2", "x", UserRole.AGENT, "online", 30)
    assert [(e.user, e.role, e.status) for e in await state.presence("s1")] == \
        [("a1", UserRole.AGENT, "online"), ("b1", UserRole.BOT, "away")]
    clock.now += 11
    assert [e.user for e in await state.presence("s1")] == ["a1"]
    await state.set_presence("s1", "a1", UserRole.AGENT, "online", 30)  # heartbeat
    clock.now += 25
    assert [e.user for e in await state.presence("s1")] == ["a1"]
    await state.clear_presence("s1", "a1")
    assert await state.presence("s1") == []


@run
async def test_state_assignment_moves_load(state: SharedState, clock: Clock) -> None:
    bot, human = Handler("bot1", UserRole.BOT), Handler("a1", UserRole.AGENT)
    assert await state.assign("s1", "s1:u1", bot) is None
    await state.assign("s1", "s1:u2", bot)
    assert await state.loads("s1", ["bot1", "a1"]) == {"bot1": 2, "a1": 0}
    assert await state.assign("s1", "s1:u1", human) == bot
    assert await state.handler("s1:u1") == human
    assert await state.loads("s1", ["bot1", "a1"]) == {"bot1": 1, "a1": 1}
    assert await state.loads("s1", []) == {}
    assert await state.assign("s1", "s1:u1", None) == human
    assert await state.handler("s1:u1") is None and await state.loads("s1", ["a1"]) == {"a1": 0}


@run
async def test_state_queue_order_front_and_no_duplicates(state: SharedState,
                                                         clock: Clock) -> None:
    assert await state.enqueue("s1", "c1") == 1
    assert await state.enqueue("s1", "c2") == 2
    assert await state.enqueue("s1", "c1") == 2          # already queued: keeps its place
    assert await state.enqueue("s1", "c3", front=True) == 3
    assert await state.queue_length("s1") == 3
    assert [await state.dequeue("s1") for _ in range(4)] == ["c3", "c1", "c2", None]
    assert await state.queue_length("s2") == 0


@run
async def test_state_sticky_routing_expires(state: SharedState, clock: Clock) -> None:
    await state.stick("s1:u1", 0.3)
    assert await state.sticky("s1:u1") and not await state.sticky("s1:u2")
    if isinstance(state, LocalState):
        clock.now += 0.31
    else:
        await asyncio.sleep(0.35)  # Redis expires keys on its own clock
    assert not await state.sticky("s1:u1")


@run
async def test_state_acks_and_assist_flags(state: SharedState, clock: Clock) -> None:
    await state.require_ack("s1", "a1", "s1:u1", PendingAck("m1", "r1"))
    await state.require_ack("s1", "a1", "s1:u2", PendingAck("m2", "r2"))
    assert await state.pending_acks("s1", "a1") == {"s1:u1": PendingAck("m1", "r1"),
                                                    "s1:u2": PendingAck("m2", "r2")}
    await state.clear_ack("s1", "a1", "s1:u1")
    assert list(await state.pending_acks("s1", "a1")) == ["s1:u2"]
    assert await state.pending_acks("s1", "a2") == {}
    await state.set_assist("s1", "a1", "s1:u1", True)
    assert await state.assist("s1", "a1", "s1:u1") and not await state.assist("s1", "a1", "s1:u2")
    await state.set_assist("s1", "a1", "s1:u1", False)
    assert not await state.assist("s1", "a1", "s1:u1")


@run
async def test_state_history_keeps_the_newest(state: SharedState, clock: Clock) -> None:
    for n in range(7):
        await state.append_history("s1:u1", HistoryEntry(f"m{n}", "buyer", "u1", f"第{n}条",
                                                         float(n)), keep=5)
    entries = await state.history("s1:u1", 3)
    assert [e.id for e in entries] == ["m4", "m5", "m6"] and entries[0].text == "第4条"
    assert [e.id for e in await state.history("s1:u1", 10)] == ["m2", "m3", "m4", "m5", "m6"]
    assert await state.history("s1:u1", 0) == [] and await state.history("nope", 5) == []


@run
async def test_state_history_entry_published_in_the_same_step(state: SharedState,
                                                              clock: Clock) -> None:
    """issue 18: a delivered message is in the history by the time its frame is handed out, so
    a client reading the history after it attached misses nothing published before."""
    got: list[tuple[str, str | None, list[str]]] = []

    async def receiver(payload: str, key: str | None) -> None:
        got.append((payload, key, [e.id for e in await state.history("s1:b1", 10)]))

    await state.subscribe("buyer:s1:b1", receiver)
    await state.append_history("s1:b1", HistoryEntry("r1", "agent", "a1", "在的", 1.0), 5,
                               publish=Publication("buyer:s1:b1", "frame r1", "s1:b1/a1/r1"))
    await state.append_history("s1:b1", HistoryEntry("m2", "buyer", "b1", "好", 2.0), 5)
    for _ in range(100):
        if got:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)
    assert got[0][:2] == ("frame r1", "s1:b1/a1/r1") and got[0][2][0] == "r1"
    assert len(got) == 1
    assert [e.id for e in await state.history("s1:b1", 10)] == ["r1", "m2"]


@run
async def test_state_offence_counter_window(state: SharedState, clock: Clock) -> None:
    counts = [await state.offences.hit("s1\x1fa1\x1fe", t, 60) for t in (0.0, 10.0, 50.0, 65.0)]
    assert counts == [1, 2, 3, 3]  # at 65 s the hit at 0 s left the window
    assert await state.offences.hit("s1\x1fa2\x1fe", 65.0, 60) == 1


@run
async def test_state_publish_reaches_subscribers(state: SharedState, clock: Clock) -> None:
    received: list[str] = []
    keys: list[str | None] = []

    async def receiver(payload: str, key: str | None) -> None:
        received.append(payload)
        keys.append(key)

    subscription = await state.subscribe("user:s1:a1", receiver)
    await state.publish("user:s1:a1", '{"type":"pong"}')
    await state.publish("user:s1:nobody", "x")
    await state.publish("user:s1:a1", "m1", key="m1")
    await state.publish("user:s1:a1", "m1 again", key="m1")  # the same key: once
    await state.publish("user:s1:a1", "m2", key="m2")
    for _ in range(100):
        if received[-1:] == ["m2"]:
            break
        await asyncio.sleep(0.05)
    assert received == ['{"type":"pong"}', "m1", "m2"]
    assert keys == [None, "m1", "m2"]  # the receiver de-duplicates replays by key too
    await subscription.cancel()
    await subscription.cancel()  # idempotent
    await state.publish("user:s1:a1", "late")
    await asyncio.sleep(0.2)
    assert received == ['{"type":"pong"}', "m1", "m2"]


@run
async def test_state_policy_version_and_ping(state: SharedState, clock: Clock) -> None:
    assert await state.policy_version() is None
    await state.set_policy_version("abc123")
    assert await state.policy_version() == "abc123"
    await state.ping()


def test_redis_state_two_nodes_share_everything(redis_url: str) -> None:
    """What one node writes, another node (its own connection) reads, and a frame published on
    one reaches a subscriber on the other."""
    async def main() -> None:
        a, b = RedisState.from_url(redis_url), RedisState.from_url(redis_url)
        try:
            got: asyncio.Queue[str] = asyncio.Queue()

            async def receiver(payload: str, key: str | None) -> None:
                await got.put(payload)

            await b.subscribe("user:s1:a1", receiver)
            await a.set_presence("s1", "a1", UserRole.AGENT, "online", 30)
            await a.assign("s1", "s1:u1", Handler("a1", UserRole.AGENT))
            assert [e.user for e in await b.presence("s1")] == ["a1"]
            assert await b.handler("s1:u1") == Handler("a1", UserRole.AGENT)
            await a.publish("user:s1:a1", "跨节点")
            assert await asyncio.wait_for(got.get(), 5) == "跨节点"
            assert await a.offences.hit("k", 1.0, 60) == 1
            assert await b.offences.hit("k", 2.0, 60) == 2
        finally:
            await a.close()
            await b.close()
    asyncio.run(main())


def test_redis_state_unreachable_is_state_unavailable() -> None:
    async def main() -> None:
        state = RedisState.from_url("redis://127.0.0.1:1/0")
        try:
            with pytest.raises(StateUnavailable, match="共享状态（Redis）暂时不可用"):
                await state.ping()
            with pytest.raises(StateUnavailable):
                await state.presence("s1")
        finally:
            await state.close()
    asyncio.run(main())



def test_redis_state_delivery_survives_a_redis_restart(restartable_redis: RedisServer) -> None:
    """Redis is killed and restarted (empty) while node B holds a subscriber: every frame node A
    publishes once Redis answers again reaches B, in order and once — B's reader resumes from
    its position instead of re-subscribing after the fact — and B is told Redis lost its data."""
    async def main() -> None:
        a, b = RedisState.from_url(restartable_redis.url), \
            RedisState.from_url(restartable_redis.url)
        got: list[str] = []
        reconnects: list[bool] = []

        async def receiver(payload: str, key: str | None) -> None:
            got.append(payload)

        async def reconnected(lost: bool) -> None:
            reconnects.append(lost)

        b.on_reconnect.append(reconnected)
        try:
            await b.subscribe("buyer:s1:b1", receiver)
            await a.publish("buyer:s1:b1", "before", key="before")
            restartable_redis.kill()
            await asyncio.sleep(0.3)
            await asyncio.to_thread(restartable_redis.resume)
            sent = 0
            while sent < 50:  # as fast as A can, from the first moment Redis answers
                try:
                    await a.publish("buyer:s1:b1", f"after {sent}", key=f"after {sent}")
                    sent += 1
                except StateUnavailable:
                    await asyncio.sleep(0.01)
            await a.publish("buyer:s1:b1", "after 49", key="after 49")  # a retried publish
            for _ in range(200):
                if len(got) >= 51:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)
            assert got == ["before", *(f"after {i}" for i in range(50))]
            assert reconnects == [True]
        finally:
            await a.close()
            await b.close()
    asyncio.run(main())


def test_redis_state_unread_messages_survive_a_restart_without_persistence(
        restartable_redis: RedisServer) -> None:
    """Node A publishes chat messages for a subscriber on node B while B's reader is busy (its
    receiver still handing out the first one), so B has not read them when Redis is killed and
    comes back empty. A was told they were published: it appends them again, and B gets every
    one once, in order (the one it had read is not repeated)."""
    async def main() -> None:
        a, b = RedisState.from_url(restartable_redis.url), \
            RedisState.from_url(restartable_redis.url)
        got: list[str] = []
        busy, go_on = asyncio.Event(), asyncio.Event()

        async def slow_receiver(payload: str, key: str | None) -> None:
            got.append(payload)
            if payload == "m0":
                busy.set()
                await go_on.wait()

        async def ignore(payload: str, key: str | None) -> None:
            pass

        try:
            await a.subscribe("staff:s1:a1", ignore)  # A reads the stream too, as a node does
            await b.subscribe("buyer:s1:b1", slow_receiver)
            await asyncio.sleep(0.2)
            await a.publish("buyer:s1:b1", "m0", key="k0")
            await asyncio.wait_for(busy.wait(), 5)
            for n in range(1, 6):
                await a.append_history("s1:b1", HistoryEntry(f"m{n}", "agent", "a1", "x", 1.0),
                                       20, publish=Publication("buyer:s1:b1", f"m{n}", f"k{n}"))
            restartable_redis.kill()
            go_on.set()
            await asyncio.sleep(0.3)
            await asyncio.to_thread(restartable_redis.resume)
            for _ in range(200):
                if len(got) >= 6:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            assert got == [f"m{n}" for n in range(6)]
        finally:
            await a.close()
            await b.close()
    asyncio.run(main())


def test_redis_state_a_restore_cut_short_by_another_failure_is_retried(tmp_path: Path) -> None:
    """Redis comes back empty, and while node B puts back what it knows (its reconnect
    callback claims B's conversations again, as `Upkeep.restore` does) Redis fails again, and
    comes back with what it had by then: the epoch B already saw, so it no longer says the data
    was lost. The restore is still due and runs again in full: both conversations are B's."""
    conversations = ("s1:b1", "s1:b2")
    agent = Handler("a1", UserRole.AGENT)

    async def main(server: RedisServer) -> None:
        b = RedisState.from_url(server.url)
        calls: list[bool] = []
        failed = asyncio.Event()

        async def put_back(lost: bool) -> None:
            calls.append(lost)
            if not lost:
                return
            for n, conversation in enumerate(conversations):
                if n == 1 and len(calls) == 1:  # half way through the first restore
                    server.kill()
                    failed.set()
                await b.claim("s1", conversation, agent)

        async def ignore(payload: str, key: str | None) -> None:
            pass

        b.on_reconnect.append(put_back)
        try:
            await b.subscribe("staff:s1:a1", ignore)
            for conversation in conversations:
                await b.claim("s1", conversation, agent)
            server.kill()
            shutil.rmtree(server.directory / "appendonlydir")  # it comes back empty
            await asyncio.to_thread(server.resume)
            await asyncio.wait_for(failed.wait(), 10)
            await asyncio.sleep(0.3)
            await asyncio.to_thread(server.resume)  # with the epoch of the empty restart
            for _ in range(100):
                if b.reading and len(calls) >= 2:
                    break
                await asyncio.sleep(0.05)
            assert calls[:2] == [True, True]
            assert await b.assigned("s1", "a1") == list(conversations)
        finally:
            await b.close()

    with RedisServer.start(persistent=True, directory=tmp_path) as server:
        asyncio.run(main(server))


def test_redis_state_a_busy_node_publishes_nothing_new_before_its_unread_messages(
        restartable_redis: RedisServer) -> None:
    """Node A's reader is busy (its receiver still handing out a frame) when Redis restarts
    empty, so it meets no error: its client just connects again. A published m1..m3 for B,
    unread by B; A's next message m4 must not reach the empty Redis before A appended m1..m3
    again, or B reads m4 first. A refuses m4 (StateUnavailable, the client retries) until its
    reader put them back: B gets m0..m4 once each, in order."""
    async def main() -> None:
        a, b = RedisState.from_url(restartable_redis.url), \
            RedisState.from_url(restartable_redis.url)
        got: list[str] = []
        a_busy, a_go, b_busy, b_go = (asyncio.Event() for _ in range(4))

        async def slow(payload: str, busy: asyncio.Event, go: asyncio.Event) -> None:
            busy.set()
            await go.wait()

        async def a_receiver(payload: str, key: str | None) -> None:
            await slow(payload, a_busy, a_go)

        async def b_receiver(payload: str, key: str | None) -> None:
            got.append(payload)
            if payload == "m0":
                await slow(payload, b_busy, b_go)

        try:
            await a.subscribe("staff:s1:a1", a_receiver)
            await b.subscribe("buyer:s1:b1", b_receiver)
            await asyncio.sleep(0.2)
            await a.publish("staff:s1:a1", "busy")
            await a.publish("buyer:s1:b1", "m0", key="k0")
            await asyncio.wait_for(asyncio.gather(a_busy.wait(), b_busy.wait()), 5)
            for n in range(1, 4):
                await a.append_history("s1:b1", HistoryEntry(f"m{n}", "agent", "a1", "x", 1.0),
                                       20, publish=Publication("buyer:s1:b1", f"m{n}", f"k{n}"))
            restartable_redis.kill()
            await asyncio.sleep(0.2)
            await asyncio.to_thread(restartable_redis.resume)
            b_go.set()
            refused = 0
            while True:  # as a client resends what it is told to retry
                try:
                    await a.append_history(
                        "s1:b1", HistoryEntry("m4", "agent", "a1", "x", 1.0), 20,
                        publish=Publication("buyer:s1:b1", "m4", "k4"))
                    break
                except StateUnavailable:
                    refused += 1
                    a_go.set()
                    await asyncio.sleep(0.05)
            for _ in range(200):
                if len(got) >= 5:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            assert got == [f"m{n}" for n in range(5)]
            assert refused >= 1
            entries = await a.history("s1:b1", 10)
            assert [e.id for e in entries] == ["m4"]  # no transcript entry of a refused try
        finally:
            await a.close()
            await b.close()
    asyncio.run(main())


@run
async def test_state_held_drafts_outlive_connections_until_taken_or_expired(
        state: SharedState, clock: Clock) -> None:
    first = HeldDraft("m1", "r1", "s1:b1", "不知道", "suggest-edit", "建议修改",
                      ({"term": "不知道", "start": 0, "end": 3},))
    second = HeldDraft("m2", "r2", "s1:b2", "呵呵", "force-edit")
    await state.hold("s1", "a1", first, 60)
    clock.now += 1
    await state.hold("s1", "a1", second, 10)
    await state.hold("s1", "a2", HeldDraft("m1", "r9", "s1:b9", "x", "force-edit"), 60)
    assert await state.held("s1", "a1") == [second, first]  # the soonest to expire first
    assert await state.held("s2", "a1") == []
    assert await state.take_held("s1", "a1", "m1") == first
    assert await state.take_held("s1", "a1", "m1") is None  # another tab cannot take it again
    clock.now += 11
    assert await state.held("s1", "a1") == []
    assert await state.take_held("s1", "a1", "m2") is None
    await state.hold("s1", "a1", second, 10)
    clock.now += 11
    assert await state.expire_held("s1", "a1") == [second]
    assert await state.expire_held("s1", "a1") == []
    assert [d.message_id for d in await state.expire_held("s1", "a2", everything=True)] == ["m1"]


@run
async def test_state_remembers_intercepted_messages_for_appeals_until_they_expire(
        state: SharedState, clock: Clock) -> None:
    await state.remember_intercepted("s1", "a1", "m1", Intercepted("r1", "s1:b1"), 100)
    assert await state.intercepted("s1", "a1", "m1") == Intercepted("r1", "s1:b1")
    assert await state.intercepted("s1", "a2", "m1") is None
    clock.now += 101
    assert await state.intercepted("s1", "a1", "m1") is None


@run
async def test_state_lists_assigned_conversations_and_queue_membership(
        state: SharedState, clock: Clock) -> None:
    await state.assign("s1", "s1:b2", Handler("a1", UserRole.AGENT))
    await state.assign("s1", "s1:b1", Handler("a1", UserRole.AGENT))
    await state.assign("s1", "s1:b3", Handler("a2", UserRole.AGENT))
    assert await state.assigned("s1", "a1") == ["s1:b1", "s1:b2"]
    await state.assign("s1", "s1:b2", Handler("a2", UserRole.AGENT))
    assert await state.assigned("s1", "a1") == ["s1:b1"]
    await state.enqueue("s1", "s1:b4")
    assert await state.queued("s1", "s1:b4")
    assert not await state.queued("s1", "s1:b1")


@run
async def test_state_pending_ack_keeps_the_warning_to_show_again(state: SharedState,
                                                                 clock: Clock) -> None:
    ack = PendingAck("m1", "r1", "你个傻逼", "违规警告", ({"term": "傻逼", "start": 2, "end": 4},))
    await state.require_ack("s1", "a1", "s1:b1", ack)
    assert await state.pending_acks("s1", "a1") == {"s1:b1": ack}


@run
async def test_state_lists_who_holds_drafts(state: SharedState, clock: Clock) -> None:
    await state.hold("s1", "a2", HeldDraft("m1", "r1", "s1:b1", "x", "force-edit"), 10)
    await state.hold("s2", "a1", HeldDraft("m2", "r2", "s2:b1", "y", "force-edit"), 10)
    assert await state.held_owners() == [("s1", "a2"), ("s2", "a1")]
    await state.take_held("s1", "a2", "m1")
    assert await state.held_owners() == [("s2", "a1")]

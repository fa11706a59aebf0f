"""LocalState on a controlled clock: expiry of presence and sticky routing, queue order, loads,
delivery counts."""

from __future__ import annotations

import asyncio

from gateway.auth import UserRole
from gateway.state import Handler, HistoryEntry, PendingAck
from gateway.state.local_state import LocalState


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_local_state_presence_expires_without_heartbeat() -> None:
    async def run() -> None:
        clock = Clock()
        state = LocalState(clock)
        await state.set_presence("s1", "a1", UserRole.AGENT, "online", ttl_s=60)
        await state.set_presence("s1", "a2", UserRole.AGENT, "offline", ttl_s=60)
        assert [e.user for e in await state.presence("s1")] == ["a1"]
        clock.now += 59
        await state.set_presence("s1", "a1", UserRole.AGENT, "online", ttl_s=60)  # heartbeat
        clock.now += 59
        assert [e.user for e in await state.presence("s1")] == ["a1"]
        clock.now += 2
        assert await state.presence("s1") == []
    asyncio.run(run())


def test_local_state_sticky_expires() -> None:
    async def run() -> None:
        clock = Clock()
        state = LocalState(clock)
        await state.stick("s1:b1", 1800)
        assert await state.sticky("s1:b1")
        clock.now += 1801
        assert not await state.sticky("s1:b1")
    asyncio.run(run())


def test_local_state_queue_front_and_no_duplicates() -> None:
    async def run() -> None:
        state = LocalState()
        assert await state.enqueue("s1", "s1:b1") == 1
        assert await state.enqueue("s1", "s1:b2") == 2
        assert await state.enqueue("s1", "s1:b1") == 2
        assert await state.enqueue("s1", "s1:b3", front=True) == 3
        assert [await state.dequeue("s1") for _ in range(4)] == ["s1:b3", "s1:b1", "s1:b2", None]
    asyncio.run(run())


def test_local_state_assignment_loads_acks_assist_history() -> None:
    async def run() -> None:
        state = LocalState()
        agent, bot = Handler("a1", UserRole.AGENT), Handler("bot1", UserRole.BOT)
        assert await state.assign("s1", "s1:b1", bot) is None
        assert await state.assign("s1", "s1:b1", agent) == bot
        assert await state.loads("s1", ["a1", "bot1"]) == {"a1": 1, "bot1": 0}
        await state.require_ack("s1", "a1", "s1:b1", PendingAck("r1", "rec1"))
        assert await state.pending_acks("s1", "a1") == {"s1:b1": PendingAck("r1", "rec1")}
        await state.clear_ack("s1", "a1", "s1:b1")
        assert await state.pending_acks("s1", "a1") == {}
        await state.set_assist("s1", "a1", "s1:b1", True)
        assert await state.assist("s1", "a1", "s1:b1")
        for i in range(5):
            await state.append_history("s1:b1", HistoryEntry(f"m{i}", "buyer", "b1", "hi", i), 3)
        assert [e.id for e in await state.history("s1:b1", 2)] == ["m3", "m4"]
    asyncio.run(run())


def test_local_state_publish_reaches_subscribers() -> None:
    async def run() -> None:
        state = LocalState()
        received: list[str] = []

        async def receiver(payload: str, key: str | None) -> None:
            received.append(payload)

        subscription = await state.subscribe("staff:s1:a1", receiver)
        await state.publish("staff:s1:a1", "x")
        await subscription.cancel()
        await state.publish("staff:s1:a1", "y")
        assert received == ["x"]
    asyncio.run(run())

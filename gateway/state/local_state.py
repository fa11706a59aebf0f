"""`LocalState`: the shared state of a single node, in process memory (the embedded default).

Every method runs without awaiting anything, so on one event loop each call is atomic, just as
the Redis implementation makes each call one round trip or script.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable

from gateway.auth import UserRole
from gateway.protocol import PresenceStatus
from gateway.state import (
    Handler,
    HeldDraft,
    HistoryEntry,
    Intercepted,
    PendingAck,
    PresenceEntry,
    Publication,
    Receiver,
)
from gateway.state.dedup import RecentKeys
from gateway.state.offences import LocalOffenceCounter

_Key = tuple[str, str]


class _LocalSubscription:
    def __init__(self, receivers: dict[str, list[Receiver]], address: str,
                 receiver: Receiver) -> None:
        self._receivers = receivers
        self._address = address
        self._receiver = receiver

    async def cancel(self) -> None:
        listeners = self._receivers.get(self._address, [])
        if self._receiver in listeners:
            listeners.remove(self._receiver)
        if not listeners:
            self._receivers.pop(self._address, None)


class LocalState:
    survives_restart = False

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.offences = LocalOffenceCounter()
        self._presence: dict[str, dict[str, tuple[UserRole, PresenceStatus, float]]] = {}
        self._handlers: dict[str, Handler] = {}
        self._assigned: dict[_Key, set[str]] = {}
        self._queues: dict[str, OrderedDict[str, None]] = {}
        self._sticky: dict[str, float] = {}
        self._acks: dict[_Key, dict[str, PendingAck]] = {}
        self._assist: set[tuple[str, str, str]] = set()
        # (shop, user) → message id → (entry, deadline)
        self._held: dict[_Key, OrderedDict[str, tuple[HeldDraft, float]]] = {}
        self._intercepted: dict[_Key, OrderedDict[str, tuple[Intercepted, float]]] = {}
        self._history: dict[str, deque[HistoryEntry]] = {}
        self._receivers: dict[str, list[Receiver]] = {}
        self._seen = RecentKeys()
        self._version: str | None = None
        self.on_reconnect: list[Callable[[bool], Awaitable[None]]] = []  # never: no outages

    async def set_presence(self, shop: str, user: str, role: UserRole, status: PresenceStatus,
                           ttl_s: float) -> None:
        self._presence.setdefault(shop, {})[user] = (role, status, self._clock() + ttl_s)

    async def clear_presence(self, shop: str, user: str) -> None:
        self._presence.get(shop, {}).pop(user, None)

    async def presence(self, shop: str) -> list[PresenceEntry]:
        now = self._clock()
        users = self._presence.get(shop, {})
        for user in [u for u, (_, _, expires) in users.items() if expires <= now]:
            del users[user]
        return [PresenceEntry(user, role, status) for user, (role, status, _) in users.items()
                if status != "offline"]

    async def handler(self, conversation: str) -> Handler | None:
        return self._handlers.get(conversation)

    async def assign(self, shop: str, conversation: str, handler: Handler | None
                     ) -> Handler | None:
        previous = self._handlers.pop(conversation, None)
        if previous is not None:
            self._assigned.get((shop, previous.user), set()).discard(conversation)
        if handler is not None:
            self._handlers[conversation] = handler
            self._assigned.setdefault((shop, handler.user), set()).add(conversation)
        return previous

    async def claim(self, shop: str, conversation: str, handler: Handler) -> bool:
        if conversation in self._handlers:
            return False
        await self.assign(shop, conversation, handler)
        return True

    async def loads(self, shop: str, users: Iterable[str]) -> dict[str, int]:
        return {user: len(self._assigned.get((shop, user), ())) for user in users}

    async def assigned(self, shop: str, user: str) -> list[str]:
        return sorted(self._assigned.get((shop, user), ()))

    async def enqueue(self, shop: str, conversation: str, *, front: bool = False) -> int:
        queue = self._queues.setdefault(shop, OrderedDict())
        queue[conversation] = None
        if front:
            queue.move_to_end(conversation, last=False)
        return len(queue)

    async def dequeue(self, shop: str) -> str | None:
        queue = self._queues.get(shop)
        if not queue:
            return None
        conversation, _ = queue.popitem(last=False)
        return conversation

    async def queue_length(self, shop: str) -> int:
        return len(self._queues.get(shop, ()))

    async def queued(self, shop: str, conversation: str) -> bool:
        return conversation in self._queues.get(shop, ())

    async def stick(self, conversation: str, ttl_s: float) -> None:
        self._sticky[conversation] = self._clock() + ttl_s

    async def sticky(self, conversation: str) -> bool:
        until = self._sticky.get(conversation)
        if until is not None and until <= self._clock():
            del self._sticky[conversation]
            return False
        return until is not None

    async def require_ack(self, shop: str, user: str, conversation: str,
                          ack: PendingAck) -> None:
        self._acks.setdefault((shop, user), {})[conversation] = ack

    async def pending_acks(self, shop: str, user: str) -> dict[str, PendingAck]:
        return dict(self._acks.get((shop, user), {}))

    async def clear_ack(self, shop: str, user: str, conversation: str) -> None:
        self._acks.get((shop, user), {}).pop(conversation, None)

    async def hold(self, shop: str, user: str, draft: HeldDraft, ttl_s: float) -> None:
        self._held.setdefault((shop, user), OrderedDict())[draft.message_id] = (
            draft, self._clock() + ttl_s)

    async def held(self, shop: str, user: str) -> list[HeldDraft]:
        now = self._clock()
        entries = sorted(self._held.get((shop, user), OrderedDict()).values(),
                         key=lambda entry: entry[1])
        return [draft for draft, deadline in entries if deadline > now]

    async def take_held(self, shop: str, user: str, message_id: str) -> HeldDraft | None:
        entry = self._held.get((shop, user), OrderedDict()).pop(message_id, None)
        return entry[0] if entry is not None and entry[1] > self._clock() else None

    async def expire_held(self, shop: str, user: str, *, everything: bool = False
                          ) -> list[HeldDraft]:
        drafts = self._held.get((shop, user), OrderedDict())
        now = self._clock()
        gone = [m for m, (_, deadline) in drafts.items() if everything or deadline <= now]
        return [drafts.pop(m)[0] for m in gone]

    async def held_owners(self) -> list[tuple[str, str]]:
        return sorted(key for key, drafts in self._held.items() if drafts)

    async def remember_intercepted(self, shop: str, user: str, message_id: str,
                                   intercepted: Intercepted, ttl_s: float) -> None:
        remembered = self._intercepted.setdefault((shop, user), OrderedDict())
        remembered[message_id] = (intercepted, self._clock() + ttl_s)
        remembered.move_to_end(message_id)
        now = self._clock()
        while remembered and next(iter(remembered.values()))[1] <= now:
            remembered.popitem(last=False)  # oldest first, so expired ones lead

    async def intercepted(self, shop: str, user: str, message_id: str) -> Intercepted | None:
        entry = self._intercepted.get((shop, user), OrderedDict()).get(message_id)
        return entry[0] if entry is not None and entry[1] > self._clock() else None

    async def set_assist(self, shop: str, user: str, conversation: str, on: bool) -> None:
        key = (shop, user, conversation)
        if on:
            self._assist.add(key)
        else:
            self._assist.discard(key)

    async def assist(self, shop: str, user: str, conversation: str) -> bool:
        return (shop, user, conversation) in self._assist

    async def append_history(self, conversation: str, entry: HistoryEntry, keep: int, *,
                             publish: Publication | None = None) -> None:
        history = self._history.get(conversation)
        if history is None or history.maxlen != keep:
            history = self._history[conversation] = deque(history or (), maxlen=keep)
        history.append(entry)
        if publish is not None:  # appended before the first await: one step for any reader
            await self.publish(publish.address, publish.payload, key=publish.key)

    async def history(self, conversation: str, limit: int) -> list[HistoryEntry]:
        entries = list(self._history.get(conversation, ()))
        return entries[-limit:] if limit > 0 else []

    async def subscribe(self, address: str, receiver: Receiver) -> _LocalSubscription:
        self._receivers.setdefault(address, []).append(receiver)
        return _LocalSubscription(self._receivers, address, receiver)

    async def publish(self, address: str, payload: str, *, key: str | None = None) -> None:
        receivers = list(self._receivers.get(address, ()))
        if receivers and key is not None and not self._seen.first_time(address, key):
            return
        for receiver in receivers:
            await receiver(payload, key)

    async def set_policy_version(self, version: str) -> None:
        self._version = version

    async def policy_version(self) -> str | None:
        return self._version

    async def ping(self) -> None:
        """In-process state is always reachable."""

    async def close(self) -> None:
        self._receivers.clear()

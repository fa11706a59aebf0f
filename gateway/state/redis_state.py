"""`RedisState`: the shared state of several gateway nodes, in Redis (`REPLYGUARD_REDIS_URL`).

Each method is one round trip, a MULTI/EXEC transaction or a Lua script, so concurrent nodes see
the same atomic steps `LocalState` gives one event loop. Expiry uses Redis TTLs or wall-clock
deadlines stored beside the value (presence), so every node agrees on what expired. Frames for a
user connected elsewhere travel over pub/sub: each node holds one subscriber connection and
subscribes to the addresses of the users connected to it.

Key layout (`{p}` is the prefix, default `replyguard`):

    {p}:presence:{shop}            hash  user → {"role", "status", "expires"}
    {p}:handler:{conversation}     string {"user", "role"}
    {p}:assigned:{shop}:{user}     set   conversations assigned to the user
    {p}:queue:{shop}               zset  conversation → order (front entries negative)
    {p}:queue-seq:{shop}           counter for queue order
    {p}:sticky:{conversation}      string with TTL
    {p}:acks:{shop}:{user}         hash  conversation → {"message_id", "record_id"}
    {p}:assist:{shop}:{user}       set   conversations with bot-assist on
    {p}:held:{shop}:{user}         hash  message id → {draft…, "expires"}
    {p}:intercepted:{shop}:{user}  hash  message id → {"record_id", "conversation", "expires"}
    {p}:history:{conversation}     list  newest last, trimmed
    {p}:offence:{key}              zset  time-stamped offences, TTL = window
    {p}:policy-version             string
    {p}:addr:{address}             pub/sub channel
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from gateway.auth import UserRole
from gateway.errors import StateUnavailable
from gateway.protocol import PresenceStatus
from gateway.state import (
    Handler,
    HeldDraft,
    HistoryEntry,
    Intercepted,
    PendingAck,
    PresenceEntry,
    Receiver,
)

log = logging.getLogger("replyguard.state")

# Moves a conversation from its previous handler's set to the new one's, atomically.
_ASSIGN = """
local previous = redis.call('GET', KEYS[1])
if previous then
  local old = cjson.decode(previous)
  redis.call('SREM', ARGV[1] .. old['user'], ARGV[3])
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2])
  redis.call('SADD', ARGV[1] .. cjson.decode(ARGV[2])['user'], ARGV[3])
end
return previous
"""

# Queue order: new conversations go last, routed ones first; already queued ones keep their
# place unless sent to the front.
_ENQUEUE = """
local seq = redis.call('INCR', KEYS[2])
if ARGV[2] == '1' then
  redis.call('ZADD', KEYS[1], -seq, ARGV[1])
else
  redis.call('ZADD', KEYS[1], 'NX', seq, ARGV[1])
end
return redis.call('ZCARD', KEYS[1])
"""

# Removes and returns one field of a hash (HGETDEL needs Redis 8).
_TAKE = """
local value = redis.call('HGET', KEYS[1], ARGV[1])
if value then redis.call('HDEL', KEYS[1], ARGV[1]) end
return value
"""
# How long a hash of drafts or appealable messages outlives the deadline of its newest entry.
_GRACE_S = 60


@contextlib.asynccontextmanager
async def _mapped(what: str) -> AsyncIterator[None]:
    try:
        yield
    except (RedisError, OSError) as exc:
        log.warning("Redis unavailable (%s): %s", what, exc)
        raise StateUnavailable("共享状态（Redis）暂时不可用，请稍后重试") from exc


class RedisOffenceCounter:
    """Repeat-offence counts shared by the nodes: one sorted set per key, trimmed to the window
    on every hit."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def hit(self, key: str, now: float, window_s: float) -> int:
        name = f"{self._prefix}:offence:{key}"
        async with _mapped("offences"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zadd(name, {f"{now:.6f}:{uuid.uuid4().hex[:8]}": now})
                pipe.zremrangebyscore(name, "-inf", now - window_s)
                pipe.zcard(name)
                pipe.expire(name, max(1, int(window_s) + 1))
                results = await pipe.execute()
        return int(results[2])


class _RedisSubscription:
    def __init__(self, state: RedisState, address: str, receiver: Receiver) -> None:
        self._state = state
        self._address = address
        self._receiver = receiver

    async def cancel(self) -> None:
        await self._state._unsubscribe(self._address, self._receiver)


class RedisState:
    survives_restart = True

    def __init__(self, redis: Redis, *, prefix: str = "replyguard",
                 clock: Callable[[], float] = time.time, owns_client: bool = False) -> None:
        """`redis` is the caller's (the Gateway shares one client between the state, the offence
        counters and the configuration sync, and closes it); `from_url` makes one it owns."""
        self._redis = redis
        self._owns_client = owns_client
        self._p = prefix
        self._clock = clock
        self.offences = RedisOffenceCounter(redis, prefix)
        self._pubsub: PubSub | None = None
        self._listener: asyncio.Task[None] | None = None
        self._receivers: dict[str, list[Receiver]] = {}

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisState:
        return cls(Redis.from_url(url), owns_client=True, **kwargs)

    # --- presence ---
    async def set_presence(self, shop: str, user: str, role: UserRole, status: PresenceStatus,
                           ttl_s: float) -> None:
        value = json.dumps({"role": str(role), "status": status,
                            "expires": self._clock() + ttl_s})
        async with _mapped("presence"):
            await self._redis.hset(f"{self._p}:presence:{shop}", user, value)

    async def clear_presence(self, shop: str, user: str) -> None:
        async with _mapped("presence"):
            await self._redis.hdel(f"{self._p}:presence:{shop}", user)

    async def presence(self, shop: str) -> list[PresenceEntry]:
        key = f"{self._p}:presence:{shop}"
        async with _mapped("presence"):
            raw = await self._redis.hgetall(key)
            now = self._clock()
            entries, expired = [], []
            for user, value in raw.items():
                data = json.loads(value)
                name = _text(user)
                if data["expires"] <= now:
                    expired.append(name)
                elif data["status"] != "offline":
                    entries.append(PresenceEntry(name, UserRole(data["role"]), data["status"]))
            if expired:
                await self._redis.hdel(key, *expired)
        return sorted(entries, key=lambda e: e.user)

    # --- conversation → handler ---
    async def handler(self, conversation: str) -> Handler | None:
        async with _mapped("handler"):
            raw = await self._redis.get(f"{self._p}:handler:{conversation}")
        return _handler(raw)

    async def assign(self, shop: str, conversation: str, handler: Handler | None
                     ) -> Handler | None:
        value = json.dumps({"user": handler.user, "role": str(handler.role)}) if handler else ""
        async with _mapped("assign"):
            previous = await self._redis.eval(
                _ASSIGN, 1, f"{self._p}:handler:{conversation}",
                f"{self._p}:assigned:{shop}:", value, conversation)
        return _handler(previous)

    async def load(self, shop: str, user: str) -> int:
        async with _mapped("load"):
            return int(await self._redis.scard(f"{self._p}:assigned:{shop}:{user}"))

    async def assigned(self, shop: str, user: str) -> list[str]:
        async with _mapped("assigned"):
            members = await self._redis.smembers(f"{self._p}:assigned:{shop}:{user}")
        return sorted(_text(m) for m in members)

    # --- reception queue ---
    async def enqueue(self, shop: str, conversation: str, *, front: bool = False) -> int:
        async with _mapped("queue"):
            length = await self._redis.eval(
                _ENQUEUE, 2, f"{self._p}:queue:{shop}", f"{self._p}:queue-seq:{shop}",
                conversation, "1" if front else "0")
        return int(length)

    async def dequeue(self, shop: str) -> str | None:
        async with _mapped("queue"):
            popped = await self._redis.zpopmin(f"{self._p}:queue:{shop}")
        return _text(popped[0][0]) if popped else None

    async def queue_length(self, shop: str) -> int:
        async with _mapped("queue"):
            return int(await self._redis.zcard(f"{self._p}:queue:{shop}"))

    async def queued(self, shop: str, conversation: str) -> bool:
        async with _mapped("queue"):
            return await self._redis.zscore(f"{self._p}:queue:{shop}", conversation) is not None

    # --- sticky routing ---
    async def stick(self, conversation: str, ttl_s: float) -> None:
        async with _mapped("sticky"):
            await self._redis.set(f"{self._p}:sticky:{conversation}", "1",
                                  px=max(1, int(ttl_s * 1000)))

    async def sticky(self, conversation: str) -> bool:
        async with _mapped("sticky"):
            return bool(await self._redis.exists(f"{self._p}:sticky:{conversation}"))

    # --- acknowledgements ---
    async def require_ack(self, shop: str, user: str, conversation: str,
                          ack: PendingAck) -> None:
        value = json.dumps(ack.to_dict(), ensure_ascii=False)
        async with _mapped("acks"):
            await self._redis.hset(f"{self._p}:acks:{shop}:{user}", conversation, value)

    async def pending_acks(self, shop: str, user: str) -> dict[str, PendingAck]:
        async with _mapped("acks"):
            raw = await self._redis.hgetall(f"{self._p}:acks:{shop}:{user}")
        result = {}
        for conversation, value in raw.items():
            data = json.loads(value)
            result[_text(conversation)] = PendingAck.from_dict(data)
        return result

    async def clear_ack(self, shop: str, user: str, conversation: str) -> None:
        async with _mapped("acks"):
            await self._redis.hdel(f"{self._p}:acks:{shop}:{user}", conversation)

    # --- held drafts: a deadline beside each (every node agrees on expiry, and expired ones
    # can still be handed back to be logged); the hash itself outlives its newest draft a little
    async def hold(self, shop: str, user: str, draft: HeldDraft, ttl_s: float) -> None:
        key = f"{self._p}:held:{shop}:{user}"
        value = json.dumps({**draft.to_dict(), "expires": self._clock() + ttl_s},
                           ensure_ascii=False)
        async with _mapped("held"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, draft.message_id, value)
                pipe.expire(key, int(ttl_s) + _GRACE_S, gt=True)
                pipe.expire(key, int(ttl_s) + _GRACE_S, nx=True)
                await pipe.execute()

    async def held(self, shop: str, user: str) -> list[HeldDraft]:
        async with _mapped("held"):
            raw = await self._redis.hgetall(f"{self._p}:held:{shop}:{user}")
        now = self._clock()
        entries = sorted((json.loads(v) for v in raw.values()), key=lambda d: d["expires"])
        return [HeldDraft.from_dict(d) for d in entries if d["expires"] > now]

    async def take_held(self, shop: str, user: str, message_id: str) -> HeldDraft | None:
        async with _mapped("held"):
            raw = await self._redis.eval(_TAKE, 1, f"{self._p}:held:{shop}:{user}", message_id)
        if raw is None:
            return None
        data = json.loads(raw)
        return HeldDraft.from_dict(data) if data["expires"] > self._clock() else None

    async def expire_held(self, shop: str, user: str, *, everything: bool = False
                          ) -> list[HeldDraft]:
        key = f"{self._p}:held:{shop}:{user}"
        async with _mapped("held"):
            raw = await self._redis.hgetall(key)
            now = self._clock()
            gone = {_text(m): json.loads(v) for m, v in raw.items()}
            gone = {m: d for m, d in gone.items() if everything or d["expires"] <= now}
            taken = []
            for message_id, data in gone.items():  # HDEL answers 0 if another node took it
                if await self._redis.hdel(key, message_id):
                    taken.append(HeldDraft.from_dict(data))
        return taken

    async def held_owners(self) -> list[tuple[str, str]]:
        prefix = f"{self._p}:held:"
        owners = []
        async with _mapped("held"):
            async for key in self._redis.scan_iter(match=f"{prefix}*", count=500):
                shop, _, user = _text(key)[len(prefix):].partition(":")
                owners.append((shop, user))
        return sorted(owners)

    # --- intercepted messages for appeals ---
    async def remember_intercepted(self, shop: str, user: str, message_id: str,
                                   intercepted: Intercepted, ttl_s: float) -> None:
        key = f"{self._p}:intercepted:{shop}:{user}"
        value = json.dumps({"record_id": intercepted.record_id,
                            "conversation": intercepted.conversation,
                            "expires": self._clock() + ttl_s})
        async with _mapped("intercepted"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, message_id, value)
                pipe.expire(key, int(ttl_s) + _GRACE_S)
                await pipe.execute()

    async def intercepted(self, shop: str, user: str, message_id: str) -> Intercepted | None:
        async with _mapped("intercepted"):
            raw = await self._redis.hget(f"{self._p}:intercepted:{shop}:{user}", message_id)
        if raw is None:
            return None
        data = json.loads(raw)
        if data["expires"] <= self._clock():
            return None
        return Intercepted(str(data["record_id"]), str(data["conversation"]))

    # --- bot-assist ---
    async def set_assist(self, shop: str, user: str, conversation: str, on: bool) -> None:
        key = f"{self._p}:assist:{shop}:{user}"
        async with _mapped("assist"):
            if on:
                await self._redis.sadd(key, conversation)
            else:
                await self._redis.srem(key, conversation)

    async def assist(self, shop: str, user: str, conversation: str) -> bool:
        async with _mapped("assist"):
            return bool(await self._redis.sismember(
                f"{self._p}:assist:{shop}:{user}", conversation))

    # --- recent messages ---
    async def append_history(self, conversation: str, entry: HistoryEntry, keep: int) -> None:
        key = f"{self._p}:history:{conversation}"
        async with _mapped("history"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.rpush(key, json.dumps(entry.to_dict(), ensure_ascii=False))
                pipe.ltrim(key, -keep, -1)
                await pipe.execute()

    async def history(self, conversation: str, limit: int) -> list[HistoryEntry]:
        if limit <= 0:
            return []
        async with _mapped("history"):
            raw = await self._redis.lrange(f"{self._p}:history:{conversation}", -limit, -1)
        return [HistoryEntry.from_dict(json.loads(item)) for item in raw]

    # --- delivery across nodes ---
    async def subscribe(self, address: str, receiver: Receiver) -> _RedisSubscription:
        channel = f"{self._p}:addr:{address}"
        async with _mapped("subscribe"):
            if self._pubsub is None:
                self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            first = channel not in self._receivers
            self._receivers.setdefault(channel, []).append(receiver)
            if first:
                await self._pubsub.subscribe(channel)
            if self._listener is None or self._listener.done():
                self._listener = asyncio.create_task(self._listen(self._pubsub))
        return _RedisSubscription(self, address, receiver)

    async def _unsubscribe(self, address: str, receiver: Receiver) -> None:
        channel = f"{self._p}:addr:{address}"
        receivers = self._receivers.get(channel, [])
        if receiver in receivers:
            receivers.remove(receiver)
        if not receivers and channel in self._receivers:
            del self._receivers[channel]
            if self._pubsub is not None:
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.unsubscribe(channel)

    async def _listen(self, pubsub: PubSub) -> None:
        while True:
            try:
                message = await pubsub.get_message(timeout=1.0)
            except (RedisError, OSError) as exc:
                log.error("pub/sub connection lost: %s", exc)
                await asyncio.sleep(0.5)
                continue
            if message is None or message.get("type") != "message":
                continue
            channel, payload = _text(message["channel"]), _text(message["data"])
            for receiver in list(self._receivers.get(channel, ())):
                try:
                    await receiver(payload)
                except Exception:  # one broken socket must not stop delivery to the others
                    log.exception("delivery to %s failed", channel)

    async def publish(self, address: str, payload: str) -> int:
        async with _mapped("publish"):
            return int(await self._redis.publish(f"{self._p}:addr:{address}", payload))

    # --- configuration version ---
    async def set_policy_version(self, version: str) -> None:
        async with _mapped("policy version"):
            await self._redis.set(f"{self._p}:policy-version", version)

    async def policy_version(self) -> str | None:
        async with _mapped("policy version"):
            raw = await self._redis.get(f"{self._p}:policy-version")
        return _text(raw) if raw is not None else None

    async def ping(self) -> None:
        async with _mapped("ping"):
            await self._redis.ping()

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()
            self._pubsub = None
        self._receivers.clear()
        if self._owns_client:
            with contextlib.suppress(RedisError, OSError):
                await self._redis.aclose()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _handler(raw: bytes | str | None) -> Handler | None:
    if not raw:
        return None
    data = json.loads(raw)
    return Handler(str(data["user"]), UserRole(data["role"]))

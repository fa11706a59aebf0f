"""`RedisState`: the shared state of several gateway nodes, in Redis (`REPLYGUARD_REDIS_URL`).

Each method is one round trip, a MULTI/EXEC transaction or a Lua script, so concurrent nodes see
the same atomic steps `LocalState` gives one event loop. Expiry uses Redis TTLs or wall-clock
deadlines stored beside the value (presence), so every node agrees on what expired.

Frames for users travel through one Redis stream, not pub/sub (which drops whatever is published
while a subscriber reconnects): `publish` appends an entry (address, de-duplication key, frame);
every node reads the stream from its own position — kept in memory, carried across reconnects —
and hands each entry to the connections it holds at that address. So a node that loses Redis for
a moment resumes where it stopped and misses nothing that Redis still has (entries are kept
`RETAIN_S` seconds); a frame appended twice (a retried publish) reaches a connection once
(`RecentKeys`). Every node reads every frame: fine for the handful of nodes one Redis serves.

After any outage the reader calls the `on_reconnect` callbacks with `lost=True` when Redis came
back without its data (a restart without persistence, detected by the `epoch` key), so the
nodes can put back what they know: presence and assignments of their connections, warnings and
repeat offences from the interception log. Before those, each node appends again the chat
messages it published that a reader may not have read when Redis went down (`unread.py`): the
sender was told they were sent, and a restart without persistence took them with the stream.
The reader reads the epoch with every read (a busy reader meets no error: its client connects
again), a publish goes in only under the epoch the node knows, and the restore stays due until
all of it succeeded (`_restore`).

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
    {p}:frames                     stream {"a": address, "k": de-duplication key, "f": frame}
    {p}:epoch                      string, random: set once per Redis dataset
    {p}:readers                    hash  node → "{stream position} {report deadline}"
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextvars import ContextVar
from typing import Any

from redis.asyncio import Redis
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
    Publication,
    Receiver,
)
from gateway.state.dedup import RecentKeys
from gateway.state.unread import REPORT_S, REPORT_TTL_S, Unread, stream_id

log = logging.getLogger("replyguard.state")

# How long frames stay in the stream: the longest reconnection gap a node recovers from.
RETAIN_S = 120
READ_BATCH = 500
RETRY_S = 0.25

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

# Assigns only an unassigned conversation.
_CLAIM = """
if redis.call('SET', KEYS[1], ARGV[2], 'NX') then
  redis.call('SADD', ARGV[1], ARGV[3])
  return 1
end
return 0
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

# Appends a frame (and, with a history key, its transcript entry) only into the dataset whose
# epoch the node knows: into a Redis that came back empty, nothing new goes before the node put
# back the unread messages it published earlier, or a reader would get the new one first.
# KEYS: epoch, stream[, history]; ARGV: epoch, oldest id, address, frame, key or ''[, entry,
# keep]. Returns the entry id, or false when the epoch is not the node's.
_PUBLISH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
if KEYS[3] then
  redis.call('RPUSH', KEYS[3], ARGV[6])
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[7]), -1)
end
if ARGV[5] == '' then
  return redis.call('XADD', KEYS[2], 'MINID', '~', ARGV[2], '*', 'a', ARGV[3], 'f', ARGV[4])
end
return redis.call('XADD', KEYS[2], 'MINID', '~', ARGV[2], '*', 'a', ARGV[3], 'f', ARGV[4],
                  'k', ARGV[5])
"""

# Removes and returns one field of a hash (HGETDEL needs Redis 8).
_TAKE = """
local value = redis.call('HGET', KEYS[1], ARGV[1])
if value then redis.call('HDEL', KEYS[1], ARGV[1]) end
return value
"""
# How long a hash of drafts or appealable messages outlives the deadline of its newest entry.
_GRACE_S = 60


# True inside the reconnect callbacks: they run while the state is still closed to chat.
_restoring: ContextVar[bool] = ContextVar("restoring", default=False)


class _Gate:
    """Maps Redis errors to StateUnavailable, and is closed from the moment the reader loses
    Redis until the reconnect callbacks have put back what the node knows: a buyer message in
    between would otherwise be assigned to whoever is online first, before the agent that had
    the conversation claimed it again."""

    def __init__(self) -> None:
        self.closed = False

    @contextlib.asynccontextmanager
    async def mapped(self, what: str) -> AsyncIterator[None]:
        if self.closed and not _restoring.get():
            log.warning("Redis unavailable (%s): reconnecting", what)
            raise StateUnavailable("共享状态（Redis）暂时不可用，请稍后重试")
        try:
            yield
        except (RedisError, OSError) as exc:
            log.warning("Redis unavailable (%s): %s", what, exc)
            raise StateUnavailable("共享状态（Redis）暂时不可用，请稍后重试") from exc


class RedisOffenceCounter:
    """Repeat-offence counts shared by the nodes: one sorted set per key, trimmed to the window
    on every hit."""

    def __init__(self, redis: Redis, prefix: str, gate: _Gate) -> None:
        self._redis = redis
        self._prefix = prefix
        self._gate = gate

    async def hit(self, key: str, now: float, window_s: float) -> int:
        name = f"{self._prefix}:offence:{key}"
        async with self._gate.mapped("offences"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zadd(name, {f"{now:.6f}:{uuid.uuid4().hex[:8]}": now})
                pipe.zremrangebyscore(name, "-inf", now - window_s)
                pipe.zcard(name)
                pipe.expire(name, max(1, int(window_s) + 1))
                results = await pipe.execute()
        return int(results[2])

    async def restore(self, key: str, offences: dict[str, float], window_s: float) -> None:
        name = f"{self._prefix}:offence:{key}"
        if not offences:
            return
        async with self._gate.mapped("offences"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zadd(name, {f"{at:.6f}:{origin}": at for origin, at in offences.items()})
                pipe.expire(name, max(1, int(window_s) + 1))
                await pipe.execute()


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
        self._gate = _Gate()
        self.offences = RedisOffenceCounter(redis, prefix, self._gate)
        self._stream = f"{prefix}:frames"
        self._reader: asyncio.Task[None] | None = None
        self._position: str | None = None
        self._receivers: dict[str, list[Receiver]] = {}
        self._seen = RecentKeys()
        self._epoch: str | None = None
        self.reading = False
        # this node's name among the readers, and the chat messages it published that a
        # reader may not have read yet: appended again if Redis comes back without them
        self._node = uuid.uuid4().hex
        self._unread = Unread(RETAIN_S)
        self._reported = float("-inf")  # monotonic time of the last position report
        # Redis lost its data and what the node knows is not all put back yet (`_restore`)
        self._restore_due = False
        # Called after the reader got Redis back: `lost` when Redis lost its data meanwhile.
        self.on_reconnect: list[Callable[[bool], Awaitable[None]]] = []

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisState:
        return cls(Redis.from_url(url), owns_client=True, **kwargs)

    # --- presence ---
    async def set_presence(self, shop: str, user: str, role: UserRole, status: PresenceStatus,
                           ttl_s: float) -> None:
        value = json.dumps({"role": str(role), "status": status,
                            "expires": self._clock() + ttl_s})
        async with self._gate.mapped("presence"):
            await self._redis.hset(f"{self._p}:presence:{shop}", user, value)

    async def clear_presence(self, shop: str, user: str) -> None:
        async with self._gate.mapped("presence"):
            await self._redis.hdel(f"{self._p}:presence:{shop}", user)

    async def presence(self, shop: str) -> list[PresenceEntry]:
        key = f"{self._p}:presence:{shop}"
        async with self._gate.mapped("presence"):
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
        async with self._gate.mapped("handler"):
            raw = await self._redis.get(f"{self._p}:handler:{conversation}")
        return _handler(raw)

    async def assign(self, shop: str, conversation: str, handler: Handler | None
                     ) -> Handler | None:
        value = json.dumps({"user": handler.user, "role": str(handler.role)}) if handler else ""
        async with self._gate.mapped("assign"):
            previous = await self._redis.eval(
                _ASSIGN, 1, f"{self._p}:handler:{conversation}",
                f"{self._p}:assigned:{shop}:", value, conversation)
        return _handler(previous)

    async def claim(self, shop: str, conversation: str, handler: Handler) -> bool:
        value = json.dumps({"user": handler.user, "role": str(handler.role)})
        async with self._gate.mapped("assign"):
            claimed = await self._redis.eval(
                _CLAIM, 1, f"{self._p}:handler:{conversation}",
                f"{self._p}:assigned:{shop}:{handler.user}", value, conversation)
        return bool(claimed)

    async def loads(self, shop: str, users: Iterable[str]) -> dict[str, int]:
        names = list(users)
        if not names:
            return {}
        async with self._gate.mapped("load"):
            async with self._redis.pipeline(transaction=False) as pipe:
                for user in names:
                    pipe.scard(f"{self._p}:assigned:{shop}:{user}")
                counts = await pipe.execute()
        return {user: int(count) for user, count in zip(names, counts, strict=True)}

    async def assigned(self, shop: str, user: str) -> list[str]:
        async with self._gate.mapped("assigned"):
            members = await self._redis.smembers(f"{self._p}:assigned:{shop}:{user}")
        return sorted(_text(m) for m in members)

    # --- reception queue ---
    async def enqueue(self, shop: str, conversation: str, *, front: bool = False) -> int:
        async with self._gate.mapped("queue"):
            length = await self._redis.eval(
                _ENQUEUE, 2, f"{self._p}:queue:{shop}", f"{self._p}:queue-seq:{shop}",
                conversation, "1" if front else "0")
        return int(length)

    async def dequeue(self, shop: str) -> str | None:
        async with self._gate.mapped("queue"):
            popped = await self._redis.zpopmin(f"{self._p}:queue:{shop}")
        return _text(popped[0][0]) if popped else None

    async def queue_length(self, shop: str) -> int:
        async with self._gate.mapped("queue"):
            return int(await self._redis.zcard(f"{self._p}:queue:{shop}"))

    async def queued(self, shop: str, conversation: str) -> bool:
        async with self._gate.mapped("queue"):
            return await self._redis.zscore(f"{self._p}:queue:{shop}", conversation) is not None

    # --- sticky routing ---
    async def stick(self, conversation: str, ttl_s: float) -> None:
        async with self._gate.mapped("sticky"):
            await self._redis.set(f"{self._p}:sticky:{conversation}", "1",
                                  px=max(1, int(ttl_s * 1000)))

    async def sticky(self, conversation: str) -> bool:
        async with self._gate.mapped("sticky"):
            return bool(await self._redis.exists(f"{self._p}:sticky:{conversation}"))

    # --- acknowledgements ---
    async def require_ack(self, shop: str, user: str, conversation: str,
                          ack: PendingAck) -> None:
        value = json.dumps(ack.to_dict(), ensure_ascii=False)
        async with self._gate.mapped("acks"):
            await self._redis.hset(f"{self._p}:acks:{shop}:{user}", conversation, value)

    async def pending_acks(self, shop: str, user: str) -> dict[str, PendingAck]:
        async with self._gate.mapped("acks"):
            raw = await self._redis.hgetall(f"{self._p}:acks:{shop}:{user}")
        result = {}
        for conversation, value in raw.items():
            data = json.loads(value)
            result[_text(conversation)] = PendingAck.from_dict(data)
        return result

    async def clear_ack(self, shop: str, user: str, conversation: str) -> None:
        async with self._gate.mapped("acks"):
            await self._redis.hdel(f"{self._p}:acks:{shop}:{user}", conversation)

    # --- held drafts: a deadline beside each (every node agrees on expiry, and expired ones
    # can still be handed back to be logged); the hash itself outlives its newest draft a little
    async def hold(self, shop: str, user: str, draft: HeldDraft, ttl_s: float) -> None:
        key = f"{self._p}:held:{shop}:{user}"
        value = json.dumps({**draft.to_dict(), "expires": self._clock() + ttl_s},
                           ensure_ascii=False)
        async with self._gate.mapped("held"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, draft.message_id, value)
                pipe.expire(key, int(ttl_s) + _GRACE_S, gt=True)
                pipe.expire(key, int(ttl_s) + _GRACE_S, nx=True)
                await pipe.execute()

    async def held(self, shop: str, user: str) -> list[HeldDraft]:
        async with self._gate.mapped("held"):
            raw = await self._redis.hgetall(f"{self._p}:held:{shop}:{user}")
        now = self._clock()
        entries = sorted((json.loads(v) for v in raw.values()), key=lambda d: d["expires"])
        return [HeldDraft.from_dict(d) for d in entries if d["expires"] > now]

    async def take_held(self, shop: str, user: str, message_id: str) -> HeldDraft | None:
        async with self._gate.mapped("held"):
            raw = await self._redis.eval(_TAKE, 1, f"{self._p}:held:{shop}:{user}", message_id)
        if raw is None:
            return None
        data = json.loads(raw)
        return HeldDraft.from_dict(data) if data["expires"] > self._clock() else None

    async def expire_held(self, shop: str, user: str, *, everything: bool = False
                          ) -> list[HeldDraft]:
        key = f"{self._p}:held:{shop}:{user}"
        async with self._gate.mapped("held"):
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
        async with self._gate.mapped("held"):
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
        async with self._gate.mapped("intercepted"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, message_id, value)
                pipe.expire(key, int(ttl_s) + _GRACE_S)
                await pipe.execute()

    async def intercepted(self, shop: str, user: str, message_id: str) -> Intercepted | None:
        async with self._gate.mapped("intercepted"):
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
        async with self._gate.mapped("assist"):
            if on:
                await self._redis.sadd(key, conversation)
            else:
                await self._redis.srem(key, conversation)

    async def assist(self, shop: str, user: str, conversation: str) -> bool:
        async with self._gate.mapped("assist"):
            return bool(await self._redis.sismember(
                f"{self._p}:assist:{shop}:{user}", conversation))

    # --- recent messages ---
    async def append_history(self, conversation: str, entry: HistoryEntry, keep: int, *,
                             publish: Publication | None = None) -> None:
        key = f"{self._p}:history:{conversation}"
        value = json.dumps(entry.to_dict(), ensure_ascii=False)
        if publish is not None:
            await self._publish(publish, "history", (key, value, keep))
            return
        async with self._gate.mapped("history"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.rpush(key, value)
                pipe.ltrim(key, -keep, -1)
                await pipe.execute()

    async def history(self, conversation: str, limit: int) -> list[HistoryEntry]:
        if limit <= 0:
            return []
        async with self._gate.mapped("history"):
            raw = await self._redis.lrange(f"{self._p}:history:{conversation}", -limit, -1)
        return [HistoryEntry.from_dict(json.loads(item)) for item in raw]

    # --- delivery across nodes ---
    async def subscribe(self, address: str, receiver: Receiver) -> _RedisSubscription:
        if self._reader is None or self._reader.done():
            async with self._gate.mapped("subscribe"):
                if self._position is None:
                    # from now on (one millisecond early: an entry of this very millisecond
                    # must not be skipped; an extra older one is harmless)
                    seconds, micros = await self._redis.time()
                    self._position = f"{seconds * 1000 + micros // 1000 - 1}-0"
                await self._check_epoch()
            self.reading = True
            self._reader = asyncio.create_task(self._read(), name="frames reader")
        self._receivers.setdefault(address, []).append(receiver)
        return _RedisSubscription(self, address, receiver)

    async def _unsubscribe(self, address: str, receiver: Receiver) -> None:
        receivers = self._receivers.get(address, [])
        if receiver in receivers:
            receivers.remove(receiver)
        if not receivers:
            self._receivers.pop(address, None)

    async def _read(self) -> None:
        """Hand every stream entry after `_position` to this node's receivers, in order; after
        a failure, resume from the same position once Redis answers again."""
        outage = False
        while True:
            try:
                if outage:
                    await self._restore()
                    outage, self.reading, self._gate.closed = False, True, False
                assert self._position is not None
                if time.monotonic() - self._reported >= REPORT_S:
                    await self._report_position()
                # the epoch with every read: a reader busy handing out its batch while Redis
                # restarted meets no error (the client connects again), only a new dataset
                async with self._redis.pipeline(transaction=False) as pipe:
                    pipe.get(f"{self._p}:epoch")
                    pipe.xread({self._stream: self._position}, count=READ_BATCH, block=1000)
                    epoch, read = await pipe.execute()
                if epoch is None or _text(epoch) != self._epoch:
                    self._stale_epoch()
                    outage = True  # nothing of the new dataset is handed out before _restore
                    continue
                batches: list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]] = read
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, StateUnavailable) as exc:
                if not outage:
                    log.error("frames reader lost Redis: %s", exc)
                elif self._restore_due:
                    log.error("Redis failed again while the node put back what it lost (%s): "
                              "all of it is put back again once Redis answers", exc)
                outage, self.reading, self._gate.closed = True, False, True
                await asyncio.sleep(RETRY_S)
                continue
            for _, entries in batches:
                for entry_id, fields in entries:
                    self._position = _text(entry_id)
                    await self._hand_out(fields)

    async def _hand_out(self, fields: dict[bytes, bytes]) -> None:
        address = _text(fields[b"a"])
        receivers = self._receivers.get(address)
        if not receivers:
            return
        raw_key = fields.get(b"k")
        key = _text(raw_key) if raw_key else None
        if key is not None and not self._seen.first_time(address, key):
            return
        payload = _text(fields[b"f"])
        for receiver in list(receivers):
            try:
                await receiver(payload, key)
            except Exception:  # one broken socket must not stop delivery to the others
                log.exception("delivery to %s failed", address)

    async def _restore(self) -> None:
        """Redis answers again after an outage: if it lost its data (now, or in an outage whose
        restore did not finish), append again the unread chat messages and let the callbacks
        put back what the node knows. Due until all of it succeeded: the epoch says the data
        was lost only to the first look after the restart, so a restore cut short by Redis
        failing again must stay due, or what it had not put back yet stays lost. A Redis
        failure in a callback raises (another outage, retried in full: putting back is
        idempotent); any other failure of one callback is logged and the others go on."""
        lost = await self._check_epoch()
        log.info("frames reader resumed at %s%s", self._position,
                 " (Redis lost its data)" if lost else
                 " (retrying the restore of what Redis lost)" if self._restore_due else "")
        self._restore_due = self._restore_due or lost
        token = _restoring.set(True)
        try:
            if self._restore_due:
                await self._republish()
            for callback in list(self.on_reconnect):
                try:
                    await callback(self._restore_due)
                except (RedisError, OSError, StateUnavailable):
                    raise
                except Exception:
                    log.exception("after reconnecting to Redis")
        finally:
            _restoring.reset(token)
        self._restore_due = False

    async def _report_position(self) -> None:
        """Tell the other nodes how far this reader got, and learn how far the slowest live one
        did: what every reader passed need not be kept for publishing again."""
        key, now = f"{self._p}:readers", self._clock()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, self._node, f"{self._position} {now + REPORT_TTL_S}")
            pipe.hgetall(key)
            _, raw = await pipe.execute()
        positions, gone = [], []
        for node, value in raw.items():
            position, _, expires = _text(value).partition(" ")
            if float(expires) > now:
                positions.append(stream_id(position))
            else:  # a node that stopped reporting (it died) holds nothing back
                gone.append(node)
        if gone:
            await self._redis.hdel(key, *gone)
        self._unread.read_up_to(min(positions) if positions else None)
        self._reported = time.monotonic()

    async def _republish(self) -> None:
        """Redis came back without the stream: append again the chat messages this node
        published that a reader may not have read (a recipient that had drops the copy)."""
        pending = self._unread.pending()
        if pending:
            async with self._redis.pipeline(transaction=False) as pipe:
                for publication in pending:
                    self._append_frame(pipe, publication)
                ids = await pipe.execute()
            self._unread.replace(zip((_text(i) for i in ids), pending, strict=True))
            log.warning("Redis lost its data: published again %d chat messages a node may not "
                        "have read yet", len(pending))

    async def _check_epoch(self) -> bool:
        """Whether Redis lost its data since this node last looked (a restart without
        persistence): the epoch key is set once per dataset."""
        await self._redis.set(f"{self._p}:epoch", uuid.uuid4().hex, nx=True)
        epoch = _text(await self._redis.get(f"{self._p}:epoch"))
        lost = self._epoch is not None and epoch != self._epoch
        self._epoch = epoch
        return lost

    async def publish(self, address: str, payload: str, *, key: str | None = None) -> None:
        await self._publish(Publication(address, payload, key), "publish")

    async def _publish(self, publication: Publication, what: str,
                       history: tuple[str, str, int] | None = None) -> None:
        """Append one frame (and its transcript entry) if Redis still holds the dataset this
        node knows; otherwise it lost its data since: closed until the reader put back what
        this node published before (`_restore`), so a reader never gets a newer message of
        this node before an older one."""
        async with self._gate.mapped(what):
            if self._epoch is None:
                await self._check_epoch()
            keys = [f"{self._p}:epoch", self._stream]
            args: list[str | int] = [
                self._epoch or "", int((time.time() - RETAIN_S) * 1000), publication.address,
                publication.payload, publication.key or ""]
            if history is not None:
                keys.append(history[0])
                args.extend(history[1:])
            entry_id = await self._redis.eval(_PUBLISH, len(keys), *keys, *args)
        if entry_id is None:
            if self._reader is None or self._reader.done():
                # no reader (no socket here) to restore through: put back its unread messages
                # now, and the caller retries
                async with self._gate.mapped(what):
                    await self._check_epoch()
                    await self._republish()
            else:
                self._stale_epoch()
            raise StateUnavailable("共享状态（Redis）暂时不可用，请稍后重试")
        self._unread.add(_text(entry_id), publication)

    def _stale_epoch(self) -> None:
        """Redis lost its data and this node's reader has not noticed yet (it was busy, and
        its connection was made again without an error): closed until it restored."""
        if not self._gate.closed:
            log.warning("Redis lost its data: closed until the frames reader put back what "
                        "this node knows")
        self._gate.closed, self.reading = True, False

    def _append_frame(self, target: Any, publication: Publication) -> Any:
        """XADD one frame (on the client, or queued in a transaction), the stream trimmed to
        the last RETAIN_S seconds."""
        fields = {"a": publication.address, "f": publication.payload}
        if publication.key is not None:
            fields["k"] = publication.key
        oldest = int((time.time() - RETAIN_S) * 1000)
        return target.xadd(self._stream, fields, minid=oldest, approximate=True)

    # --- configuration version ---
    async def set_policy_version(self, version: str) -> None:
        async with self._gate.mapped("policy version"):
            await self._redis.set(f"{self._p}:policy-version", version)

    async def policy_version(self) -> str | None:
        async with self._gate.mapped("policy version"):
            raw = await self._redis.get(f"{self._p}:policy-version")
        return _text(raw) if raw is not None else None

    async def ping(self) -> None:
        async with self._gate.mapped("ping"):
            await self._redis.ping()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
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

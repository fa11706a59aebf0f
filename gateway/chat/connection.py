"""One websocket connection: who it is, what it holds, and its outgoing frames.

What the agent has pending — held drafts, unacknowledged warnings, appealable messages — is not
here but in the shared state, keyed by shop and user, so a reload, a second tab or another node
sees it.
Frames to the client go through one outbox drained by one writer task, so frames published from
other connections never interleave or block the sender's own loop. `send(frame)` is the one way a
gateway frame reaches a socket (serialised by `protocol.dump`); `forward(text)` queues text that
already is a frame: one `dump`ed on another node (the Hub) or the upstream server's (proxy mode).
A buyer that reconnects is first given the messages it missed (`hold`, then `replay`): frames
arriving meanwhile wait behind them, and a message replayed is not forwarded again.

Closing (`close`) queues the close code behind the frames already queued, so they go first;
nothing queued after it is sent. A client OUTBOX_LIMIT frames behind is closed with 1008 and
its unread frames are dropped, so the close is next (docs/protocol.md); the writer is left
alone, so the frame it is waiting to write goes out once the client reads, and the close frame
after it (cancelling it, as before issue 18, meant no close frame at all). A client that does
not take its close within `close_timeout` (it stopped reading altogether) is given up: `closed`
stops the writer and `receive` stops waiting for the client, so its socket, task and presence
end instead of waiting for it forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from typing import Any

from starlette.types import Message
from starlette.websockets import WebSocket

from gateway.auth import Principal
from gateway.chat.conversation import address_of
from gateway.chat.ratelimit import TokenBucket
from gateway.chat.upstream import UpstreamLink
from gateway.protocol import CloseCode, Frame, PresenceStatus, dump
from gateway.state import HistoryEntry

log = logging.getLogger("replyguard.session")

OUTBOX_LIMIT = 1000
# How many intercepted message ids a connection remembers for putting state back.
REMEMBERED = 500
# How many of its latest accepted message ids a connection refuses to see again (ids are unique
# per sender; a reused one would make two verdicts, records and appeals answer to one id).
RECENT_IDS = 1000
# How many messages of a queued buyer a connection keeps for putting them back (the transcript
# keeps REPLYGUARD_HISTORY_SIZE, 20 by default, anyway).
UNHANDLED_KEPT = 100


class Connection:
    def __init__(self, websocket: WebSocket, principal: Principal, bucket: TokenBucket,
                 close_timeout: float) -> None:
        self.websocket = websocket
        self.principal = principal
        self.address = address_of(principal)
        self.bucket = bucket
        self.status: PresenceStatus = "online"
        # conversations assigned to this (agent or bot) connection's user, as the `assigned`
        # and `unassigned` frames told it: what the node puts back if Redis loses them
        self.conversations: set[str] = set()
        # the conversations among them where the agent has bot-assist on (as `assigned`,
        # `assist-off` and its own `assist` actions told it), put back the same way
        self.assist: set[str] = set()
        # a buyer: when it was told `queued` (None: not waiting, or picked up / routed since),
        # so the node can queue it again, in order, if Redis loses the queue
        self.queued_at: float | None = None
        # a buyer: its messages accepted while its conversation had no handler, oldest first
        # (only the transcript holds them until an agent is handed the conversation), put back
        # into the transcript if Redis loses it
        self.unhandled: list[HistoryEntry] = []
        # message id → (record id, conversation) of the messages it wrote that were intercepted,
        # newest last: the log has everything else of them, but not the message id the client
        # uses, so this is how the node puts warnings and drafts back if Redis loses them
        self.intercepted: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._recent_ids: OrderedDict[str, None] = OrderedDict()
        # unbounded: `forward` keeps the frames to OUTBOX_LIMIT, and the close code always fits
        self._outbox: asyncio.Queue[str | CloseCode] = asyncio.Queue()
        # while a replay is read: the frames that arrive meanwhile, (payload, key), in order
        self._backlog: list[tuple[str, str | None]] | None = None
        # keys of the messages replayed to this connection: each reaches it once
        self._replayed: set[str] = set()
        self._writer: asyncio.Task[None] | None = None
        self.closing = False
        self.close_timeout = close_timeout
        # once closing: the event-loop time by which the client must have taken the close
        self._deadline: float | None = None
        # while `receive` waits for the client: its timeout, which `close` sets to the deadline
        self._receiving: asyncio.Timeout | None = None
        # Proxy mode: where this agent's released messages go (instead of a local buyer).
        self.upstream: UpstreamLink | None = None

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write(), name=f"writer {self.address}")

    def send(self, frame: Frame) -> None:
        """Queue one frame for the client."""
        self.forward(dump(frame))

    def forward(self, payload: str, key: str | None = None) -> None:
        """Queue one frame's JSON text (`key`: a chat message's, `message_key`); a client that
        falls this far behind is closed."""
        if self.closing or (key is not None and key in self._replayed):
            return
        if self._backlog is not None:
            self._backlog.append((payload, key))
            return
        if self._outbox.qsize() >= OUTBOX_LIMIT:
            self._overflow()
            return
        self._outbox.put_nowait(payload)

    def hold(self) -> None:
        """Keep the frames that arrive from now on until `replay`."""
        self._backlog = []

    def replay(self, missed: list[tuple[str, str | None]]) -> None:
        """Queue the missed frames, (payload, key) oldest first (key None: a notice, not a
        message), then what was held since `hold`, each message once."""
        backlog, self._backlog = self._backlog or [], None
        for payload, key in missed:
            self.forward(payload, key)
            if key is not None:
                self._replayed.add(key)
        for payload, held_key in backlog:
            self.forward(payload, held_key)

    def _overflow(self) -> None:
        """The client stopped reading: drop what it has not read, so the close is next."""
        dropped = 0
        while not self._outbox.empty():
            self._outbox.get_nowait()
            dropped += 1
        log.warning("closing %s with 1008: %d frames unread, dropped", self.address, dropped)
        self.close(CloseCode.POLICY_VIOLATION)

    def close(self, code: CloseCode) -> None:
        """Send the queued frames, then close with `code`; the client has `close_timeout` to
        take them."""
        if self.closing:
            return
        if self._backlog is not None:
            self.replay([])
            if self.closing:  # the held frames overflowed the outbox: closed with 1008
                return
        self.closing = True
        self._outbox.put_nowait(code)
        self._deadline = asyncio.get_running_loop().time() + self.close_timeout
        if self._receiving is not None:
            self._receiving.reschedule(self._deadline)

    async def receive(self) -> Message:
        """The client's next message. Once closing, a client that has not taken the close by
        the deadline raises TimeoutError: it is given up."""
        async with asyncio.timeout(self._deadline) as self._receiving:
            try:
                return await self.websocket.receive()
            finally:
                self._receiving = None

    async def closed(self) -> None:
        """After `close`: wait until the close frame went out, or the deadline passed (the
        writer is then stopped: the client is given up)."""
        if self._writer is None or self._deadline is None:
            return
        remaining = self._deadline - asyncio.get_running_loop().time()
        if remaining > 0:  # `wait` neither raises the writer's end nor cancels it
            await asyncio.wait({self._writer}, timeout=remaining)
        if not self._writer.done():
            log.warning("gave up %s: it did not take its close within %g s", self.address,
                        self.close_timeout)
            await self.stop()

    async def stop(self) -> None:
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    def remember(self, message_id: str, record_id: str, conversation: str) -> None:
        self.intercepted[message_id] = (record_id, conversation)
        while len(self.intercepted) > REMEMBERED:
            self.intercepted.popitem(last=False)

    def observe(self, frame: dict[str, Any]) -> None:
        """Note what a frame for this client says about what it holds (the Hub passes the
        few frames that matter: assignments and gateway notices)."""
        kind, conversation = frame.get("type"), str(frame.get("conversation"))
        if kind == "assigned":
            self.conversations.add(conversation)
            self.set_assist(conversation, bool(frame.get("assist")))
        elif kind == "unassigned":
            self.conversations.discard(conversation)
            self.assist.discard(conversation)
        elif kind == "system":
            code = frame.get("code")
            if code == "assist-off":
                self.assist.discard(conversation)
            elif code == "queued":
                self.queued_at = time.time()
            elif code in ("picked-up", "routed"):
                self.queued_at = None
                self.unhandled.clear()

    def waiting(self, entry: HistoryEntry | None) -> None:
        """A buyer message was accepted: `entry` if it waits in the transcript for an agent,
        None if it went to one (who got the conversation's history with it, so nothing waits)."""
        if entry is None:
            self.unhandled.clear()
            return
        self.unhandled.append(entry)
        del self.unhandled[:-UNHANDLED_KEPT]

    def set_assist(self, conversation: str, on: bool) -> None:
        if on:
            self.assist.add(conversation)
        else:
            self.assist.discard(conversation)
    def used(self, message_id: str) -> bool:
        """Whether one of this connection's latest RECENT_IDS accepted messages had this id."""
        return message_id in self._recent_ids

    def accepted(self, message_id: str) -> None:
        self._recent_ids[message_id] = None
        self._recent_ids.move_to_end(message_id)
        while len(self._recent_ids) > RECENT_IDS:
            self._recent_ids.popitem(last=False)

    async def _write(self) -> None:
        try:
            while True:
                item = await self._outbox.get()
                if isinstance(item, CloseCode):
                    await self.websocket.close(int(item))
                    return
                await self.websocket.send_text(item)
        except Exception:  # the peer went away: nothing left to write to
            log.debug("writer of %s stopped", self.address, exc_info=True)

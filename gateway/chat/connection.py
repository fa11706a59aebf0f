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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from typing import Any

from starlette.websockets import WebSocket

from gateway.auth import Principal
from gateway.chat.conversation import address_of
from gateway.chat.ratelimit import TokenBucket
from gateway.chat.upstream import UpstreamLink
from gateway.protocol import CloseCode, Frame, PresenceStatus, dump

log = logging.getLogger("replyguard.session")

OUTBOX_LIMIT = 1000
# How many intercepted message ids a connection remembers for putting state back.
REMEMBERED = 500
# How many of its latest accepted message ids a connection refuses to see again (ids are unique
# per sender; a reused one would make two verdicts, records and appeals answer to one id).
RECENT_IDS = 1000


class Connection:
    def __init__(self, websocket: WebSocket, principal: Principal, bucket: TokenBucket) -> None:
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
        # message id → (record id, conversation) of the messages it wrote that were intercepted,
        # newest last: the log has everything else of them, but not the message id the client
        # uses, so this is how the node puts warnings and drafts back if Redis loses them
        self.intercepted: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._recent_ids: OrderedDict[str, None] = OrderedDict()
        self._outbox: asyncio.Queue[str | CloseCode] = asyncio.Queue(OUTBOX_LIMIT)
        # while a replay is read: the frames that arrive meanwhile, (payload, key), in order
        self._backlog: list[tuple[str, str | None]] | None = None
        # keys of the messages replayed to this connection: each reaches it once
        self._replayed: set[str] = set()
        self._writer: asyncio.Task[None] | None = None
        self.closing = False
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
        try:
            self._outbox.put_nowait(payload)
        except asyncio.QueueFull:
            log.warning("closing %s: %d frames unread", self.address, OUTBOX_LIMIT)
            self.close(CloseCode.POLICY_VIOLATION)

    def hold(self) -> None:
        """Keep the frames that arrive from now on until `replay`."""
        self._backlog = []

    def replay(self, missed: list[tuple[str, str]]) -> None:
        """Queue the missed messages, (payload, key) oldest first, then what was held since
        `hold`, each message once."""
        backlog, self._backlog = self._backlog or [], None
        for payload, key in missed:
            self.forward(payload, key)
            self._replayed.add(key)
        for payload, held_key in backlog:
            self.forward(payload, held_key)

    def close(self, code: CloseCode) -> None:
        """Send the queued frames, then close with `code`."""
        if self.closing:
            return
        if self._backlog is not None:
            self.replay([])
        self.closing = True
        with contextlib.suppress(asyncio.QueueFull):
            self._outbox.put_nowait(code)
        if self._outbox.full() and self._writer is not None:
            self._writer.cancel()

    async def closed(self, timeout: float = 5.0) -> None:
        """Wait until the writer finished (after `close`)."""
        if self._writer is not None:
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._writer), timeout)

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

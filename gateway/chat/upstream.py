"""Upstream proxy mode: the gateway in front of an existing chat server.

With `REPLYGUARD_UPSTREAM_URL` set, each agent or bot connection gets an `UpstreamLink`: a
`websockets` client connection to the upstream server opened on the agent's behalf. Messages the
policy lets out go up as the `message` frames the agent wrote; a held or blocked message never
does. Everything the upstream server sends comes down to the agent untouched. The link
reconnects with exponential backoff; messages released while it is down wait, in order, in a
bounded buffer and go up when it is back (a full buffer refuses the message with
`upstream-unavailable` rather than drop it).

Delivery up is at least once, with the agent's message ids: a message leaves the buffer only
when the upstream server has read it, which a websocket pong answering a ping sent after it
proves (the server reads a connection in order). A successful `send` only means the bytes are
in the local kernel: a connection cut before the server read them (a crash, a restart, a
server too busy to read) loses them, so on reconnect everything unconfirmed goes up again, in
order, and the server may see an id twice. An agent that disconnects does not take its
released messages with it: its link stays up to `drain` seconds to get them read.

An agent that reconnects to the same node while its old link still drains gets a new link that
takes over the old one's unconfirmed messages (`take_over`): they go up first on the new link,
ahead of anything the agent writes now, and the old link stops. Otherwise the new link, up at
once, could send new messages while the old one waited out its backoff, and upstream would read
them before older ones. Per agent, the first time upstream reads each id is in the order the
messages were released (a repeat may come later).

The agent's credentials for the upstream server, if it needs any, come as `upstream_token` in
the gateway URL's query and go up as `Authorization: Bearer`; the agent's identity as checked by
the gateway goes up as `X-ReplyGuard-User`, `-Shop` and `-Role` headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Callable

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, WebSocketException

from gateway.auth import Principal
from gateway.errors import UpstreamUnavailable
from gateway.protocol import MessageIn, dump

log = logging.getLogger("replyguard.upstream")


class UpstreamLink:
    def __init__(self, url: str, principal: Principal, *, deliver: Callable[[str], None],
                 status: Callable[[str], None], token: str | None = None,
                 buffer: int = 1000, backoff: tuple[float, float] = (0.2, 10.0),
                 drain: float = 10.0) -> None:
        self.url = url
        self.principal = principal
        self._deliver = deliver  # a frame from upstream, to the agent
        self._status = status    # "connected" / "reconnecting", to tell the agent
        self._headers = {"X-ReplyGuard-User": principal.user,
                         "X-ReplyGuard-Shop": principal.shop,
                         "X-ReplyGuard-Role": str(principal.role)}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        # released messages the upstream server has not confirmed reading, oldest first; the
        # first `_sent` of them went out on the current connection, the rest wait for it
        self._queue: deque[str] = deque()
        self._sent = 0
        self._limit = buffer
        self._backoff = backoff
        self._drain = drain
        self._ws: ClientConnection | None = None
        self._lock = asyncio.Lock()  # one writer: buffered frames go up before new ones
        self._outgoing = asyncio.Event()  # something went out that awaits its confirmation
        self._confirmed = asyncio.Event()  # the queue is empty: everything was read upstream
        self._confirmed.set()
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"upstream {self.principal.user}")

    async def send(self, frame: MessageIn) -> None:
        """Send one released message up as the agent wrote it, or keep it for when the link is
        back; either way it stays queued until upstream confirms it. Raises
        UpstreamUnavailable when the buffer is full (the message was not sent; the agent may
        retry)."""
        payload = dump(frame)
        async with self._lock:
            if len(self._queue) >= self._limit:
                raise UpstreamUnavailable("上游聊天服务器暂时无法连接，消息未发送，请稍后重试",
                                          frame_id=frame.id)
            self._queue.append(payload)
            self._confirmed.clear()
            if self._ws is not None and self._sent == len(self._queue) - 1:
                try:
                    await self._ws.send(payload)
                except WebSocketException:
                    self._ws = None  # the reader notices too, reconnects and sends it then
                else:
                    self._sent += 1
                    self._outgoing.set()

    async def take_over(self, old: UpstreamLink) -> None:
        """Before `start`: the same agent's previous link, still draining, hands over what
        upstream has not confirmed; it goes up first, in order."""
        self._queue.extend(await old._hand_over())
        if self._queue:
            self._confirmed.clear()

    async def _hand_over(self) -> list[str]:
        """Stop this (draining) link now and give up its unconfirmed messages, oldest first;
        its `close` then ends with nothing left to report."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        async with self._lock:
            queue = list(self._queue)
            self._queue.clear()
            self._sent = 0
        self._confirmed.set()
        return queue

    async def close(self) -> None:
        """The agent left: wait up to `drain` s for upstream to confirm what it was told was
        delivered, then stop the link. What upstream sends meanwhile has nobody to reach."""
        self._deliver = self._status = _nobody
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._confirmed.wait(), self._drain)
        finally:
            if self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            if self._queue:
                log.error("%d released messages of agent %s never confirmed by upstream %s "
                          "within %g s of the agent leaving: %s", len(self._queue),
                          self.principal.user, self.url, self._drain, list(self._queue))

    async def _run(self) -> None:
        delay = self._backoff[0]
        announced_down = False
        while True:
            try:
                async with connect(self.url, additional_headers=self._headers,
                                   open_timeout=10) as ws:
                    async with self._lock:
                        # what the last connection may have lost goes up again, in order
                        self._sent = 0
                        for payload in self._queue:
                            await ws.send(payload)
                            self._sent += 1
                        self._ws = ws
                    if self._sent:
                        self._outgoing.set()
                    confirming = asyncio.create_task(self._confirm(ws))
                    self.connected.set()
                    delay = self._backoff[0]
                    if announced_down:
                        self._status("connected")
                        announced_down = False
                    try:
                        async for message in ws:
                            self._deliver(message if isinstance(message, str) else
                                          message.decode("utf-8", "replace"))
                    finally:
                        confirming.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await confirming
            except (OSError, TimeoutError, InvalidHandshake, WebSocketException) as exc:
                log.warning("upstream %s for %s: %s; retrying in %.1f s", self.url,
                            self.principal.user, exc, delay)
            self._ws = None
            self.connected.clear()
            if not announced_down:
                self._status("reconnecting")
                announced_down = True
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, self._backoff[1])

    async def _confirm(self, ws: ClientConnection) -> None:
        """While `ws` is up: ping after what went out, and when the pong comes, drop what was
        sent before the ping from the queue (upstream has read it)."""
        with contextlib.suppress(WebSocketException):  # the reader sees the close and retries
            while True:
                await self._outgoing.wait()
                self._outgoing.clear()
                sent = self._sent
                await (await ws.ping())
                # `_sent` only grows on this connection, and `_run` resets it only after this
                # task ended, so the first `sent` entries are the ones the pong confirms
                for _ in range(sent):
                    self._queue.popleft()
                self._sent -= sent
                if not self._queue:
                    self._confirmed.set()


def _nobody(frame: str) -> None:
    """Where a link whose agent left sends what comes down: the agent's socket is gone."""

"""Upstream proxy mode: the gateway in front of an existing chat server.

With `REPLYGUARD_UPSTREAM_URL` set, each agent or bot connection gets an `UpstreamLink`: a
`websockets` client connection to the upstream server opened on the agent's behalf. Messages the
policy lets out go up as the `message` frames the agent wrote; a held or blocked message never
does. Everything the upstream server sends comes down to the agent untouched. The link
reconnects with exponential backoff; messages released while it is down wait, in order, in a
bounded buffer and go up when it is back (a full buffer refuses the message with
`upstream-unavailable` rather than drop it).

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
                 buffer: int = 1000, backoff: tuple[float, float] = (0.2, 10.0)) -> None:
        self.url = url
        self.principal = principal
        self._deliver = deliver  # a frame from upstream, to the agent
        self._status = status    # "connected" / "reconnecting", to tell the agent
        self._headers = {"X-ReplyGuard-User": principal.user,
                         "X-ReplyGuard-Shop": principal.shop,
                         "X-ReplyGuard-Role": str(principal.role)}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._pending: deque[str] = deque()
        self._limit = buffer
        self._backoff = backoff
        self._ws: ClientConnection | None = None
        self._lock = asyncio.Lock()  # one writer: buffered frames go up before new ones
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"upstream {self.principal.user}")

    async def send(self, frame: MessageIn) -> None:
        """Send one released message up as the agent wrote it, or keep it for when the link is
        back. Raises UpstreamUnavailable when the buffer is full (the message was not sent; the
        agent may retry)."""
        payload = dump(frame)
        async with self._lock:
            if self._ws is not None and not self._pending:
                try:
                    await self._ws.send(payload)
                    return
                except WebSocketException:
                    self._ws = None  # the reader notices too and reconnects
            if len(self._pending) >= self._limit:
                raise UpstreamUnavailable("上游聊天服务器暂时无法连接，消息未发送，请稍后重试",
                                          frame_id=frame.id)
            self._pending.append(payload)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._pending:
            log.warning("%d frames for upstream dropped: agent %s disconnected first",
                        len(self._pending), self.principal.user)

    async def _run(self) -> None:
        delay = self._backoff[0]
        announced_down = False
        while True:
            try:
                async with connect(self.url, additional_headers=self._headers,
                                   open_timeout=10) as ws:
                    async with self._lock:
                        while self._pending:
                            await ws.send(self._pending[0])
                            self._pending.popleft()
                        self._ws = ws
                    self.connected.set()
                    delay = self._backoff[0]
                    if announced_down:
                        self._status("connected")
                        announced_down = False
                    async for message in ws:
                        self._deliver(message if isinstance(message, str) else
                                      message.decode("utf-8", "replace"))
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

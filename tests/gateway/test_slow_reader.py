"""A client that stops reading its frames, on real sockets (uvicorn serving the app, the
`websockets` client): docs/protocol.md says that at 1,000 unread frames the unread ones are
dropped and the close (1008) is sent next, and a client that does not even take the close is
released after `REPLYGUARD_CLOSE_TIMEOUT_S`.

Small socket buffers (the client's receive buffer, the server's send buffer, set on the
listening socket its accepted sockets inherit) and a client queue of one frame make a client
that stops reading stall the server's writer after a few dozen frames instead of megabytes."""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from classifiers.scorer import Scorer
from gateway.app import create_app
from gateway.auth import TokenService, UserRole
from gateway.chat.connection import OUTBOX_LIMIT, Connection
from gateway.runtime import Gateway
from gateway.server import GatewayServer, uvicorn_config
from gateway.settings import Settings
from tests.conftest import TEST_SECRET

CLOSE_TIMEOUT_S = 1.0
# An agent reply long enough that the socket buffers hold few of them (well under the
# 8 KiB frame limit; tier none: delivered to the buyer).
REPLY = "亲，您的订单已经发货了，预计三天内送达，请注意查收快递，有问题随时联系我们哦。" * 8


@dataclass(frozen=True)
class Served:
    port: int
    gateway: Gateway
    server: uvicorn.Server

    def sockets(self) -> int:
        """The sockets uvicorn holds open."""
        return len(self.server.server_state.connections)


@asynccontextmanager
async def serving(settings: Settings, scorer: Scorer) -> AsyncIterator[Served]:
    """The app under uvicorn as `replyguard serve` runs it (its shutdown drains the gateway:
    1001 to every socket), on a listening socket with a small send buffer."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    listener.bind(("127.0.0.1", 0))
    app = create_app(settings, scorer=scorer)
    server = GatewayServer(uvicorn_config(app, settings), [app])
    serving_task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        assert not serving_task.done(), "uvicorn did not start"
        await asyncio.sleep(0.01)
    try:
        yield Served(listener.getsockname()[1], app.state.gateway, server)
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(serving_task, 30)
        finally:
            gc.unfreeze()  # what GatewayServer froze for a long-running process


async def slow_client(port: int, token: str) -> ClientConnection:
    """A client that reads only when asked to: a one-frame queue on a small receive buffer."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # before connect: the window
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return await connect(f"ws://127.0.0.1:{port}/ws?token={token}", sock=sock, max_queue=1,
                         compression=None)


def abort(ws: ClientConnection) -> None:
    """Drop the client's socket (so that the server's shutdown need not wait for it)."""
    ws.transport.abort()


async def recv(ws: ClientConnection) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
    return frame


def buyer_connection(gateway: Gateway) -> Connection | None:
    return next((c for c in gateway.hub.connections() if c.principal.user == "b1"), None)


async def flood(served: Served, limit: int = OUTBOX_LIMIT * 3) -> tuple[ClientConnection, int]:
    """The buyer opens a conversation and stops reading; its agent replies until the gateway
    gives up on the buyer (closes it), or `limit` replies. Returns the buyer's socket and the
    replies sent."""
    tokens, port, gateway = TokenService(TEST_SECRET), served.port, served.gateway
    url = f"ws://127.0.0.1:{port}/ws?token="
    buyer = await slow_client(port, tokens.issue(UserRole.BUYER, "b1", "s1", 60))
    async with connect(url + tokens.issue(UserRole.AGENT, "a1", "s1", 60)) as agent:
        await buyer.send(json.dumps({"type": "message", "id": "m1", "text": "在吗"}))
        assert (await recv(buyer))["type"] == "verdict"
        while (await recv(agent))["type"] != "message":
            pass

        verdicts = 0

        async def read_verdicts() -> None:
            nonlocal verdicts
            async for raw in agent:
                frame = json.loads(raw)
                assert frame["type"] == "verdict" and frame["delivered"], frame
                verdicts += 1

        reading = asyncio.create_task(read_verdicts())
        sent = 0
        while (connection := buyer_connection(gateway)) is not None and not connection.closing \
                and sent < limit:
            for _ in range(50):
                await agent.send(json.dumps({"type": "message", "id": f"r{sent}",
                                             "conversation": "s1:b1", "text": REPLY}))
                sent += 1
            while verdicts < sent:  # each reply handled, so its frame is queued for the buyer
                await asyncio.sleep(0.01)
        reading.cancel()
    return buyer, sent


def settings_for(gateway_settings: Settings) -> Settings:
    return gateway_settings.model_copy(update={"rate_per_s": 100_000.0, "rate_burst": 100_000,
                                               "close_timeout_s": CLOSE_TIMEOUT_S})


def test_a_slow_reader_reads_what_remains_then_the_close_1008(
        gateway_settings: Settings, scorer: Scorer) -> None:
    async def scenario() -> tuple[int, int, int]:
        async with serving(settings_for(gateway_settings), scorer) as served:
            buyer, sent = await flood(served)
            received = 0
            try:
                with pytest.raises(ConnectionClosed) as closed:
                    while True:  # the client reads again, well within the close timeout
                        frame = await recv(buyer)
                        assert frame["type"] == "message", frame
                        received += 1
            finally:
                abort(buyer)
            assert closed.value.rcvd is not None, "no close frame: the socket was dropped"
            return sent, received, closed.value.rcvd.code

    sent, received, code = asyncio.run(scenario())
    assert sent < OUTBOX_LIMIT * 3, "the gateway never gave up on the buyer"
    assert code == 1008
    # the frames the socket buffers held arrived; the 1,000 unread ones were dropped
    assert 0 < received <= sent - OUTBOX_LIMIT


def test_a_client_that_never_reads_is_released_within_the_close_timeout(
        gateway_settings: Settings, scorer: Scorer) -> None:
    async def scenario() -> tuple[float, float]:
        async with serving(settings_for(gateway_settings), scorer) as served:
            buyer, _ = await flood(served)
            gave_up = time.monotonic()
            try:
                # it neither reads nor writes: its connection, then its socket, are let go
                while buyer_connection(served.gateway) is not None or served.sockets():
                    assert time.monotonic() - gave_up < CLOSE_TIMEOUT_S + 5, "never released"
                    await asyncio.sleep(0.05)
                released = time.monotonic() - gave_up
                assert not buyer.transport.is_closing()  # the client still holds its socket
                stopping = time.monotonic()
            except BaseException:
                abort(buyer)
                raise
        shutdown = time.monotonic() - stopping  # the server did not wait for the client
        abort(buyer)
        return released, shutdown

    released, shutdown = asyncio.run(scenario())
    assert released <= CLOSE_TIMEOUT_S + 1
    assert shutdown < 5


def test_a_client_that_never_reads_does_not_hold_up_shutdown(
        gateway_settings: Settings, scorer: Scorer) -> None:
    async def scenario() -> float:
        async with serving(settings_for(gateway_settings), scorer) as served:
            buyer, sent = await flood(served, limit=OUTBOX_LIMIT // 4)
            connection = buyer_connection(served.gateway)
            # behind, not yet over the limit: the shutdown's 1001 waits behind its frames
            assert connection is not None and not connection.closing, sent
            stopping = time.monotonic()
        shutdown = time.monotonic() - stopping
        abort(buyer)
        return shutdown

    assert asyncio.run(scenario()) <= CLOSE_TIMEOUT_S + 2

"""A shutdown is not held up by an HTTP request that never ends (a client that stopped in the
middle of its upload): uvicorn waits for such a request only `shutdown_timeout_s`, then cancels
it, and the gateway still closes in order (log flushed and closed, Redis and state released)."""

from __future__ import annotations

import asyncio
import socket
import time

from classifiers.scorer import Scorer
from gateway.settings import Settings
from tests.gateway.test_slow_reader import serving

SHUTDOWN_TIMEOUT_S = 1


def test_a_request_whose_body_never_arrives_does_not_hold_up_shutdown(
        gateway_settings: Settings, scorer: Scorer) -> None:
    settings = gateway_settings.model_copy(update={"shutdown_timeout_s": SHUTDOWN_TIMEOUT_S})

    async def scenario() -> tuple[float, bool]:
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            async with serving(settings, scorer) as served:
                client.connect(("127.0.0.1", served.port))
                # the headers promise 1,000 bytes; the app waits for the rest of the body
                client.sendall(b"POST /api/score HTTP/1.1\r\nHost: gateway\r\n"
                               b"Content-Type: application/json\r\nContent-Length: 1000\r\n"
                               b"\r\n{\"text\": \"")
                while served.sockets() == 0:
                    await asyncio.sleep(0.01)
                await asyncio.sleep(0.2)
                gateway = served.gateway
                assert gateway.tasks  # the background tasks close() ends
                stopping = time.monotonic()
            return time.monotonic() - stopping, not gateway.tasks
        finally:
            client.close()

    shutdown, closed = asyncio.run(scenario())
    assert shutdown <= SHUTDOWN_TIMEOUT_S + 2
    assert closed  # the lifespan's close ran after uvicorn gave up on the request

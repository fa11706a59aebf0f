"""Redis that hangs (SIGSTOP: the sockets stay open, nothing answers) must not hang the chat:
a message answered while Redis is frozen gets the retryable `state-unavailable` error within
the Redis timeout, the connection stays open, and once Redis answers again the resent message
goes through. Without client timeouts every frame waited on Redis forever."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from classifiers.scorer import Scorer
from gateway.auth import TokenService, UserRole
from gateway.settings import Settings
from tests.conftest import TEST_SECRET, start_redis
from tests.gateway.test_slow_reader import serving

REDIS_TIMEOUT_S = 2.0


async def frame(ws: ClientConnection, kind: str, text: str | None = None,
                timeout: float = 15) -> dict[str, Any]:
    """The next frame of this type (with this text), skipping others."""
    deadline = time.monotonic() + timeout
    while True:
        message: dict[str, Any] = json.loads(
            await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        if message["type"] == kind and (text is None or message.get("text") == text):
            return message


def left(caplog: pytest.LogCaptureFixture) -> bool:
    """The endpoint's last step for the agent ran (its connection released)."""
    return any(r.getMessage() == "agent a1 of shop s1 disconnected" for r in caplog.records)


def test_a_frozen_redis_gives_a_retryable_error_not_a_hung_chat(
        gateway_settings: Settings, scorer: Scorer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="replyguard.relay")
    with start_redis() as redis:
        settings = gateway_settings.model_copy(update={
            "redis_url": redis.url, "redis_timeout_s": REDIS_TIMEOUT_S})

        async def scenario() -> tuple[dict[str, Any], float, dict[str, Any]]:
            tokens = TokenService(TEST_SECRET)
            async with serving(settings, scorer) as served:
                url = f"ws://127.0.0.1:{served.port}/ws?token="
                async with connect(url + tokens.issue(UserRole.AGENT, "a1", "s1", 60)) as agent, \
                        connect(url + tokens.issue(UserRole.BUYER, "b1", "s1", 60)) as buyer:
                    await agent.send(json.dumps({"type": "ping"}))
                    await frame(agent, "pong")
                    await buyer.send(json.dumps({"type": "message", "id": "m1", "text": "在吗"}))
                    await frame(agent, "assigned")
                    redis.freeze()
                    try:
                        started = time.monotonic()
                        await buyer.send(json.dumps({"type": "message", "id": "m2",
                                                     "text": "还在吗"}))
                        error = await frame(buyer, "error")
                        waited = time.monotonic() - started
                    finally:
                        redis.thaw()
                    # as a client does: resend while the answer is the retryable error (the
                    # node reopens to chat once it has put back what it knows)
                    while True:
                        await buyer.send(json.dumps({"type": "message", "id": "m2",
                                                     "text": "还在吗"}))
                        answer = json.loads(await asyncio.wait_for(buyer.recv(), 15))
                        if answer["type"] != "error":
                            break
                        assert answer["code"] == "state-unavailable", answer
                        await asyncio.sleep(0.2)
                    delivered = await frame(agent, "message", "还在吗")
                    # an agent leaving while Redis hangs: its socket is still released cleanly
                    redis.freeze()
                    try:
                        await agent.close()
                        deadline = time.monotonic() + REDIS_TIMEOUT_S + 3
                        while not left(caplog) and time.monotonic() < deadline:
                            await asyncio.sleep(0.05)
                    finally:
                        redis.thaw()
                    return error, waited, delivered

        error, waited, delivered = asyncio.run(scenario())
    assert error["code"] == "state-unavailable" and error["id"] == "m2", error
    assert waited <= REDIS_TIMEOUT_S + 2
    assert delivered["text"] == "还在吗"
    assert left(caplog), "the endpoint did not finish releasing the agent's connection"
    crashed = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
               and r.name.startswith("uvicorn")]
    assert not crashed, crashed  # the endpoint ended without an exception escaping to uvicorn

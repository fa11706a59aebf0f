"""`replyguard serve` as a user runs it: real uvicorn in a subprocess, the `websockets` client,
and a graceful shutdown (held messages logged as expired, sockets closed with 1001)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from gateway.auth import TokenService, UserRole
from gateway.log import LogFilter, Outcome, open_log
from tests.conftest import TEST_SECRET


async def recv(ws: ClientConnection) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
    return frame


async def conversation(port: int, process: subprocess.Popen[str]) -> int:
    tokens = TokenService(TEST_SECRET)
    url = f"ws://127.0.0.1:{port}/ws?token="
    async with connect(url + tokens.issue(UserRole.AGENT, "a1", "s1", 60)) as agent, \
            connect(url + tokens.issue(UserRole.BUYER, "b1", "s1", 60)) as buyer:
        await agent.send(json.dumps({"type": "ping"}))
        assert (await recv(agent))["type"] == "pong"
        await buyer.send(json.dumps({"type": "message", "id": "m1", "text": "在吗"}))
        assert (await recv(buyer))["tier"] == "none"
        assert (await recv(agent))["type"] == "assigned"
        assert (await recv(agent))["text"] == "在吗"
        await agent.send(json.dumps({"type": "message", "id": "r1", "conversation": "s1:b1",
                                     "text": "不知道"}))
        verdict = await recv(agent)
        assert verdict["tier"] == "suggest-edit" and verdict["delivered"] is False
        process.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as closed:
            await recv(agent)
        assert closed.value.rcvd is not None
        return closed.value.rcvd.code


def test_server_serves_and_drains_on_shutdown(
        served: tuple[subprocess.Popen[str], int, Path]) -> None:
    process, port, data_dir = served
    assert asyncio.run(conversation(port, process)) == 1001
    output, _ = process.communicate(timeout=30)
    # uvicorn re-raises the signal once it shut down cleanly
    assert process.returncode in (0, -signal.SIGTERM), output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(line["logger"] == "replyguard.gateway" for line in lines)  # JSON-line logs
    assert "token=eyJ" not in output  # credentials never reach the logs
    log = open_log(None, data_dir)
    try:
        page = asyncio.run(log.query(LogFilter()))
    finally:
        log.close_sync()
    assert [r.outcome for r in page.items] == [Outcome.EXPIRED]

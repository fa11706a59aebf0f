"""kill -9 the gateway right after blocking verdicts: every one of them is in the log after
restart (a blocking verdict is only sent once its record is committed)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

from gateway.auth import TokenService, UserRole
from gateway.log import LogFilter, open_log
from tests.conftest import TEST_SECRET
from tests.gateway.test_server import recv


async def intercept_then_kill(port: int, process: subprocess.Popen[str],
                              count: int) -> list[dict[str, Any]]:
    tokens = TokenService(TEST_SECRET)
    url = f"ws://127.0.0.1:{port}/ws?token="
    verdicts = []
    async with connect(url + tokens.issue(UserRole.AGENT, "a1", "s1", 60)) as agent, \
            connect(url + tokens.issue(UserRole.BUYER, "b1", "s1", 60)) as buyer:
        await buyer.send(json.dumps({"type": "message", "id": "m1", "text": "在吗"}))
        while (await recv(agent))["type"] != "message":
            pass
        for n in range(count):
            # alternating evasive diversion (block, escalating to block-with-warning) and
            # hostile cold replies (force-edit, escalating): all held or blocked, each a
            # different text
            text = f"加我薇信聊，第{n}次" if n % 2 == 0 else f"爱买不买，第{n}次"
            await agent.send(json.dumps({"type": "message", "id": f"r{n}",
                                         "conversation": "s1:b1", "text": text}))
            frame = await recv(agent)
            while frame["type"] != "verdict":
                frame = await recv(agent)
            assert frame["delivered"] is False, frame
            verdicts.append({**frame, "text": text})
            if frame["tier"] == "block-with-warning":
                await agent.send(json.dumps({"type": "ack", "id": f"r{n}"}))
                while (await recv(agent))["type"] != "ok":
                    pass
        process.send_signal(signal.SIGKILL)  # the moment the last verdict arrived
    return verdicts


def test_every_blocking_verdict_survives_kill_9(
        served: tuple[subprocess.Popen[str], int, Path]) -> None:
    process, port, data_dir = served
    verdicts = asyncio.run(intercept_then_kill(port, process, 20))
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    log = open_log(None, data_dir)  # what a restarted gateway opens
    try:
        records = asyncio.run(log.query(LogFilter(), limit=100)).items
    finally:
        log.close_sync()
    logged = {r.text: str(r.tier) for r in records}
    assert len(verdicts) == 20
    assert {v["text"]: v["tier"] for v in verdicts} == logged
    assert {"block", "force-edit"} <= set(logged.values())

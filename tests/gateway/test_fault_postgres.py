"""PostgreSQL stopped and started under traffic, against a real `replyguard serve`.

Ten shops, each with an agent and a buyer, send a mix of replies (passing, notice, suggest-edit,
block) while the log's PostgreSQL is stopped as a crash would stop it and started again. Every
client signal is collected and checked afterwards:

- no message both accepted and undelivered: a `delivered: true` verdict means the buyer got it,
  an error means the buyer never did;
- no blocked or held message delivered;
- every interception whose verdict a client saw is in the log once the database is back;
- the outage was real: some messages were refused with `log-unavailable`.

The server runs with PostgreSQL's durable defaults (fsync, synchronous commit), not the test
session's fast settings: a crash-stop of those may lose commits, which is the server's setting,
not the gateway's doing.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from bench.pgserver import PostgresServer, find_binaries
from classifiers.resources import default_policy_file
from gateway.auth import TokenService, UserRole
from gateway.log import InterceptionLog, LogFilter, open_log
from tests.conftest import TEST_SECRET, start_serve

pytestmark = pytest.mark.issue(18)

SHOPS = 10
RUN_S = 7.0
DOWN_AT_S, DOWN_FOR_S = 2.0, 2.5
# (text, what the policy does with it) cycled by every agent
REPLIES = ["亲，有货的，今天下单明天发", "好的", "不知道", "加我薇信，便宜点"]


@dataclass
class Agent:
    shop: str
    sent: dict[str, str] = field(default_factory=dict)             # id → text
    verdicts: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)            # id → error code
    overridden: set[str] = field(default_factory=set)               # send-anyway answered ok
    override_refused: set[str] = field(default_factory=set)         # send-anyway refused
    received_by_buyer: set[str] = field(default_factory=set)


@pytest.fixture
def durable_postgres() -> Iterator[PostgresServer]:
    if find_binaries() is None:
        pytest.skip("PostgreSQL binaries not found (apt-get install postgresql)")
    with PostgresServer.start(fast=False) as server:
        yield server


async def frames(ws: ClientConnection, timeout: float = 15) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return frame


async def run_shop(port: int, agent: Agent, stop_at: float) -> None:
    tokens = TokenService(TEST_SECRET)
    url = f"ws://127.0.0.1:{port}/ws?token="
    async with connect(url + tokens.issue(UserRole.AGENT, "a1", agent.shop, 600)) as ws_agent, \
            connect(url + tokens.issue(UserRole.BUYER, "b1", agent.shop, 600)) as ws_buyer:
        await ws_buyer.send(json.dumps({"type": "message", "id": "hello", "text": "在吗"}))
        while (await frames(ws_agent))["type"] != "message":
            pass

        async def buyer_reads() -> None:
            while True:
                frame = await frames(ws_buyer, timeout=60)
                if frame["type"] == "message":
                    agent.received_by_buyer.add(frame["id"])

        reader = asyncio.create_task(buyer_reads())
        n = 0
        held: list[tuple[int, str]] = []
        while time.monotonic() < stop_at:
            message_id = f"r{n}"
            text = REPLIES[n % len(REPLIES)]
            agent.sent[message_id] = text
            await ws_agent.send(json.dumps({"type": "message", "id": message_id,
                                            "conversation": f"{agent.shop}:b1", "text": text}))
            while True:  # the verdict or the error for this message (notices come after)
                frame = await frames(ws_agent)
                if frame["type"] == "verdict" and frame["id"] == message_id:
                    agent.verdicts[message_id] = frame
                    break
                if frame["type"] == "error" and frame.get("id") == message_id:
                    agent.errors[message_id] = frame["code"]
                    break
            verdict = agent.verdicts.get(message_id)
            if verdict is not None and verdict["tier"] == "suggest-edit":
                held.append((n, message_id))
            if held and held[0][0] <= n - 8:  # send a held one anyway, some time later
                _, held_id = held.pop(0)
                await ws_agent.send(json.dumps({"type": "send-anyway", "id": held_id}))
                while True:
                    frame = await frames(ws_agent)
                    if frame["type"] == "ok" and frame.get("id") == held_id:
                        agent.overridden.add(held_id)
                        break
                    if frame["type"] == "error" and frame.get("id") == held_id:
                        agent.override_refused.add(held_id)
                        held.append((n, held_id))  # still held: try again later
                        break
            n += 1
            await asyncio.sleep(0.02)
        await asyncio.sleep(1.0)  # the last deliveries reach the buyer
        reader.cancel()


async def traffic(port: int, server: PostgresServer, agents: list[Agent]) -> None:
    started = time.monotonic()
    shops = asyncio.gather(*(run_shop(port, a, started + RUN_S) for a in agents))
    await asyncio.sleep(DOWN_AT_S)
    await asyncio.to_thread(server.pause)
    await asyncio.sleep(DOWN_FOR_S)
    await asyncio.to_thread(server.resume)
    await shops


async def every_record(log: InterceptionLog) -> Counter[tuple[str, str, str]]:
    """(shop, text, tier) of every record, page by page: a quiet machine sends more than one
    page's worth in the run (a single 1,000-record page made the test fail only when fast)."""
    logged: Counter[tuple[str, str, str]] = Counter()
    cursor: str | None = None
    while True:
        page = await log.query(LogFilter(), cursor=cursor, limit=500)
        logged.update((r.shop, r.text, str(r.tier)) for r in page.items)
        if page.next_cursor is None:
            return logged
        cursor = page.next_cursor


def test_postgres_stopped_and_started_mid_traffic(tmp_path: Path,
                                                  durable_postgres: PostgresServer) -> None:
    shipped = default_policy_file().read_text(encoding="utf-8")
    policy = tmp_path / "policies.yaml"  # no repeat-offence escalation: the mix stays the mix
    policy.write_text(shipped[:shipped.index("\nescalation:")] + "\nescalation: []\n",
                      encoding="utf-8")
    url = durable_postgres.create_database("faults")
    process, port = start_serve(tmp_path / "data", tmp_path / "serve.log",
                                database_url=url, policy_file=str(policy),
                                rate_per_s="1000", rate_burst="1000")
    agents = [Agent(f"s{i}") for i in range(SHOPS)]
    try:
        asyncio.run(traffic(port, durable_postgres, agents))
        time.sleep(6)  # the writer retries queued records with backoff of at most 5 s
    finally:
        process.send_signal(signal.SIGTERM)  # drain: held messages expire, the queue is written
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log = open_log(url, tmp_path)
    try:
        logged = asyncio.run(every_record(log))
    finally:
        log.close_sync()

    seen: Counter[tuple[str, str, str]] = Counter()
    for agent in agents:
        both = set(agent.verdicts) & set(agent.errors)
        assert not both, f"{agent.shop}: verdict and error for {sorted(both)}"
        for message_id, verdict in agent.verdicts.items():
            delivered = message_id in agent.received_by_buyer
            # released later by a send-anyway the gateway confirmed, or not at all
            assert delivered is (verdict["delivered"] or message_id in agent.overridden), \
                (agent.shop, message_id, verdict)
            if verdict["tier"] != "none":
                seen[(agent.shop, agent.sent[message_id], verdict["tier"])] += 1
        refused = agent.received_by_buyer & set(agent.errors)
        assert not refused, f"{agent.shop}: refused but delivered: {sorted(refused)}"
    overrides = [(a.shop, m) for a in agents for m in a.overridden]
    refusals = sum(len(a.override_refused) for a in agents)
    missing = seen - logged
    assert not missing, f"interceptions a client saw but the log lacks: {missing}"
    errors = Counter(code for a in agents for code in a.errors.values())
    verdicts = sum(len(a.verdicts) for a in agents)
    assert errors["log-unavailable"] > 0, errors  # the outage really refused some messages
    assert set(errors) <= {"log-unavailable"}, errors
    assert overrides and refusals, (len(overrides), refusals)  # send-anyway in and out of it
    print(f"\n{verdicts} verdicts, {sum(seen.values())} interceptions seen, "
          f"{sum(logged.values())} logged, errors {dict(errors)}, send-anyway "
          f"{len(overrides)} delivered / {refusals} refused")

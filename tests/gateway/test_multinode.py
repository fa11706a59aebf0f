"""Two `replyguard serve` processes sharing a real redis-server act as one gateway: an agent on
node A and a buyer on node B talk normally (replies judged against the buyer's last message,
read from the shared transcript), interventions hold on either side, a held draft
follows its agent to the other node, and a lexicon change accepted on one node is enforced by
the other (a shop's overlay for that shop only)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from classifiers.resources import default_lexicon_dir, default_policy_file
from gateway.auth import TokenService, UserRole
from tests.conftest import TEST_SECRET, free_port, wait_ready


def start_node(name: str, root: Path, redis_url: str,
               prefix: str) -> tuple[subprocess.Popen[str], int]:
    """A node with its own data dir and its own copy of the configuration files."""
    home = root / name
    shutil.copytree(default_lexicon_dir(), home / "lexicons")
    shutil.copy(default_policy_file(), home / "policies.yaml")
    port = free_port()
    env = {**os.environ, "REPLYGUARD_DATA_DIR": str(home), "REPLYGUARD_SECRET": TEST_SECRET,
           "REPLYGUARD_REDIS_URL": redis_url, "REPLYGUARD_REDIS_PREFIX": prefix,
           "REPLYGUARD_NODE_ID": name,
           # one interception log for the cluster (SQLite here, PostgreSQL in production)
           "REPLYGUARD_DATABASE_URL": f"sqlite:///{root / 'log.db'}",
           "REPLYGUARD_LEXICON_DIR": str(home / "lexicons"),
           "REPLYGUARD_POLICY_FILE": str(home / "policies.yaml")}
    # output to a file: a pipe nobody reads would fill up and stall the node
    with (home / "node.log").open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--port", str(port)], env=env,
            stdout=output, stderr=subprocess.STDOUT, text=True)
    return process, port


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory: pytest.TempPathFactory,
              redis_server: str) -> Iterator[tuple[int, int, Path]]:
    """Started once for the module (a node takes seconds to start); the tests run in order:
    traffic first, then a configuration change. A key prefix of their own keeps them apart
    from other users of the session's Redis."""
    tmp_path = tmp_path_factory.mktemp("nodes")
    prefix = f"multinode-{uuid.uuid4().hex[:8]}"
    a, port_a = start_node("node-a", tmp_path, redis_server, prefix)
    wait_ready(a, port_a, partial((tmp_path / "node-a" / "node.log").read_text,
                                  errors="replace"))
    # node B once A has created and migrated the shared log
    b, port_b = start_node("node-b", tmp_path, redis_server, prefix)
    try:
        wait_ready(b, port_b, partial((tmp_path / "node-b" / "node.log").read_text,
                                      errors="replace"))
        yield port_a, port_b, tmp_path
    finally:
        for process in (a, b):
            process.terminate()
        for process in (a, b):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


async def recv(ws: ClientConnection, kind: str | None = None) -> dict[str, Any]:
    """The next frame (of `kind`, skipping others such as notices)."""
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        if kind is None or frame["type"] == kind:
            return frame


async def talk(port_a: int, port_b: int) -> None:
    tokens = TokenService(TEST_SECRET)

    def url(port: int, role: UserRole, user: str) -> str:
        return f"ws://127.0.0.1:{port}/ws?token={tokens.issue(role, user, 's1', 300)}"

    async with connect(url(port_a, UserRole.AGENT, "a1")) as agent, \
            connect(url(port_b, UserRole.BUYER, "b1")) as buyer:
        await agent.send(json.dumps({"type": "presence", "status": "online"}))
        await agent.send(json.dumps({"type": "ping"}))
        await recv(agent, "pong")
        await buyer.send(json.dumps({"type": "message", "id": "m1", "text": "你好，这款有货吗"}))
        assert (await recv(buyer, "verdict"))["delivered"] is True
        assert (await recv(agent, "assigned"))["conversation"] == "s1:b1"
        assert (await recv(agent, "message"))["text"] == "你好，这款有货吗"
        # a clean reply crosses from node A to node B
        await agent.send(json.dumps({"type": "message", "id": "r1", "conversation": "s1:b1",
                                     "text": "亲，有货的，今天下单明天发货"}))
        assert (await recv(agent, "verdict"))["tier"] == "none"
        delivered = await recv(buyer, "message")
        assert delivered["text"] == "亲，有货的，今天下单明天发货"
        assert delivered["from"]["role"] == "agent"
        # a blocked one never reaches the buyer on the other node
        await agent.send(json.dumps({"type": "message", "id": "r2", "conversation": "s1:b1",
                                     "text": "加我薇信聊"}))
        verdict = await recv(agent, "verdict")
        assert (verdict["tier"], verdict["delivered"]) == ("block", False)
        await agent.send(json.dumps({"type": "message", "id": "r3", "conversation": "s1:b1",
                                     "text": "好的，已为您备注"}))
        await recv(agent, "verdict")
        assert (await recv(buyer, "message"))["text"] == "好的，已为您备注"
        # a lone 好的 is judged against what the buyer on the other node last said
        for message_id, said, tier in (("m2", "谢谢亲", "none"), ("m3", "发什么快递？", "notice")):
            await buyer.send(json.dumps({"type": "message", "id": message_id, "text": said}))
            assert (await recv(agent, "message"))["text"] == said
            await agent.send(json.dumps({"type": "message", "id": f"r-{message_id}",
                                         "conversation": "s1:b1", "text": "好的"}))
            assert (await recv(agent, "verdict"))["tier"] == tier, said
            assert (await recv(buyer, "message"))["text"] == "好的"


def test_agent_and_buyer_on_different_nodes_talk(two_nodes: tuple[int, int, Path]) -> None:
    port_a, port_b, _ = two_nodes
    asyncio.run(talk(port_a, port_b))


async def resume_elsewhere(port_a: int, port_b: int) -> None:
    tokens = TokenService(TEST_SECRET)

    def url(port: int, role: UserRole, user: str) -> str:
        return f"ws://127.0.0.1:{port}/ws?token={tokens.issue(role, user, 's2', 300)}"

    async with connect(url(port_b, UserRole.BUYER, "b2")) as buyer:
        async with connect(url(port_a, UserRole.AGENT, "a2")) as agent:
            await agent.send(json.dumps({"type": "ping"}))
            await recv(agent, "pong")
            await buyer.send(json.dumps({"type": "message", "id": "m1", "text": "在吗"}))
            assert (await recv(agent, "assigned"))["conversation"] == "s2:b2"
            await agent.send(json.dumps({"type": "message", "id": "r1", "conversation": "s2:b2",
                                         "text": "不知道"}))
            assert (await recv(agent, "verdict"))["tier"] == "suggest-edit"
        # the agent's node went away; it reconnects to the other one
        async with connect(url(port_b, UserRole.AGENT, "a2")) as agent:
            resumed = await recv(agent, "assigned")
            assert (resumed["conversation"], resumed["kind"]) == ("s2:b2", "resumed")
            assert [h["text"] for h in resumed["history"]] == ["在吗"]
            held = await recv(agent, "held")
            assert (held["id"], held["text"], held["tier"]) == ("r1", "不知道", "suggest-edit")
            await agent.send(json.dumps({"type": "send-anyway", "id": "r1"}))
            answer = await recv(agent)
            assert (answer["type"], answer.get("action")) == ("ok", "send-anyway"), answer
            assert (await recv(buyer, "message"))["text"] == "不知道"


def test_held_draft_follows_the_agent_to_another_node(two_nodes: tuple[int, int, Path]) -> None:
    port_a, port_b, _ = two_nodes
    asyncio.run(resume_elsewhere(port_a, port_b))


async def buyer_catches_up_elsewhere(port_a: int, port_b: int) -> None:
    tokens = TokenService(TEST_SECRET)

    def url(port: int, role: UserRole, user: str) -> str:
        return f"ws://127.0.0.1:{port}/ws?token={tokens.issue(role, user, 's3', 300)}"

    async def reply(agent: ClientConnection, message_id: str, text: str) -> None:
        await agent.send(json.dumps({"type": "message", "id": message_id,
                                     "conversation": "s3:b3", "text": text}))
        assert (await recv(agent, "verdict"))["delivered"] is True

    async with connect(url(port_b, UserRole.AGENT, "a3")) as agent:
        await agent.send(json.dumps({"type": "ping"}))
        await recv(agent, "pong")
        async with connect(url(port_a, UserRole.BUYER, "b3")) as buyer:
            await buyer.send(json.dumps({"type": "message", "id": "m1", "text": "在吗"}))
            assert (await recv(agent, "assigned"))["conversation"] == "s3:b3"
            await reply(agent, "r1", "亲，在的")
            assert (await recv(buyer, "message"))["id"] == "r1"
        # the buyer's node is gone for it; the agent writes on before it is back
        await reply(agent, "r2", "今天下单明天发货")
        await reply(agent, "r3", "还有什么可以帮您？")
        async with connect(url(port_b, UserRole.BUYER, "b3") + "&after=r1") as buyer:
            assert [(await recv(buyer))["id"] for _ in range(2)] == ["r2", "r3"]
            await reply(agent, "r4", "好的")
            assert (await recv(buyer))["id"] == "r4"
            await buyer.send(json.dumps({"type": "ping"}))
            assert (await recv(buyer))["type"] == "pong"  # nothing twice


@pytest.mark.issue(18)
def test_buyer_reconnecting_to_the_other_node_gets_what_it_missed(
        two_nodes: tuple[int, int, Path]) -> None:
    port_a, port_b, _ = two_nodes
    asyncio.run(buyer_catches_up_elsewhere(port_a, port_b))


def test_lexicon_change_on_one_node_reaches_the_other(two_nodes: tuple[int, int, Path]) -> None:
    port_a, port_b, root = two_nodes
    before = httpx.get(f"http://127.0.0.1:{port_b}/readyz").json()["checks"]["config"]["version"]
    with (root / "node-a" / "lexicons" / "sarcasm.txt").open("a", encoding="utf-8") as handle:
        handle.write("大聪明\tseverity=2\n")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        config = httpx.get(f"http://127.0.0.1:{port_b}/readyz").json()["checks"]["config"]
        if config["version"] != before:
            break
        time.sleep(0.2)
    else:
        pytest.fail("node B never changed version")
    version_a = httpx.get(f"http://127.0.0.1:{port_a}/readyz").json()["checks"]["config"]
    assert config["version"] == version_a["version"]
    assert "大聪明" in (root / "node-b" / "lexicons" / "sarcasm.txt").read_text(encoding="utf-8")
    nodes = httpx.get(f"http://127.0.0.1:{port_b}/readyz").json()["checks"]["nodes"]
    assert {n: s["version"] for n, s in nodes.items()} == \
        {"node-a": config["version"], "node-b": config["version"]}


async def agent_verdict(agent_port: int, buyer_port: int, shop: str,
                        text: str) -> tuple[str, bool]:
    """An agent of `shop` on one node answers a buyer on the other with `text`: the verdict's
    tier and whether the message was delivered."""
    tokens = TokenService(TEST_SECRET)

    def url(port: int, role: UserRole, user: str) -> str:
        return f"ws://127.0.0.1:{port}/ws?token={tokens.issue(role, user, shop, 300)}"

    async with connect(url(agent_port, UserRole.AGENT, f"{shop}-a")) as agent, \
            connect(url(buyer_port, UserRole.BUYER, f"{shop}-b")) as buyer:
        await agent.send(json.dumps({"type": "presence", "status": "online"}))
        await agent.send(json.dumps({"type": "ping"}))
        await recv(agent, "pong")
        await buyer.send(json.dumps({"type": "message", "id": "q1", "text": "在吗"}))
        conversation = (await recv(agent, "assigned"))["conversation"]
        await agent.send(json.dumps({"type": "message", "id": "a1",
                                     "conversation": conversation, "text": text}))
        verdict = await recv(agent, "verdict")
        return str(verdict["tier"]), bool(verdict["delivered"])


def wait_for_version(port: int, before: str) -> str:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        version = str(httpx.get(f"http://127.0.0.1:{port}/readyz").json()
                      ["checks"]["config"]["version"])
        if version != before:
            return version
        time.sleep(0.2)
    pytest.fail(f"node on port {port} never left version {before}")


def test_shop_overlay_added_on_one_node_is_enforced_on_the_other_for_that_shop_only(
        two_nodes: tuple[int, int, Path]) -> None:
    port_a, port_b, root = two_nodes
    tokens = TokenService(TEST_SECRET)

    def qa(shop: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.issue(UserRole.QA, 'q1', shop, 300)}"}

    def tier(port: int, shop: str, text: str) -> str:
        response = httpx.post(f"http://127.0.0.1:{port}/api/score", headers=qa(shop),
                              json={"text": text})
        assert response.status_code == 200, response.text
        return str(response.json()["tier"])

    # through the QA API on node A, with s1's own token
    before = httpx.get(f"http://127.0.0.1:{port_b}/readyz").json()["checks"]["config"]["version"]
    added = httpx.post(f"http://127.0.0.1:{port_a}/api/lexicon/off_platform/terms",
                       headers=qa("s1"), json={"term": "拼夕夕", "severity": 3})
    assert added.status_code == 201, added.text
    assert wait_for_version(port_b, before) == added.json()["version"]
    assert (tier(port_b, "s1", "那个拼夕夕"), tier(port_b, "s2", "那个拼夕夕")) == \
        ("block", "none")
    # and in chat: an agent of s1 on node B is blocked, one of s2 is not
    assert asyncio.run(agent_verdict(port_b, port_a, "s1", "那个拼夕夕")) == \
        ("block", False)
    assert asyncio.run(agent_verdict(port_b, port_a, "s2", "那个拼夕夕")) == ("none", True)
    assert (root / "node-b/lexicons/shops/s1/off_platform.txt").read_text(
        encoding="utf-8") == "拼夕夕\tseverity=3\n"

    # a file written into s2's overlay on node B (its watcher) reaches node A, for s2 only
    before = added.json()["version"]
    overlay = root / "node-b/lexicons/shops/s2/sarcasm.txt"
    overlay.parent.mkdir(parents=True)
    overlay.write_text("月光宝盒\tseverity=3\n", encoding="utf-8")
    wait_for_version(port_a, before)
    assert tier(port_a, "s2", "这款月光宝盒今天发货") != "none"
    assert tier(port_a, "s1", "这款月光宝盒今天发货") == "none"
    assert (root / "node-a/lexicons/shops/s2/sarcasm.txt").exists()

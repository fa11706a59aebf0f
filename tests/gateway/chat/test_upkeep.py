"""Upkeep: an idle agent whose socket is open stays visible to reception (the node refreshes its
presence, not only the agent's next frame); after a real redis-server came back empty, the node
puts back what its connections were told. Two nodes and traffic through such a restart run on
real processes in tests/gateway/test_faults.py."""

from __future__ import annotations

import json
import shutil
import time
from typing import Any

import pytest
import redis

from bench.redisserver import RedisServer
from tests.conftest import ClientFactory, TokenFor, start_redis
from tests.gateway.wire import Frame, Peer, connect


def answered(peer: Peer, answer: str, **frame: Any) -> list[Frame]:
    """Send `frame` until the node answers it with `answer` rather than `state-unavailable`
    (the node answers chat only once it put back what it knows, which takes a while on a busy
    machine); the other frames that arrived meanwhile."""
    seen: list[Frame] = []
    deadline = time.monotonic() + 20
    while True:
        peer.send(**frame)
        while (reply := peer.recv())["type"] not in (answer, "error"):
            seen.append(reply)
        if reply["type"] == answer:
            return seen
        assert reply["code"] == "state-unavailable" and time.monotonic() < deadline, reply
        time.sleep(0.1)


def test_upkeep_idle_agent_with_an_open_socket_stays_visible(client_factory: ClientFactory,
                                                             token_for: TokenFor) -> None:
    client = client_factory(presence_ttl_s=0.6)
    with connect(client, token_for("agent", "a1", "s1")) as agent:
        time.sleep(2.0)  # more than three TTLs without a frame from the agent
        with connect(client, token_for("buyer", "b1", "s1")) as buyer:
            assert buyer.say("m1", "在吗")["delivered"] is True
            buyer.idle()  # not queued: its next frame is the pong
            agent.expect("assigned", conversation="s1:b1")
            agent.expect("message", id="m1")


@pytest.mark.parametrize("hashed", [False, True], ids=["buyer-ids", "hashed-buyer-ids"])
def test_upkeep_puts_queue_sticky_routes_and_assist_back_after_redis_came_back_empty(
        client_factory: ClientFactory, token_for: TokenFor,
        restartable_redis: RedisServer, hashed: bool) -> None:
    """A real redis-server killed and restarted without persistence: the reception queue (in
    the order the buyers were queued), the sticky route of a routed buyer (for what is left of
    its window, from the log, whose conversation ids are hashed when buyer ids are), the
    messages the queued buyers wrote (in the lost transcript only) and an agent's bot-assist
    switch are put back from what the node's connections were told; the away agent coming
    online then takes the queue, with the buyers' messages in its history."""
    client = client_factory(redis_url=restartable_redis.url, hash_buyer_ids=hashed)
    redis_client = redis.Redis.from_url(restartable_redis.url, decode_responses=True)
    with connect(client, token_for("agent", "a1", "s1")) as agent, \
            connect(client, token_for("buyer", "b4", "s1")) as b4, \
            connect(client, token_for("buyer", "b3", "s1")) as b3, \
            connect(client, token_for("buyer", "b1", "s1")) as b1, \
            connect(client, token_for("buyer", "b2", "s1")) as b2:
        b4.say("m1", "在吗")
        agent.expect("assigned", conversation="s1:b4")
        agent.expect("message", id="m1")
        agent.send(type="assist", conversation="s1:b4", on=True)
        agent.expect("ok", action="assist")
        b3.say("m1", "我要投诉，转人工")
        agent.expect("assigned", conversation="s1:b3")
        agent.expect("system", code="assist-off")
        agent.expect("message", id="m1")
        agent.send(type="presence", status="away")
        agent.expect("ok", action="presence")
        for buyer in (b1, b2):
            buyer.say("m1", "有人吗")
            buyer.expect("system", code="queued")
            agent.expect("queue")
        assert redis_client.zrange("replyguard:queue:s1", 0, -1) == ["s1:b1", "s1:b2"]

        restartable_redis.kill()
        restartable_redis.resume()

        def restored() -> dict[str, object]:
            return {"queue": redis_client.zrange("replyguard:queue:s1", 0, -1),
                    "sticky": redis_client.pttl("replyguard:sticky:s1:b3") > 1700_000,
                    "assist": redis_client.smembers("replyguard:assist:s1:a1"),
                    "assigned": redis_client.smembers("replyguard:assigned:s1:a1")}

        expected = {"queue": ["s1:b1", "s1:b2"], "sticky": True, "assist": {"s1:b4"},
                    "assigned": {"s1:b3", "s1:b4"}}
        deadline = time.monotonic() + 20
        while (state := restored()) != expected and time.monotonic() < deadline:
            time.sleep(0.1)
        assert state == expected
        frames = answered(agent, "ok", type="presence", status="online")
        handed: list[str] = []
        while len(handed) < 2:  # `ok` and `queue` may come in between (direct vs. stream)
            frame = frames.pop(0) if frames else agent.recv()
            if frame["type"] == "assigned":
                assert frame["kind"] == "queued"
                # the message the buyer wrote while queued was only in the transcript Redis
                # lost: the node put it back, so the agent sees what the buyer asked
                assert [(h["id"], h["text"]) for h in frame["history"]] == [("m1", "有人吗")]
                handed.append(frame["conversation"])
        assert handed == ["s1:b1", "s1:b2"]
        b1.expect("system", code="picked-up")
        b2.expect("system", code="picked-up")
    redis_client.close()


def test_upkeep_tells_an_agent_whose_conversation_another_node_claimed_first(
        client_factory: ClientFactory, token_for: TokenFor,
        restartable_redis: RedisServer) -> None:
    """Redis comes back without this node's data but with another node's claim already in it
    (made real: the restarted server loads a dataset where agent a2 holds s1:b1). The node
    cannot claim s1:b1 for a1 again, so a1 hears `unassigned` instead of writing into a
    conversation that is no longer its own; s1:b4, which nobody took, is a1's again."""
    client = client_factory(redis_url=restartable_redis.url)
    with connect(client, token_for("agent", "a1", "s1")) as agent:
        for buyer_id in ("b1", "b4"):
            with connect(client, token_for("buyer", buyer_id, "s1")) as buyer:
                buyer.say("m1", "在吗")
            agent.expect("assigned", conversation=f"s1:{buyer_id}")
            agent.expect("message", id="m1")
        with start_redis() as other:
            writer = redis.Redis.from_url(other.url)
            writer.set("replyguard:handler:s1:b1", json.dumps({"user": "a2", "role": "agent"}))
            writer.sadd("replyguard:assigned:s1:a2", "s1:b1")
            writer.save()
            writer.close()
            restartable_redis.kill()
            shutil.copy(other.directory / "dump.rdb", restartable_redis.directory / "dump.rdb")
        restartable_redis.resume()
        redis_client = redis.Redis.from_url(restartable_redis.url, decode_responses=True)
        deadline = time.monotonic() + 20
        while redis_client.smembers("replyguard:assigned:s1:a1") != {"s1:b4"} \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert redis_client.smembers("replyguard:assigned:s1:a1") == {"s1:b4"}
        assert redis_client.smembers("replyguard:assigned:s1:a2") == {"s1:b1"}
        redis_client.close()
        # the claims go in order (s1:b1 before s1:b4), so the frame is queued by now
        assert [(f["type"], f["conversation"]) for f in answered(agent, "pong", type="ping")] \
            == [("unassigned", "s1:b1")]
        agent.send(type="message", id="r1", conversation="s1:b1", text="亲，在的")
        agent.expect("error", code="forbidden", id="r1")

"""Reception over real websockets: bot-first, least-loaded human, queue then hand-out."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient

from tests.conftest import ClientFactory, TokenFor
from tests.gateway.wire import connect


def test_reception_bot_first_when_a_bot_is_online(gateway_client: TestClient,
                                                  token_for: TokenFor) -> None:
    with connect(gateway_client, token_for("agent", "a1", "s1")) as agent, \
            connect(gateway_client, token_for("bot", "bot1", "s1")) as bot, \
            connect(gateway_client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.say("m1", "这件衣服有红色吗")
        bot.expect("assigned", conversation="s1:b1", reason="新会话")
        bot.expect("message", id="m1")
        assert bot.say("r1", "亲，红色有货的，可以直接下单", "s1:b1")["delivered"] is True
        buyer.expect("message", id="r1", **{"from": {"role": "bot", "user": "bot1"}})
        agent.idle()  # the human got nothing: its next frame is the pong


def test_reception_least_loaded_human(gateway_client: TestClient, token_for: TokenFor) -> None:
    with connect(gateway_client, token_for("agent", "a1", "s1")) as a1, \
            connect(gateway_client, token_for("agent", "a2", "s1")) as a2, \
            connect(gateway_client, token_for("buyer", "b1", "s1")) as b1, \
            connect(gateway_client, token_for("buyer", "b2", "s1")) as b2:
        b1.say("m1", "在吗")
        first = a1.expect("assigned")  # tie on load: the first user id
        assert first["conversation"] == "s1:b1"
        a1.expect("message", id="m1")
        b2.say("m2", "在吗")
        a2.expect("assigned", conversation="s1:b2")
        a2.expect("message", id="m2")


def test_reception_queues_then_hands_out(gateway_client: TestClient,
                                         token_for: TokenFor) -> None:
    with connect(gateway_client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.say("m1", "有人吗")
        queued = buyer.expect("system", code="queued", conversation="s1:b1")
        assert "排队" in queued["text"]
        metrics = gateway_client.get("/metrics").text
        assert "replyguard_queue_length 1.0" in metrics
        with connect(gateway_client, token_for("agent", "a1", "s1")) as agent:
            agent.expect("queue", length=1)  # what waits, as the agent arrives
            # handed out when the agent came online
            assigned = agent.expect("assigned", conversation="s1:b1")
            assert assigned["kind"] == "queued"
            assert [h["text"] for h in assigned["history"]] == ["有人吗"]
            agent.expect("queue", length=0)
            picked = buyer.expect("system", code="picked-up", conversation="s1:b1")
            assert "a1" in picked["text"]
            assert agent.say("r1", "亲，您好，请问有什么可以帮您", "s1:b1")["delivered"]
            buyer.expect("message", id="r1")
        assert "replyguard_queue_length 0.0" in gateway_client.get("/metrics").text


@pytest.mark.issue(18)
def test_reception_metrics_name_no_shop(gateway_client: TestClient, token_for: TokenFor) -> None:
    """/metrics needs no token, so it must not list the shops (or users) using the gateway."""
    with connect(gateway_client, token_for("buyer", "buyer-x", "shop-secret-42")) as buyer:
        buyer.say("m1", "有人吗")
        buyer.expect("system", code="queued")
        metrics = gateway_client.get("/metrics").text
    assert "replyguard_queue_length 1.0" in metrics
    assert "shop-secret-42" not in metrics and "buyer-x" not in metrics


def test_reception_away_agent_gets_no_new_conversation(gateway_client: TestClient,
                                                       token_for: TokenFor) -> None:
    with connect(gateway_client, token_for("agent", "a1", "s1")) as agent, \
            connect(gateway_client, token_for("buyer", "b1", "s1")) as buyer:
        agent.send(type="presence", status="away")
        agent.expect("ok", action="presence")
        buyer.say("m1", "在吗")
        buyer.expect("system", code="queued")
        agent.expect("queue", length=1)  # away agents still see who waits
        agent.send(type="presence", status="online")
        assert agent.expect("assigned", conversation="s1:b1")["kind"] == "queued"
        agent.expect("queue", length=0)
        agent.expect("ok", action="presence")


def test_reception_tells_a_queued_buyer_once(gateway_client: TestClient,
                                             token_for: TokenFor) -> None:
    with connect(gateway_client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.say("m1", "有人吗")
        buyer.expect("system", code="queued")
        buyer.say("m2", "人呢")
        buyer.say("m3", "？")
        buyer.idle()  # no second `queued`


def test_reception_a_returning_agents_ping_drains_the_queue(
        client_factory: ClientFactory, token_for: TokenFor) -> None:
    client = client_factory(presence_ttl_s=0.3)
    with connect(client, token_for("agent", "a1", "s1")) as agent, \
            connect(client, token_for("buyer", "b1", "s1")) as buyer:
        time.sleep(0.5)  # the agent's presence expired: it counts as gone
        buyer.say("m1", "在吗")
        buyer.expect("system", code="queued")
        agent.send(type="ping")  # back: the ping refreshes presence and takes the queue
        agent.expect("pong")
        assert agent.expect("assigned", conversation="s1:b1")["kind"] == "queued"
        buyer.expect("system", code="picked-up")

"""Reception over real websockets: bot-first, least-loaded human, queue then hand-out."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.conftest import TokenFor
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
            assigned = agent.recv()  # handed out when the agent came online
            assert assigned["type"] == "assigned" and assigned["conversation"] == "s1:b1"
            assert [h["text"] for h in assigned["history"]] == ["有人吗"]
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
        agent.send(type="presence", status="online")
        agent.expect("assigned", conversation="s1:b1")
        agent.expect("ok", action="presence")

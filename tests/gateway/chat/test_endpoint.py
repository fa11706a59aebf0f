"""Every error frame, over a real websocket; the connection stays open after each."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from tests.conftest import ClientFactory, TokenFor
from tests.gateway.wire import Peer, connect


@pytest.mark.parametrize(("raw", "code"), [
    ("not json", "bad-json"),
    ("[1, 2]", "bad-json"),
    ('{"id": "x1"}', "unknown-type"),
    ('{"type": "shout", "id": "x1"}', "unknown-type"),
    ('{"type": "message", "id": "x1"}', "bad-frame"),
    ('{"type": "message", "id": "x1", "text": "hi", "extra": 1}', "bad-frame"),
    ('{"type": "presence", "status": "sleeping"}', "bad-frame"),
    (json.dumps({"type": "message", "id": "x1", "text": "好" * 3000}), "too-large"),
    ('{"type": "message", "id": "x1", "text": "   "}', "invalid-input"),
    ('{"type": "message", "id": "x1", "text": "hi\\u0000"}', "invalid-input"),
    # issue 18: these escaped the error mapping (a crashed handler, or `internal`)
    pytest.param('{"type": "message", "id": "\\ud800", "text": "hi"}', "bad-frame",
                 id="lone-surrogate-id", marks=pytest.mark.issue(18)),
    pytest.param('{"type": "message", "id": "x1", "text": "hi", "conversation": "s1:\\u0000"}',
                 "bad-frame", id="nul-conversation", marks=pytest.mark.issue(18)),
    pytest.param('{"type": "message", "id": "x1", "text": "hi", "x": ' + "[" * 4000
                 + "]" * 4000 + "}", "bad-json", id="deep-nesting", marks=pytest.mark.issue(18)),
    pytest.param('{"type": ["message"], "id": "x1"}', "unknown-type", id="type-list",
                 marks=pytest.mark.issue(18)),
    pytest.param('{"type": {"a": 1}, "id": "x1"}', "unknown-type", id="type-object",
                 marks=pytest.mark.issue(18)),
])
def test_relay_error_frames_keep_the_connection(gateway_client: TestClient, token_for: TokenFor,
                                                raw: str, code: str) -> None:
    with connect(gateway_client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.send_text(raw)
        error = buyer.expect("error", code=code)
        assert error["message"]
        if '"id": "x1"' in raw and code not in ("too-large", "bad-json"):
            assert error["id"] == "x1"
        assert buyer.say("m1", "还在吗")["delivered"] is True  # still open


@pytest.mark.issue(18)
def test_relay_binary_frames_are_refused_not_guessed(gateway_client: TestClient,
                                                    token_for: TokenFor) -> None:
    with connect(gateway_client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.session.send_bytes(json.dumps({"type": "message", "id": "x1",
                                             "text": "在吗"}).encode())
        error = buyer.expect("error", code="bad-json")
        assert "二进制" in error["message"]
        buyer.session.send_bytes(b"\xff\xfe")
        buyer.expect("error", code="bad-json")
        assert buyer.say("m1", "还在吗")["delivered"] is True


def test_relay_rate_limit(client_factory: ClientFactory, token_for: TokenFor) -> None:
    client = client_factory(rate_per_s=0.001, rate_burst=3)
    with client.websocket_connect(f"/ws?token={token_for('buyer', 'b1', 's1')}") as session:
        peer = Peer(session)
        for _ in range(4):
            peer.send(type="ping")
        assert [peer.recv()["type"] for _ in range(4)] == ["pong", "pong", "pong", "error"]


def test_relay_cross_conversation_is_forbidden(gateway_client: TestClient,
                                               token_for: TokenFor) -> None:
    with connect(gateway_client, token_for("agent", "a1", "s1")) as a1, \
            connect(gateway_client, token_for("agent", "a2", "s1")) as a2, \
            connect(gateway_client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.say("m1", "在吗")
        a1.expect("assigned", conversation="s1:b1")
        a2.send(type="message", id="r1", conversation="s1:b1", text="亲，我来帮您")
        a2.expect("error", code="forbidden", id="r1")
        a2.send(type="message", id="r2", conversation="s1:nobody", text="亲，我来帮您")
        a2.expect("error", code="forbidden", id="r2")
        a2.send(type="message", id="r3", text="亲，我来帮您")
        a2.expect("error", code="bad-frame", id="r3")
        buyer.idle()


def test_relay_cross_shop_is_forbidden(gateway_client: TestClient, token_for: TokenFor) -> None:
    with connect(gateway_client, token_for("agent", "a1", "s1")) as a1, \
            connect(gateway_client, token_for("agent", "x1", "s2")) as other, \
            connect(gateway_client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.say("m1", "在吗")
        a1.expect("assigned")
        other.send(type="message", id="r1", conversation="s1:b1", text="亲，来我们店")
        other.expect("error", code="forbidden", id="r1")
        other.send(type="assist", conversation="s1:b1", on=True)
        other.expect("error", code="forbidden")
        buyer.send(type="message", id="m2", conversation="s2:b1", text="在吗")
        buyer.expect("error", code="forbidden", id="m2")
        buyer.send(type="ack", id="m1")
        buyer.expect("error", code="forbidden")
        buyer.send(type="presence", status="online")
        buyer.expect("error", code="forbidden")


def test_relay_unknown_held_message(gateway_client: TestClient, token_for: TokenFor) -> None:
    with connect(gateway_client, token_for("agent", "a1", "s1")) as agent, \
            connect(gateway_client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.say("m1", "在吗")
        agent.expect("assigned")
        agent.expect("message")
        agent.send(type="message", id="r1", conversation="s1:b1", text="亲，在的哦",
                   replaces="nope")
        agent.expect("error", code="unknown-message", id="r1")
        agent.send(type="send-anyway", id="nope")
        agent.expect("error", code="unknown-message", id="nope")

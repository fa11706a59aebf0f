"""A buyer that lost its socket reconnects with `?after=<last message id it received>` and gets
the shop's messages it missed, in order and once, before anything new (issue 18: a buyer whose
node was killed never got what was sent while it reconnected)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from tests.conftest import ClientFactory, TokenFor
from tests.gateway.wire import Peer, connect

pytestmark = pytest.mark.issue(18)

CONVERSATION = "s1:b1"


def resumed(client: TestClient, token: str, after: str):  # type: ignore[no-untyped-def]
    return connect(client, f"{token}&after={quote(after)}")


def talk_then_miss(client: TestClient, agent: Peer, buyer_token: str) -> None:
    """The buyer says m1 and gets r1; then, while it has no socket, the agent sends r2, r3."""
    with connect(client, buyer_token) as buyer:
        assert buyer.say("m1", "你好，这款有货吗")["delivered"] is True
        agent.expect("assigned", conversation=CONVERSATION)
        agent.expect("message", id="m1")
        assert agent.say("r1", "亲，有货的", CONVERSATION)["delivered"] is True
        buyer.expect("message", id="r1")
    for message_id, text in (("r2", "今天下单明天发货"), ("r3", "还有什么可以帮您？")):
        assert agent.say(message_id, text, CONVERSATION)["delivered"] is True


def test_buyer_reconnecting_gets_what_it_missed_in_order_then_new_ones_once(
        gateway_client: TestClient, token_for: TokenFor) -> None:
    buyer_token = token_for("buyer", "b1", "s1")
    with connect(gateway_client, token_for("agent", "a1", "s1")) as agent:
        talk_then_miss(gateway_client, agent, buyer_token)
        with resumed(gateway_client, buyer_token, "r1") as buyer:
            missed = buyer.arrived()
            assert [(f["type"], f["id"]) for f in missed] == [("message", "r2"), ("message", "r3")]
            assert missed[0]["text"] == "今天下单明天发货"
            assert missed[1]["from"] == {"role": "agent", "user": "a1"}
            assert agent.say("r4", "好的", CONVERSATION)["delivered"] is True
            # the new one once; nothing twice, and the buyer's own m1 is not sent back to it
            assert [f["id"] for f in buyer.arrived()] == ["r4"]


def test_buyer_that_received_nothing_yet_gets_every_kept_shop_message(
        gateway_client: TestClient, token_for: TokenFor) -> None:
    """`after=` (empty): it saw none; an id the gateway no longer keeps: all it keeps too."""
    buyer_token = token_for("buyer", "b1", "s1")
    with connect(gateway_client, token_for("agent", "a1", "s1")) as agent:
        talk_then_miss(gateway_client, agent, buyer_token)
        for after in ("", "long-gone"):
            with resumed(gateway_client, buyer_token, after) as buyer:
                assert [f["id"] for f in buyer.arrived()] == ["r1", "r2", "r3"]


def test_without_after_nothing_is_replayed(gateway_client: TestClient,
                                           token_for: TokenFor) -> None:
    """A fresh page asks for no replay."""
    buyer_token = token_for("buyer", "b1", "s1")
    with connect(gateway_client, token_for("agent", "a1", "s1")) as agent:
        talk_then_miss(gateway_client, agent, buyer_token)
        with connect(gateway_client, buyer_token) as buyer:
            buyer.idle()


@pytest.mark.parametrize(("role", "user", "after"), [
    ("buyer", "b1", "x" * 65),
    ("buyer", "b1", "r\x001"),
    ("agent", "a1", "r1"),  # an agent's `assigned` frames carry the history instead
])
def test_a_bad_after_is_an_error_frame_and_the_connection_stays(
        gateway_client: TestClient, token_for: TokenFor, role: str, user: str,
        after: str) -> None:
    token = token_for(role, user, "s1")
    with gateway_client.websocket_connect(
            f"/ws?token={token}&after={quote(after)}") as session:
        peer = Peer(session)
        frames = peer.arrived()
        assert [(f["type"], f.get("code")) for f in frames] == [("error", "bad-frame")]
        assert "after" in frames[0]["message"]
        peer.idle()  # still open


def test_a_resume_replays_the_kept_shop_messages_only_not_gateway_notices(
        client_factory: ClientFactory, token_for: TokenFor) -> None:
    """docs/protocol.md, what a resume replays: the shop side's `message` frames among the
    conversation's last REPLYGUARD_HISTORY_SIZE messages (the buyer's own counted); an older
    one it missed is not (a `history-gap` notice says so), nor is any `system` notice
    (`picked-up` here) sent meanwhile."""
    client = client_factory(history_size=4)
    buyer_token = token_for("buyer", "b1", "s1")
    with connect(client, buyer_token) as buyer:  # nobody online: queued
        assert buyer.say("m1", "你好，这款有货吗")["delivered"] is True
        buyer.expect("system", code="queued")
    with connect(client, token_for("agent", "a1", "s1")) as agent:
        # connecting hands it the queued buyer: `picked-up` goes to a buyer without a socket
        assert ("assigned", "queued") in [(f["type"], f.get("kind")) for f in agent.arrived()]
        for n in range(1, 6):
            assert agent.say(f"r{n}", f"第{n}条回复", CONVERSATION)["delivered"] is True
    for after in ("", "r1"):
        with resumed(client, buyer_token, after) as buyer:
            # kept: r2-r5 (m1 and r1 fell out of the last four); r1 and `picked-up` are not
            # replayed, and the buyer is told that older ones may be missing
            frames = buyer.arrived()
            assert [(f["type"], f.get("code"), f.get("id")) for f in frames] == [
                ("system", "history-gap", None), ("message", None, "r2"),
                ("message", None, "r3"), ("message", None, "r4"), ("message", None, "r5")]
    with resumed(client, buyer_token, "r3") as buyer:  # a kept resume point: no gap
        assert [f.get("id") for f in buyer.arrived()] == ["r4", "r5"]

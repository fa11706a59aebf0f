"""Upkeep: an idle agent whose socket is open stays visible to reception (the node refreshes its
presence, not only the agent's next frame). Putting state back after Redis lost it runs on real
processes in tests/gateway/test_faults.py."""

from __future__ import annotations

import time

from tests.conftest import ClientFactory, TokenFor
from tests.gateway.wire import connect


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

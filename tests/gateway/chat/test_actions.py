"""What the agent does about an intercepted message while the interception log is down, on a
real PostgreSQL stopped and started under a running app: an action either takes effect with its
record committed, or is refused with log-unavailable and changes nothing (never delivered while
the agent is told it was not); changes that happen regardless (expired) are retried until the
database is back, so no record stays `held`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

import pytest
from starlette.testclient import TestClient

from bench.pgserver import PostgresServer
from gateway.log import LogFilter, Outcome
from tests.conftest import ClientFactory, TokenFor
from tests.gateway.wire import assigned_chat

pytestmark = pytest.mark.issue(18)
CONV = "s1:b1"


@contextmanager
def log_down(server: PostgresServer) -> Iterator[None]:
    server.checkpoint()  # what was committed survives the crash-stop
    server.pause()
    try:
        yield
    finally:
        server.resume()


def outcomes(client: TestClient) -> dict[str, Outcome]:
    log = client.app.state.gateway.log  # type: ignore[attr-defined]
    page = client.portal.call(log.query, LogFilter())  # type: ignore[union-attr]
    return {r.text: r.outcome for r in page.items}


def test_actions_with_the_log_down_are_refused_then_work(
        client_factory: ClientFactory, token_for: TokenFor,
        postgres_server: PostgresServer) -> None:
    name = f"outage_{uuid.uuid4().hex[:12]}"
    client = client_factory(database_url=postgres_server.create_database(name))
    with assigned_chat(client, token_for("agent", "a1", "s1"), token_for("buyer", "b1", "s1"),
                       CONV) as (agent, buyer):
        assert agent.say("r1", "不知道", CONV)["tier"] == "suggest-edit"
        assert agent.say("r3", "呵呵", CONV)["tier"] == "force-edit"

        with log_down(postgres_server):
            agent.send(type="send-anyway", id="r1")
            error = agent.expect("error", code="log-unavailable", id="r1")
            assert "未发送" in error["message"] and "127.0.0.1" not in error["message"]
            agent.send(type="message", id="r4", conversation=CONV, replaces="r3",
                       text="亲，实在抱歉，我马上帮您处理")
            agent.expect("error", code="log-unavailable", id="r4")
            buyer.idle()  # neither the overridden nor the edited message reached the buyer

        agent.send(type="send-anyway", id="r1")  # still held: the retry works
        agent.expect("ok", action="send-anyway", id="r1")
        buyer.expect("message", id="r1", text="不知道")
        assert agent.say("r4", "亲，实在抱歉，我马上帮您处理", CONV, replaces="r3")["delivered"]
        buyer.expect("message", id="r4")

        assert agent.say("r5", "傻逼", CONV)["tier"] == "block-with-warning"
        with log_down(postgres_server):
            agent.send(type="ack", id="r5")
            agent.expect("error", code="log-unavailable", id="r5")
            agent.send(type="message", id="r6", conversation=CONV, text="亲，在的")
            agent.expect("error", code="warning-unacknowledged", id="r6")  # still warned
        agent.send(type="ack", id="r5")
        agent.expect("ok", action="ack", id="r5")

        assert agent.say("r7", "不知道呢", CONV)["delivered"] is False
        with log_down(postgres_server):
            # r7's hold runs out while the log is down: drafts outlive connections, so it is
            # the sweep (gateway/chat/pending.py) that expires it; here, forced to now
            pending = client.app.state.gateway.pending  # type: ignore[attr-defined]
            assert client.portal is not None
            client.portal.call(partial(pending.expire, "s1", "a1", "hold expired",
                                       everything=True))
            time.sleep(0.5)
    deadline = time.monotonic() + 20  # the writer retries with backoff (at most 5 s apart)
    while outcomes(client).get("不知道呢") is not Outcome.EXPIRED and time.monotonic() < deadline:
        time.sleep(0.2)
    assert outcomes(client) == {"不知道": Outcome.OVERRIDDEN, "呵呵": Outcome.EDITED,
                                "傻逼": Outcome.ACKNOWLEDGED, "不知道呢": Outcome.EXPIRED}

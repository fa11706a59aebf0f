"""Route-to-human over real websockets: buyer escalations, bot replies, assist, offline shop."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.testclient import TestClient

from classifiers.resources import default_policy_file
from gateway.log import LogFilter, Outcome
from gateway.log.engine import SQLITE_FILE
from gateway.settings import Settings
from tests.conftest import ClientFactory, TokenFor
from tests.gateway.wire import Peer, connect

CONV = "s1:b1"
ELIGIBLE_A2 = """
shops:
  s1:
    tiers:
      route-to-human: {eligible_agents: [a2]}
"""


@contextmanager
def bot_chat(client: TestClient, token_for: TokenFor) -> Iterator[tuple[Peer, Peer, Peer]]:
    """Agent a1, bot bot1 and buyer b1 of s1 online; the buyer's first message went to the
    bot (bot-first shop)."""
    with connect(client, token_for("agent", "a1", "s1")) as agent, \
            connect(client, token_for("bot", "bot1", "s1")) as bot, \
            connect(client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.say("m1", "这个能便宜吗")
        bot.expect("assigned", conversation=CONV)
        bot.expect("message", id="m1")
        yield agent, bot, buyer


def test_handoff_buyer_escalation_moves_from_bot_to_human_with_assist_off(
        gateway_client: TestClient, token_for: TokenFor) -> None:
    with bot_chat(gateway_client, token_for) as (agent, bot, buyer):
        agent.send(type="assist", conversation=CONV, on=True)
        agent.expect("ok", action="assist", conversation=CONV)
        verdict = buyer.say("m2", "我要投诉，转人工")
        assert verdict["tier"] == "route-to-human" and verdict["delivered"] is True
        bot.expect("unassigned", conversation=CONV)
        assigned = agent.expect("assigned", conversation=CONV)
        assert [h["id"] for h in assigned["history"]] == ["m1"]
        hint = agent.expect("system", code="assist-off", conversation=CONV)
        assert "机器人" in hint["text"]
        buyer.expect("system", code="routed", text="已为您转接人工客服，请稍候")
        agent.expect("message", id="m2")
        bot.send(type="message", id="r1", conversation=CONV, text="亲，在的")
        bot.expect("error", code="forbidden", id="r1")


def test_handoff_buyer_route_is_recorded_before_any_client_hears_of_it(
        gateway_client: TestClient, gateway_settings: Settings, token_for: TokenFor) -> None:
    """docs/log.md, "Order": the buyer's route-to-human record is committed before the route
    moves anything. The test holds the SQLite write lock for a second: the bot's `unassigned`
    (the first frame the route sends) must not arrive before the record is on disk."""
    database = gateway_settings.data_dir / SQLITE_FILE
    locked, release = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        holder = sqlite3.connect(database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(1.0)
        holder.execute("ROLLBACK")
        holder.close()

    def committed() -> list[tuple[str, str]]:
        reader = sqlite3.connect(database)
        try:
            return reader.execute("SELECT text, outcome FROM interceptions").fetchall()
        finally:
            reader.close()

    with bot_chat(gateway_client, token_for) as (agent, bot, buyer):
        holder = threading.Thread(target=hold_the_write_lock)
        holder.start()
        try:
            assert locked.wait(5)
            buyer.send(type="message", id="m2", text="我要投诉，转人工")
            bot.expect("unassigned", conversation=CONV)
            # the record may already say where the route went (`routed` follows as soon as the
            # transcript has the message); what must never be is no record at all
            assert committed() in ([("我要投诉，转人工", "delivered")],
                                   [("我要投诉，转人工", "routed")]), \
                "the route reached a client before its record was committed"
        finally:
            release.set()
            holder.join()
        agent.expect("assigned", conversation=CONV)
        buyer.expect("verdict", id="m2", tier="route-to-human", delivered=True)
        log = gateway_client.app.state.gateway.log  # type: ignore[attr-defined]
        gateway_client.portal.call(log.flush)  # type: ignore[union-attr]
        assert committed() == [("我要投诉，转人工", "routed")]


def test_handoff_sticky_buyer_skips_the_bot_later(gateway_client: TestClient,
                                                  token_for: TokenFor) -> None:
    with connect(gateway_client, token_for("agent", "a1", "s1")) as agent, \
            connect(gateway_client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.say("m1", "转人工")
        agent.expect("assigned", conversation=CONV)
        agent.expect("system", code="assist-off", conversation=CONV)
        buyer.expect("system", code="routed")
        agent.expect("message", id="m1")
    with connect(gateway_client, token_for("bot", "bot1", "s1")) as bot, \
            connect(gateway_client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.say("m2", "还在吗")  # the agent left; a bot is online, but the buyer is sticky
        buyer.expect("system", code="queued")
        bot.idle()


def test_handoff_bot_reply_at_force_edit_routes(gateway_client: TestClient,
                                                token_for: TokenFor) -> None:
    with connect(gateway_client, token_for("agent", "a1", "s1")) as agent, \
            connect(gateway_client, token_for("bot", "bot1", "s1")) as bot, \
            connect(gateway_client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.say("m1", "质量这么差？")
        bot.expect("assigned")
        bot.expect("message", id="m1")
        verdict = bot.say("r1", "呵呵", CONV)
        assert verdict["tier"] == "force-edit" and verdict["delivered"] is False
        bot.expect("unassigned", conversation=CONV)
        agent.expect("assigned", conversation=CONV)
        buyer.expect("system", code="routed")
        log = gateway_client.app.state.gateway.log  # type: ignore[attr-defined]
        gateway_client.portal.call(log.flush)  # type: ignore[union-attr]
        page = gateway_client.portal.call(log.query, LogFilter())  # type: ignore[union-attr]
        assert [r.outcome for r in page.items] == [Outcome.ROUTED]


def test_handoff_no_human_online_leaves_the_conversation(gateway_client: TestClient,
                                                        token_for: TokenFor) -> None:
    with connect(gateway_client, token_for("bot", "bot1", "s1")) as bot, \
            connect(gateway_client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.say("m1", "你好")
        bot.expect("assigned")
        bot.expect("message", id="m1")
        assert buyer.say("m2", "我要投诉")["tier"] == "route-to-human"
        bot.expect("message", id="m2")  # nothing routed: the bot still has it
        assert 'replyguard_handoffs_total{result="no-agent"} 1.0' in \
            gateway_client.get("/metrics").text


def test_handoff_eligible_agents_only(client_factory: ClientFactory, token_for: TokenFor,
                                      tmp_path: Path) -> None:
    """RouteSettings.eligible_agents (a shop override) limits who takes routed buyers; the
    policy change arrives through the reload API."""
    policy = tmp_path / "policies.yaml"
    policy.write_text(default_policy_file().read_text(encoding="utf-8") + ELIGIBLE_A2,
                      encoding="utf-8")
    client = client_factory(policy_file=policy)
    qa = {"Authorization": f"Bearer {token_for('qa', 'q1', '*')}"}
    assert client.post("/api/config/reload", headers=qa).json()["result"] == "applied"
    with connect(client, token_for("agent", "a1", "s1")) as a1, \
            connect(client, token_for("agent", "a2", "s1")) as a2, \
            connect(client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.say("m1", "在吗")
        a1.expect("assigned", conversation=CONV)  # reception: least loaded, a1 first
        a1.expect("message", id="m1")
        buyer.say("m2", "我要投诉")
        a1.expect("unassigned", conversation=CONV)
        a2.expect("assigned", conversation=CONV)


AGENT_HINT = "该买家已转接给您，已关闭对此买家的机器人辅助回复"


def test_handoff_assist_off_comes_with_every_hand_over(gateway_client: TestClient,
                                                       token_for: TokenFor) -> None:
    """docs/protocol.md: an agent handed a routed buyer gets `assist-off` right after
    `assigned`, whether or not it had assist on (issue 14: only when it had)."""
    with bot_chat(gateway_client, token_for) as (agent, bot, buyer):
        buyer.say("m2", "我要投诉")
        bot.expect("unassigned", conversation=CONV)
        agent.expect("assigned", conversation=CONV)
        agent.expect("system", code="assist-off", conversation=CONV, text=AGENT_HINT)
        agent.expect("message", id="m2")
        agent.idle()


def test_handoff_assist_off_when_the_agent_already_had_the_buyer_with_assist_on(
        gateway_client: TestClient, token_for: TokenFor) -> None:
    """Already with a human: the route moves nothing; assist that was on goes off and the agent
    is told once; a repeated escalation (assist now off) sends nothing more."""
    with connect(gateway_client, token_for("agent", "a1", "s1")) as agent, \
            connect(gateway_client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.say("m1", "在吗")
        agent.expect("assigned", conversation=CONV)
        agent.expect("message", id="m1")
        agent.send(type="assist", conversation=CONV, on=True)
        agent.expect("ok", action="assist", conversation=CONV)
        buyer.say("m2", "我要投诉")
        agent.expect("system", code="assist-off", conversation=CONV, text=AGENT_HINT)
        agent.expect("message", id="m2")
        state = gateway_client.app.state.gateway.state  # type: ignore[attr-defined]
        assert gateway_client.portal.call(  # type: ignore[union-attr]
            state.assist, "s1", "a1", CONV) is False
        buyer.say("m3", "我要投诉")
        agent.expect("message", id="m3")  # no second hint
        agent.idle()
        buyer.idle()  # and no second `routed`: nothing moved

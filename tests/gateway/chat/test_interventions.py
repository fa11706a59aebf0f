"""Every intervention end to end over a real websocket, with the shipped policy and lexicons."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from bench.redisserver import RedisServer
from classifiers.resources import default_policy_file
from classifiers.results import Role
from classifiers.tiers import Tier
from gateway.chat.moderation import Moderation
from gateway.log import InterceptionRecord, LogFilter, Outcome
from gateway.runtime import Gateway
from tests.conftest import ClientFactory, TokenFor
from tests.gateway.wire import Peer, connect

CONV = "s1:b1"


@pytest.fixture
def chat(gateway_client: TestClient, token_for: TokenFor) -> Iterator[tuple[Peer, Peer]]:
    """Agent a1 of shop s1 online, buyer b1 of s1 assigned to it after a first message."""
    with ExitStack() as stack:
        agent = stack.enter_context(connect(gateway_client, token_for("agent", "a1", "s1")))
        buyer = stack.enter_context(connect(gateway_client, token_for("buyer", "b1", "s1")))
        buyer.say("m0", "你好，请问有货吗")
        agent.expect("assigned", conversation=CONV)
        agent.expect("message", id="m0", text="你好，请问有货吗")
        yield agent, buyer


def records(client: TestClient, **filters: Any) -> list[InterceptionRecord]:
    """The log as it is on disk now (no flush: only committed records)."""
    log = client.app.state.gateway.log  # type: ignore[attr-defined]
    page = client.portal.call(log.query, LogFilter(**filters))  # type: ignore[union-attr]
    return list(page.items)


def flushed(client: TestClient, **filters: Any) -> list[InterceptionRecord]:
    log = client.app.state.gateway.log  # type: ignore[attr-defined]
    client.portal.call(log.flush)  # type: ignore[union-attr]
    return records(client, **filters)


def test_interventions_none_is_delivered(chat: tuple[Peer, Peer]) -> None:
    agent, buyer = chat
    verdict = agent.say("r1", "亲，有货的，今天下单明天发", CONV)
    assert verdict["tier"] == "none" and verdict["delivered"] is True
    buyer.expect("message", id="r1", conversation=CONV, text="亲，有货的，今天下单明天发",
                 **{"from": {"role": "agent", "user": "a1"}})


def test_interventions_notice_delivers_with_banner(chat: tuple[Peer, Peer],
                                                   gateway_client: TestClient) -> None:
    agent, buyer = chat
    verdict = agent.say("r1", "好的", CONV)
    assert verdict["tier"] == "notice" and verdict["delivered"] is True
    notice = agent.expect("notice", id="r1", ttl_ms=10000, dismissible=False)
    assert notice["text"] == verdict["reason"]
    buyer.expect("message", id="r1", text="好的")
    [record] = flushed(gateway_client, shops=frozenset({"s1"}))
    assert record.outcome is Outcome.DELIVERED and record.tier == "notice"
    assert [c.text for c in record.context] == ["你好，请问有货吗"]


@pytest.mark.parametrize(("said", "tier"), [("谢谢亲，那我等你们发货", "none"),
                                           ("发什么快递？", "notice")])
def test_interventions_reply_is_judged_against_the_buyers_last_message(
        chat: tuple[Peer, Peer], gateway_client: TestClient, said: str, tier: str) -> None:
    agent, buyer = chat
    agent.say("r0", "亲，有货的，今天下单明天发", CONV)   # the agent's own message in between
    buyer.expect("message", id="r0")
    buyer.say("m1", said)
    agent.expect("message", id="m1", text=said)
    verdict = agent.say("r1", "好的", CONV)
    assert verdict["tier"] == tier and verdict["delivered"] is True
    buyer.expect("message", id="r1", text="好的")
    if tier == "notice":
        [record] = flushed(gateway_client, shops=frozenset({"s1"}))
        assert record.answered == said   # the supervisor sees what the reply answered


def test_interventions_reply_after_the_agents_own_answer_has_no_context(
        chat: tuple[Peer, Peer]) -> None:
    agent, buyer = chat
    assert agent.say("r1", "亲，有货的，今天下单明天发", CONV)["tier"] == "none"
    verdict = agent.say("r2", "好的", CONV)   # follows its own answer, not the question
    assert verdict["tier"] == "none"
    buyer.expect("message", id="r1")
    buyer.expect("message", id="r2", text="好的")


def test_interventions_suggest_edit_send_anyway_overrides(chat: tuple[Peer, Peer],
                                                          gateway_client: TestClient) -> None:
    agent, buyer = chat
    verdict = agent.say("r1", "不知道", CONV)
    assert verdict["tier"] == "suggest-edit" and verdict["delivered"] is False
    assert verdict["actions"] == ["edit", "send-anyway"]
    agent.send(type="send-anyway", id="r1")
    agent.expect("ok", action="send-anyway", id="r1", conversation=CONV)
    buyer.expect("message", id="r1", text="不知道")
    [record] = flushed(gateway_client, shops=frozenset({"s1"}))
    assert record.outcome is Outcome.OVERRIDDEN


def test_interventions_suggest_edit_replaced_by_edit(chat: tuple[Peer, Peer],
                                                     gateway_client: TestClient) -> None:
    agent, buyer = chat
    agent.say("r1", "不知道", CONV)
    verdict = agent.say("r2", "亲，这个我帮您问一下仓库，稍等哦", CONV, replaces="r1")
    assert verdict["tier"] == "none" and verdict["delivered"] is True
    buyer.expect("message", id="r2")
    [record] = flushed(gateway_client, shops=frozenset({"s1"}))
    assert record.outcome is Outcome.EDITED
    agent.send(type="send-anyway", id="r1")  # the edit released the hold
    agent.expect("error", code="unknown-message", id="r1")


def test_interventions_force_edit_refuses_send_anyway(chat: tuple[Peer, Peer],
                                                      gateway_client: TestClient) -> None:
    agent, buyer = chat
    verdict = agent.say("r1", "呵呵", CONV)
    assert verdict["tier"] == "force-edit" and verdict["actions"] == ["edit"]
    agent.send(type="send-anyway", id="r1")
    agent.expect("error", code="edit-required", id="r1")
    held = agent.say("r2", "呵呵呵", CONV, replaces="r1")  # an edit that fails is held again
    assert held["tier"] == "force-edit"
    passed = agent.say("r3", "亲，实在抱歉，我马上帮您处理", CONV, replaces="r2")
    assert passed["delivered"] is True
    buyer.expect("message", id="r3")
    outcomes = sorted(str(r.outcome) for r in flushed(gateway_client, shops=frozenset({"s1"})))
    assert outcomes == ["edited", "edited"]


def test_interventions_block_is_durable_before_its_verdict(chat: tuple[Peer, Peer],
                                                           gateway_client: TestClient) -> None:
    agent, buyer = chat
    verdict = agent.say("r1", "加我薇信，便宜点", CONV)
    assert verdict["tier"] == "block" and verdict["delivered"] is False
    assert "站外" in verdict["reason"] and verdict["matches"][0]["evasion"] is True
    [record] = records(gateway_client, shops=frozenset({"s1"}))  # committed, not batched
    assert record.outcome is Outcome.BLOCKED and record.conversation == CONV
    assert record.user == "a1" and record.buyer == "b1" and record.version == verdict["version"]
    buyer.idle()  # nothing was delivered to the buyer: the pong is its next frame


def test_interventions_block_with_warning_gates_until_ack(chat: tuple[Peer, Peer],
                                                          gateway_client: TestClient) -> None:
    agent, buyer = chat
    verdict = agent.say("r1", "傻逼", CONV)
    assert verdict["tier"] == "block-with-warning" and verdict["delivered"] is False
    agent.send(type="message", id="r2", conversation=CONV, text="亲，在的")
    agent.expect("error", code="warning-unacknowledged", id="r2")
    agent.send(type="ack", id="wrong")
    agent.expect("error", code="unknown-message", id="wrong")
    agent.send(type="ack", id="r1")
    agent.expect("ok", action="ack", id="r1", conversation=CONV)
    # an answer to the buyer's 请问有货吗 (a greeting template would be an unanswered notice)
    assert agent.say("r3", "亲，有货的，今天下单今天发", CONV)["delivered"] is True
    buyer.expect("message", id="r3")
    [record] = flushed(gateway_client, shops=frozenset({"s1"}))
    assert record.outcome is Outcome.ACKNOWLEDGED


def test_interventions_appeal_is_recorded(chat: tuple[Peer, Peer],
                                          gateway_client: TestClient) -> None:
    agent, _ = chat
    agent.say("r1", "加我薇信", CONV)
    agent.send(type="appeal", id="r1", note="买家问的是官方微信公众号")
    agent.expect("ok", action="appeal", id="r1")
    [record] = flushed(gateway_client, shops=frozenset({"s1"}))
    assert record.appeal_note == "买家问的是官方微信公众号" and record.appealed
    agent.send(type="appeal", id="r1")    # again, without a note: kept, blanks nothing
    agent.expect("ok", action="appeal", id="r1")
    [record] = flushed(gateway_client, shops=frozenset({"s1"}))
    assert [a.note for a in record.appeals] == ["买家问的是官方微信公众号", None]
    assert record.appeal_note == "买家问的是官方微信公众号"
    agent.send(type="appeal", id="r-none", note="?")
    agent.expect("error", code="unknown-message")


def test_interventions_buyer_messages_are_never_held(chat: tuple[Peer, Peer]) -> None:
    agent, buyer = chat
    verdict = buyer.say("m1", "傻逼客服")
    assert verdict["delivered"] is True
    agent.expect("message", id="m1", text="傻逼客服")


ROUTED_HINT = "已为您转接人工客服，请稍候"


def test_interventions_act_on_the_version_that_scored(client_factory: ClientFactory,
                                                      token_for: TokenFor,
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A reload lands between scoring a bot reply and acting on it: the route-to-human that
    follows uses the settings of the version that scored the reply (issue 14: interventions
    used to read the running policy again after several awaits)."""
    shipped = default_policy_file().read_text(encoding="utf-8")
    assert ROUTED_HINT in shipped
    policy = tmp_path / "policies.yaml"
    policy.write_text(shipped, encoding="utf-8")
    client = client_factory(policy_file=policy)
    gateway: Gateway = client.app.state.gateway  # type: ignore[attr-defined]
    scored_under = gateway.live.version
    moderate = gateway.moderator.moderate

    async def moderate_then_reload(text: str, role: Role, **kwargs: Any) -> Moderation:
        moderation = await moderate(text, role, **kwargs)
        if role is Role.BOT:
            policy.write_text(shipped.replace(ROUTED_HINT, "新版本的转接提示"), encoding="utf-8")
            assert (await gateway.live.reload("test")).result == "applied"
        return moderation

    monkeypatch.setattr(gateway.moderator, "moderate", moderate_then_reload)
    with connect(client, token_for("agent", "a1", "s1")) as agent, \
            connect(client, token_for("bot", "bot1", "s1")) as bot, \
            connect(client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.say("m1", "质量这么差？")
        bot.expect("assigned")
        bot.expect("message", id="m1")
        verdict = bot.say("r1", "呵呵", CONV)
        assert verdict["tier"] == "force-edit" and verdict["version"] == scored_under
        assert gateway.live.version != scored_under  # the reload did land meanwhile
        bot.expect("unassigned", conversation=CONV)
        agent.expect("assigned", conversation=CONV)
        buyer.expect("system", code="routed", text=ROUTED_HINT)


def test_interventions_verdict_and_record_name_the_escalation(
        chat: tuple[Peer, Peer], gateway_client: TestClient) -> None:
    """docs/policy.md: a tier raised by repeat offences keeps the matching rule and names the
    escalation, in the verdict frame and in the interception record (issue 14)."""
    agent, buyer = chat
    for n in (1, 2):
        first = agent.say(f"r{n}", "随便", CONV)
        assert first["tier"] == "notice" and "escalation" not in first
        agent.expect("notice", id=f"r{n}")
        buyer.expect("message", id=f"r{n}")
    third = agent.say("r3", "随便", CONV)
    assert third["tier"] == "suggest-edit" and third["delivered"] is False
    assert third["escalation"] == "repeat-attitude" and third["rule"] == first["rule"]
    assert "服务态度" in third["reason"]
    [record] = records(gateway_client, shops=frozenset({"s1"}),
                       tiers=frozenset({Tier.SUGGEST_EDIT}))
    assert (record.escalation, record.rule) == ("repeat-attitude", first["rule"])
    assert record.to_dict()["escalation"] == "repeat-attitude"


@pytest.mark.issue(18)
def test_interventions_a_held_message_id_is_not_reused(chat: tuple[Peer, Peer],
                                                      gateway_client: TestClient) -> None:
    """A second message under the id of a held one would leave the first record `held`
    forever: it is refused; an edit naming the held id in `replaces` may reuse it."""
    agent, buyer = chat
    assert agent.say("r1", "不知道", CONV)["tier"] == "suggest-edit"
    agent.send(type="message", id="r1", conversation=CONV, text="亲，有货的")
    error = agent.expect("error", code="bad-frame", id="r1")
    assert "replaces" in error["message"]
    agent.send(type="send-anyway", id="r1")  # the first is still held, as it was
    agent.expect("ok", action="send-anyway", id="r1")
    buyer.expect("message", id="r1", text="不知道")
    assert agent.say("r2", "不知道呢", CONV)["tier"] == "suggest-edit"
    assert agent.say("r2", "亲，有货的，今天下单明天发", CONV, replaces="r2")["delivered"]
    buyer.expect("message", id="r2", text="亲，有货的，今天下单明天发")
    outcomes = {str(r.text): r.outcome for r in flushed(gateway_client, shops=frozenset({"s1"}))}
    assert outcomes == {"不知道": Outcome.OVERRIDDEN, "不知道呢": Outcome.EDITED}


def test_interventions_a_reused_message_id_is_refused(chat: tuple[Peer, Peer]) -> None:
    """Ids are unique per sender (docs/protocol.md): a second message under an id this connection
    already had accepted is a bad-frame and reaches no one; a refused message's id is free."""
    agent, buyer = chat
    assert agent.say("r1", "亲，有货的", CONV)["delivered"]
    buyer.expect("message", id="r1", text="亲，有货的")
    agent.send(type="message", id="r1", conversation=CONV, text="今天下单明天发")
    assert "r1" in agent.expect("error", code="bad-frame", id="r1")["message"]
    buyer.send(type="message", id="m0", text="好的")     # the buyer's first message was m0
    buyer.expect("error", code="bad-frame", id="m0")
    buyer.idle()
    agent.idle()
    agent.send(type="message", id="r2", conversation="s1:other", text="在的")
    agent.expect("error", code="forbidden", id="r2")
    assert agent.say("r2", "今天下单明天发", CONV)["delivered"]   # refused before: free
    buyer.expect("message", id="r2", text="今天下单明天发")


@pytest.mark.issue(18)
def test_interventions_an_unstorable_appeal_note_is_a_bad_frame(chat: tuple[Peer, Peer],
                                                                gateway_client: TestClient
                                                                ) -> None:
    agent, _ = chat
    agent.say("r1", "加我薇信", CONV)
    agent.send_text('{"type": "appeal", "id": "r1", "note": "\\u0000"}')
    agent.expect("error", code="bad-frame", id="r1")
    agent.send(type="appeal", id="r1", note="买家问的是公众号")
    agent.expect("ok", action="appeal", id="r1")


def test_interventions_a_delivery_that_fails_on_redis_leaves_an_undelivered_record(
        client_factory: ClientFactory, token_for: TokenFor,
        restartable_redis: RedisServer) -> None:
    """A notice (agent) and a route-to-human (buyer) are committed as delivered before they go
    out; when the frame cannot be published (Redis refuses XADD: the real server, its ACL
    taking the command away), the sender gets `state-unavailable` and the record says
    `undelivered`, not `delivered`. The resend then goes out as a record of its own."""
    client = client_factory(redis_url=restartable_redis.url)
    admin = redis.Redis.from_url(restartable_redis.url)
    with connect(client, token_for("agent", "a1", "s1")) as agent, \
            connect(client, token_for("buyer", "b1", "s1")) as buyer:
        buyer.say("m0", "你好，请问有货吗")
        agent.expect("assigned", conversation=CONV)
        agent.expect("message", id="m0")
        admin.acl_setuser("default", enabled=True, commands=["-xadd"])
        try:
            agent.send(type="message", id="r1", conversation=CONV, text="好的")
            agent.expect("error", code="state-unavailable", id="r1")
            buyer.send(type="message", id="m1", text="我要投诉，转人工")
            buyer.expect("error", code="state-unavailable", id="m1")
        finally:
            admin.acl_setuser("default", enabled=True, commands=["+xadd"])
            admin.close()
        assert {(r.text, r.outcome) for r in flushed(client, shops=frozenset({"s1"}))} == {
            ("好的", Outcome.UNDELIVERED), ("我要投诉，转人工", Outcome.UNDELIVERED)}
        assert agent.say("r1", "好的", CONV)["delivered"] is True
        buyer.expect("message", id="r1")
    outcomes = sorted(str(r.outcome) for r in flushed(client, shops=frozenset({"s1"})))
    assert outcomes == ["delivered", "undelivered", "undelivered"]

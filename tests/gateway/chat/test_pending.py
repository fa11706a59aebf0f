"""What an agent has pending outlives its connection: on reconnect it gets its conversations with
their history, its held drafts and its unacknowledged warnings, and can act on them (and appeal
what an earlier connection wrote); a draft whose hold time ran out is logged as expired, on
the next connection or by the sweep."""

from __future__ import annotations

import asyncio
import time
from contextlib import ExitStack
from pathlib import Path

from pydantic import SecretStr
from starlette.testclient import TestClient

from classifiers.tiers import Tier
from gateway.app import create_app
from gateway.chat.pending import Pending
from gateway.chat.transcript import Transcript
from gateway.log import LogFilter, Outcome, open_log
from gateway.settings import Settings
from gateway.state import HeldDraft
from gateway.state.local_state import LocalState
from tests.conftest import MINI_POLICY, TEST_SECRET, TokenFor, write_mini_config
from tests.gateway.api.helpers import gateway_log
from tests.gateway.log.records_factory import make_record
from tests.gateway.wire import Peer, connect

CONV = "s1:b1"


def chat(stack: ExitStack, client: TestClient, token_for: TokenFor) -> tuple[Peer, Peer]:
    buyer = stack.enter_context(connect(client, token_for("buyer", "b1", "s1")))
    agent = stack.enter_context(connect(client, token_for("agent", "a1", "s1")))
    buyer.say("m1", "在吗")
    agent.expect("assigned", conversation=CONV)
    agent.expect("message", id="m1")
    return agent, buyer


def records(client: TestClient) -> dict[str, Outcome]:
    log = gateway_log(client)
    assert client.portal is not None
    client.portal.call(log.flush)
    page = client.portal.call(log.query, LogFilter(), None, 100)
    return {r.text: r.outcome for r in page.items}


def test_pending_reconnect_brings_back_conversations_drafts_and_warnings(
        gateway_client: TestClient, token_for: TokenFor) -> None:
    stack = ExitStack()
    agent, buyer = chat(stack, gateway_client, token_for)
    assert agent.say("r1", "亲，稍等", CONV)["delivered"]
    assert agent.say("r2", "不知道", CONV)["tier"] == "suggest-edit"
    agent.session.close()
    with connect(gateway_client, token_for("agent", "a1", "s1")) as again:
        resumed = again.expect("assigned", conversation=CONV)
        assert resumed["kind"] == "resumed" and resumed["assist"] is False
        assert [h["text"] for h in resumed["history"]] == ["在吗", "亲，稍等"]
        held = again.expect("held", id="r2", conversation=CONV, text="不知道",
                            tier="suggest-edit", actions=["edit", "send-anyway"])
        assert held["matches"][0]["text"] == "不知道"
        again.send(type="send-anyway", id="r2")
        again.expect("ok", action="send-anyway", id="r2")
        buyer.expect("message", id="r1")
        buyer.expect("message", id="r2", text="不知道")
        assert again.say("r3", "你是傻逼吧", CONV)["tier"] == "block-with-warning"
    with connect(gateway_client, token_for("agent", "a1", "s1")) as third:
        third.expect("assigned", conversation=CONV)
        warning = third.expect("warning", id="r3", conversation=CONV, text="你是傻逼吧")
        assert warning["reason"] and warning["matches"]
        third.send(type="message", id="r4", conversation=CONV, text="亲")
        third.expect("error", code="warning-unacknowledged", id="r4")
        third.send(type="ack", id="r3")
        third.expect("ok", action="ack", id="r3")
        # an appeal of a message the first connection wrote
        third.send(type="appeal", id="r2", note="买家要求直说")
        third.expect("ok", action="appeal", id="r2")
        third.idle()
    stack.close()
    assert records(gateway_client) == {"不知道": Outcome.OVERRIDDEN,
                                       "你是傻逼吧": Outcome.ACKNOWLEDGED}


def test_pending_edit_of_a_draft_from_an_earlier_connection(
        gateway_client: TestClient, token_for: TokenFor) -> None:
    stack = ExitStack()
    agent, buyer = chat(stack, gateway_client, token_for)
    assert agent.say("r1", "爱买不买", CONV)["tier"] == "force-edit"
    agent.session.close()
    with connect(gateway_client, token_for("agent", "a1", "s1")) as again:
        again.expect("assigned", conversation=CONV)
        again.expect("held", id="r1", tier="force-edit", actions=["edit"])
        again.send(type="send-anyway", id="r1")
        again.expect("error", code="edit-required", id="r1")
        assert again.say("r2", "亲，有需要随时找我", CONV, replaces="r1")["delivered"]
        buyer.expect("message", id="r2")
        # taken: a second edit of the same draft (another tab, say) is refused
        again.send(type="message", id="r3", conversation=CONV, text="好的", replaces="r1")
        again.expect("error", code="unknown-message", id="r3")
    stack.close()
    assert records(gateway_client) == {"爱买不买": Outcome.EDITED}


def test_pending_drafts_expire_after_the_policys_hold_time(tmp_path: Path,
                                                           token_for: TokenFor) -> None:
    lexicons, policy = write_mini_config(
        tmp_path, MINI_POLICY + "tiers:\n  suggest-edit: {hold: 0.5}\n")
    settings = Settings(data_dir=tmp_path / "data", secret=SecretStr(TEST_SECRET),
                        lexicon_dir=lexicons, policy_file=policy, tone_model=None,
                        watch_config=False, retention_days=0)
    with TestClient(create_app(settings)) as client, ExitStack() as stack:
        agent, _ = chat(stack, client, token_for)
        assert agent.say("r1", "不知道", CONV)["tier"] == "suggest-edit"
        agent.session.close()
        time.sleep(0.6)
        with connect(client, token_for("agent", "a1", "s1")) as again:
            again.expect("assigned", conversation=CONV)
            again.idle()  # no `held`: it expired
            again.send(type="send-anyway", id="r1")
            again.expect("error", code="unknown-message", id="r1")
        assert records(client) == {"不知道": Outcome.EXPIRED}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_pending_sweep_expires_the_drafts_of_agents_who_do_not_come_back(
        tmp_path: Path) -> None:
    log = open_log(None, tmp_path)
    clock = Clock()
    state = LocalState(clock=clock)
    pending = Pending(state, log, Transcript(state, keep=10, context=5))
    waiting = make_record(id="held-1", tier=Tier.SUGGEST_EDIT, outcome=Outcome.HELD)
    fresh = make_record(id="held-2", tier=Tier.FORCE_EDIT, outcome=Outcome.HELD)

    async def main() -> None:
        for record in (waiting, fresh):
            await log.append(record, durable=True)
        await state.hold("s1", "gone", HeldDraft("m1", "held-1", "s1:b1", "不知道",
                                                 "suggest-edit"), 60)
        await state.hold("s1", "back", HeldDraft("m2", "held-2", "s1:b2", "呵呵",
                                                 "force-edit"), 600)
        clock.now += 61
        stop = asyncio.Event()
        sweep = asyncio.create_task(pending.sweep(stop, interval_s=0.05))
        await asyncio.sleep(0.2)
        stop.set()
        await sweep
        assert await state.held_owners() == [("s1", "back")]
        outcomes = {r.id: r.outcome for r in (await log.query(LogFilter(), None, 10)).items}
        assert outcomes == {"held-1": Outcome.EXPIRED, "held-2": Outcome.HELD}
        await log.close()
    asyncio.run(main())

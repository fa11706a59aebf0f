"""Moderator: escalation windows on a controlled clock, the fail mode, and the interventions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from classifiers.errors import InputError
from classifiers.policy.decide import ShopPolicy
from classifiers.results import Role, Verdict
from classifiers.scorer import Scorer
from classifiers.tiers import Tier
from gateway.chat.moderation import Moderation, Moderator
from gateway.config.replay import FixedConfig
from gateway.metrics import Metrics
from gateway.state.offences import LocalOffenceCounter
from tests.conftest import write_mini_config

POLICY = """\
version: 1
tiers:
  notice: {text: 请注意语气, duration_s: 12}
  block-with-warning: {warning: 请阅读警告}
fail_mode: {agent: closed, bot: open}
rules:
  - {id: cold, when: {roles: [agent, bot], categories: [cold]}, tier: notice}
  - {id: sarcasm, when: {roles: [agent, bot], categories: [sarcasm]}, tier: suggest-edit,
     reason: 建议修改}
  - {id: abuse, when: {roles: [agent, bot], categories: [abuse]}, tier: block-with-warning}
  - {id: escalation, when: {roles: [buyer], categories: [escalation]}, tier: route-to-human}
escalation:
  - {id: cold-3, when: {categories: [cold]}, count: 3, within: 10m}
  - {id: sarcasm-2, when: {categories: [sarcasm]}, count: 2, within: 1h, to: block,
     reason: 一小时内多次讽刺}
shops:
  lenient:
    disable: [cold-3]
"""


class BrokenScorer(Scorer):
    """Fault injection: scoring raises as an internal bug would (not an input error)."""

    def score_under(self, policy: ShopPolicy, text: str, role: Role = Role.AGENT, *,
                    shop: str | None = None, now: datetime | None = None,
                    context: str | None = None) -> Verdict:
        if text == "boom":
            raise RuntimeError("internal failure")
        return super().score_under(policy, text, role, shop=shop, now=now, context=context)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_mini_config(tmp_path_factory.mktemp("moderation"), POLICY)


@pytest.fixture(scope="module")
def scorer(files: tuple[Path, Path], mini_scorer: Scorer) -> BrokenScorer:
    lexicons, policy = files
    return BrokenScorer.load(lexicons, policy, reuse=mini_scorer)  # type: ignore[return-value]


def moderate(moderator: Moderator, text: str, when: datetime, *, role: Role = Role.AGENT,
             user: str = "a1", shop: str | None = "s1") -> Moderation:
    return asyncio.run(moderator.moderate(text, role, shop=shop, user=user, now=when))


T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_escalation_third_hit_within_window_goes_up_one_tier(scorer: Scorer) -> None:
    moderator = Moderator(FixedConfig(scorer), LocalOffenceCounter())
    tiers = [moderate(moderator, "爱买不买", T0 + timedelta(minutes=m)).verdict
             for m in (0, 4, 8, 9)]
    assert [v.tier for v in tiers] == [Tier.NOTICE, Tier.NOTICE, Tier.SUGGEST_EDIT,
                                       Tier.SUGGEST_EDIT]
    assert [v.escalation for v in tiers] == [None, None, "cold-3", "cold-3"]
    assert tiers[2].rule == "cold"  # the rule that matched is still named


def test_escalation_window_slides(scorer: Scorer) -> None:
    moderator = Moderator(FixedConfig(scorer), LocalOffenceCounter())
    minutes = (0, 6, 11, 17)  # never three within 10 minutes
    tiers = [moderate(moderator, "爱买不买", T0 + timedelta(minutes=m)).verdict.tier
             for m in minutes]
    assert tiers == [Tier.NOTICE] * 4


def test_escalation_counts_per_agent_and_per_shop(scorer: Scorer) -> None:
    moderator = Moderator(FixedConfig(scorer), LocalOffenceCounter())
    for user in ("a1", "a2"):
        moderate(moderator, "呵呵", T0, user=user)
    assert moderate(moderator, "呵呵", T0, user="a1", shop="s2").verdict.tier is Tier.SUGGEST_EDIT
    second = moderate(moderator, "呵呵", T0 + timedelta(minutes=59), user="a1")
    assert (second.verdict.tier, second.verdict.escalation) == (Tier.BLOCK, "sarcasm-2")
    assert second.intervention.text == "一小时内多次讽刺"
    assert not second.intervention.delivered


def test_escalation_disabled_for_a_shop(scorer: Scorer) -> None:
    moderator = Moderator(FixedConfig(scorer), LocalOffenceCounter())
    tiers = [moderate(moderator, "爱买不买", T0, shop="lenient").verdict.tier for _ in range(4)]
    assert tiers == [Tier.NOTICE] * 4


def test_messages_that_pass_do_not_count(scorer: Scorer) -> None:
    moderator = Moderator(FixedConfig(scorer), LocalOffenceCounter())
    for _ in range(5):
        moderate(moderator, "您好，请问有什么可以帮您", T0)
    assert moderate(moderator, "爱买不买", T0).verdict.tier is Tier.NOTICE


@pytest.mark.parametrize(("role", "tier", "delivered", "rule", "mode"), [
    (Role.AGENT, Tier.BLOCK, False, "fail-closed", "closed"),
    (Role.BOT, Tier.NONE, True, "fail-open", "open"),
    (Role.BUYER, Tier.NONE, True, "fail-open", "open"),
])
def test_fail_mode_per_role_is_applied_and_counted(scorer: Scorer, role: Role, tier: Tier,
                                                   delivered: bool, rule: str, mode: str) -> None:
    metrics = Metrics()
    moderator = Moderator(FixedConfig(scorer), LocalOffenceCounter(), metrics=metrics)
    result = moderate(moderator, "boom", T0, role=role)
    assert result.unscored
    assert (result.verdict.tier, result.intervention.delivered, result.verdict.rule) == \
        (tier, delivered, rule)
    assert result.verdict.version == scorer.version
    assert metrics.registry.get_sample_value(
        "replyguard_unscored_messages_total", {"role": str(role), "mode": mode}) == 1.0


def test_input_errors_are_the_senders_not_the_fail_modes(scorer: Scorer) -> None:
    moderator = Moderator(FixedConfig(scorer), LocalOffenceCounter())
    with pytest.raises(InputError):
        moderate(moderator, "   ", T0)


@pytest.mark.parametrize(("text", "role", "tier", "delivered", "text_shown", "actions", "ttl"), [
    ("爱买不买", Role.AGENT, Tier.NOTICE, True, "请注意语气", (), 12000),
    ("呵呵", Role.AGENT, Tier.SUGGEST_EDIT, False, "建议修改", ("edit", "send-anyway"), None),
    ("傻逼", Role.BOT, Tier.BLOCK_WITH_WARNING, False, "请阅读警告", ("ack", "edit"), None),
    ("我要投诉", Role.BUYER, Tier.ROUTE_TO_HUMAN, True, None, (), None),
])
def test_intervention_carries_the_tier_settings(scorer: Scorer, text: str, role: Role,
                                                tier: Tier, delivered: bool,
                                                text_shown: str | None,
                                                actions: tuple[str, ...],
                                                ttl: int | None) -> None:
    moderator = Moderator(FixedConfig(scorer), LocalOffenceCounter())
    result = moderate(moderator, text, T0, role=role, user=f"fresh-{text}")
    intervention = result.intervention
    assert (intervention.tier, intervention.delivered, intervention.text, intervention.actions,
            intervention.ttl_ms) == (tier, delivered, text_shown, actions, ttl)
    if tier is Tier.NOTICE:
        assert intervention.dismissible is False
    if tier is Tier.ROUTE_TO_HUMAN:
        assert intervention.route is not None and intervention.route.buyer_hint


def test_metrics_count_messages_by_tier_and_role(scorer: Scorer) -> None:
    metrics = Metrics()
    moderator = Moderator(FixedConfig(scorer), LocalOffenceCounter(), metrics=metrics)
    for text in ("您好", "爱买不买", "您好"):
        moderate(moderator, text, T0, user="m")
    sample = metrics.registry.get_sample_value
    assert sample("replyguard_messages_total", {"tier": "none", "role": "agent"}) == 2.0
    assert sample("replyguard_messages_total", {"tier": "notice", "role": "agent"}) == 1.0
    assert sample("replyguard_scoring_seconds_count") == 3.0
    assert sample("replyguard_scoring_seconds_bucket", {"le": "+Inf"}) == 3.0
    assert 0.0 < sample("replyguard_scoring_seconds_sum") < 1.0  # type: ignore[operator]


def test_scoring_histogram_buckets_are_cumulative_and_inclusive() -> None:
    metrics = Metrics()
    for seconds in (10e-6, 50e-6, 60e-6, 0.2):
        metrics.scoring.observe("none", "agent", seconds)
    sample = metrics.registry.get_sample_value
    assert sample("replyguard_scoring_seconds_bucket", {"le": "5e-05"}) == 2.0  # ≤ bound
    assert sample("replyguard_scoring_seconds_bucket", {"le": "0.0001"}) == 3.0
    assert sample("replyguard_scoring_seconds_bucket", {"le": "0.05"}) == 3.0
    assert sample("replyguard_scoring_seconds_bucket", {"le": "+Inf"}) == 4.0
    assert sample("replyguard_scoring_seconds_sum") == pytest.approx(0.20012)


@pytest.mark.parametrize(("role", "text", "routed"), [
    (Role.BOT, "傻逼", True),          # a bot reply held at force-edit or above: to a human
    (Role.AGENT, "傻逼", False),       # an agent's is not
    (Role.BOT, "呵呵", False),         # suggest-edit: below force-edit
    (Role.BUYER, "我要投诉", True),     # a buyer's escalation
])
def test_moderation_carries_the_route_settings(scorer: Scorer, role: Role, text: str,
                                               routed: bool) -> None:
    """The decision is complete in the Moderation: the bot-route rule included, with the
    route settings of the version that scored (issue 14)."""
    moderator = Moderator(FixedConfig(scorer), LocalOffenceCounter())
    route = moderate(moderator, text, T0, role=role).intervention.route
    expected = scorer.policy.for_shop("s1").tiers.route_to_human
    assert route == (expected if routed else None)


def test_moderation_looks_the_shop_policy_up_once(scorer: Scorer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    lookups: list[str | None] = []
    for_shop = scorer.policy.for_shop

    def counted(shop: str | None) -> ShopPolicy:
        lookups.append(shop)
        return for_shop(shop)

    monkeypatch.setattr(scorer.policy, "for_shop", counted)
    moderator = Moderator(FixedConfig(scorer), LocalOffenceCounter())
    assert moderate(moderator, "呵呵", T0, role=Role.BOT).verdict.tier is Tier.SUGGEST_EDIT
    assert lookups == ["s1"]

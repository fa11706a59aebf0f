"""Every signal type of the policy schema, per-shop inheritance, time windows and escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from classifiers.errors import PolicyError
from classifiers.policy.decide import Decision, Policy
from classifiers.policy.shape import MessageShape, Only
from classifiers.results import Match, Role
from classifiers.tiers import Tier
from classifiers.tone.classifier import ToneScores

KNOWN = ["cold", "abuse", "sarcasm", "escalation", "off_platform"]
BEIJING = timezone(timedelta(hours=8))

POLICY = """\
version: 1
timezone: Asia/Shanghai
periods:
  double11: {start: 2026-11-10T20:00, end: 2026-11-12T00:00}
  night: {daily: {from: "22:00", to: "06:00"}}
  weekend-nights: {daily: {from: "23:00", to: "02:00"}, weekdays: [sat]}
  utc-hour: {timezone: UTC, daily: {from: "00:00", to: "01:00"}}
tiers:
  notice: {text: 默认提示, duration_s: 15}
rules:
  - id: cold
    when: {roles: [agent, bot], categories: [cold]}
    tier: notice
  - id: cold-promo
    when: {roles: [agent, bot], categories: [cold], during: [double11]}
    tier: force-edit
  - id: cold-night
    when: {roles: [agent], categories: [cold], during: [night], outside: [double11]}
    tier: suggest-edit
  - id: sat-night
    when: {roles: [agent], categories: [sarcasm], during: [weekend-nights]}
    tier: block
  - id: utc
    when: {roles: [bot], categories: [sarcasm], during: [utc-hour]}
    tier: suggest-edit
  - id: marks-only
    when: {roles: [agent, bot], only: punctuation}
    tier: suggest-edit
  - id: emoji-only
    when: {roles: [agent], only: emoji}
    tier: notice
  - id: long
    when: {roles: [agent], min_length: 30, categories: [cold]}
    tier: force-edit
  - id: one-char
    when: {roles: [agent], max_length: 1, unmatched: true}
    tier: notice
  - id: tone-sarcastic
    when: {roles: [agent], tone: {sarcastic: 0.8}, unmatched: true}
    tier: force-edit
  - id: evasive
    when: {roles: [agent], categories: [off_platform], evasion: true, views: [pinyin]}
    tier: block
  - id: vip-only
    when: {roles: [agent], categories: [abuse], shops: [vip]}
    tier: block-with-warning
escalation:
  - id: repeat-cold
    when: {categories: [cold]}
    count: 3
    within: 1h
  - id: repeat-any
    when: {min_tier: suggest-edit}
    count: 2
    within: 10m
    to: block
    reason: 多次违规
shops:
  strict:
    tiers:
      notice: {duration_s: 5}
    rules:
      - id: cold
        tier: suggest-edit
      - id: cold-promo
        when: {roles: [agent]}
      - id: strict-abuse
        when: {roles: [agent], categories: [abuse]}
        tier: block
    disable: [emoji-only, repeat-cold]
    fail_mode: {agent: open}
"""


def hit(category: str, severity: int = 2, *, view: str = "base", evasion: bool = False) -> Match:
    return Match("x", category, severity, 0, 1, "x", view=view, evasion=evasion)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.parse(POLICY, known_categories=KNOWN, known_tone_labels=["sarcastic", "polite"])


NOON = at("2026-11-20T12:00")


@pytest.mark.parametrize(("moment", "role", "rule"), [
    (at("2026-11-10T19:59"), Role.AGENT, "cold"),          # a minute before 双11 starts
    (at("2026-11-10T20:00"), Role.AGENT, "cold-promo"),    # 20:00 Beijing time, inclusive
    (at("2026-11-11T23:59"), Role.BOT, "cold-promo"),
    (at("2026-11-20T23:30"), Role.AGENT, "cold-night"),    # night window before midnight
    (at("2026-11-21T05:59"), Role.AGENT, "cold-night"),    # and after it
    (at("2026-11-21T06:00"), Role.AGENT, "cold"),
    (at("2026-11-11T23:30"), Role.AGENT, "cold-promo"),    # night, but inside 双11 (outside:)
    # the same instant written in UTC: 15:30Z is 23:30 in Beijing
    (datetime(2026, 11, 20, 15, 30, tzinfo=UTC), Role.AGENT, "cold-night"),
])
def test_policy_time_windows_in_the_policy_time_zone(policy: Policy, moment: datetime,
                                                     role: Role, rule: str) -> None:
    assert policy.decide(role, [hit("cold")], now=moment).rule == rule


def test_policy_end_of_promotion_at_midnight_falls_to_the_night_rule(policy: Policy) -> None:
    # 2026-11-12T00:00 is both the end of 双11 (exclusive) and inside the night window
    assert policy.decide(Role.AGENT, [hit("cold")], now=at("2026-11-12T00:00")).rule \
        == "cold-night"


@pytest.mark.parametrize(("moment", "expected"), [
    (at("2026-11-21T23:30"), "sat-night"),   # Saturday 23:30
    (at("2026-11-22T01:30"), "sat-night"),   # Sunday 01:30 still belongs to Saturday's night
    (at("2026-11-22T23:30"), None),          # Sunday night
    (at("2026-11-21T01:30"), None),          # Saturday 01:30 belongs to Friday's night
])
def test_policy_weekday_windows_across_midnight(policy: Policy, moment: datetime,
                                                expected: str | None) -> None:
    assert policy.decide(Role.AGENT, [hit("sarcasm")], now=moment).rule == expected


@pytest.mark.parametrize(("moment", "expected"), [
    (datetime(2026, 11, 20, 0, 30, tzinfo=UTC), "utc"),
    (at("2026-11-20T00:30"), None),  # 00:30 in Beijing is 16:30 UTC
])
def test_policy_period_with_its_own_time_zone(policy: Policy, moment: datetime,
                                              expected: str | None) -> None:
    assert policy.decide(Role.BOT, [hit("sarcasm")], now=moment).rule == expected


@pytest.mark.parametrize(("text", "role", "rule"), [
    ("？？？", Role.AGENT, "marks-only"),
    ("。。。!!", Role.BOT, "marks-only"),
    ("[微笑]", Role.AGENT, "emoji-only"),
    ("😊👍🏻", Role.AGENT, "emoji-only"),
    ("[微笑]？", Role.AGENT, None),            # mixed: neither only-punctuation nor only-emoji
    ("好", Role.AGENT, "one-char"),
    ("好的", Role.AGENT, None),
    ("您好，在的", Role.AGENT, None),
    ("？？？", Role.BUYER, None),
])
def test_policy_message_shape(policy: Policy, text: str, role: Role, rule: str | None) -> None:
    assert policy.decide(role, [], text=text, now=NOON).rule == rule


def test_policy_min_length_combines_with_categories(policy: Policy) -> None:
    long_text = "这个问题我也不知道怎么处理，您自己去看说明书吧，我这边没有办法帮您解决"
    assert policy.decide(Role.AGENT, [hit("cold")], text=long_text, now=NOON).rule == "long"
    assert policy.decide(Role.AGENT, [hit("cold")], text="不知道", now=NOON).rule == "cold"


@pytest.mark.parametrize(("text", "expected"), [
    ("？？？", {"punctuation"}), ("[呵呵]", {"emoji"}), ("😊！", {"emoji", "punctuation"}),
    ("ok？", set()), ("   ", set()),
])
def test_message_shape_kinds(text: str, expected: set[str]) -> None:
    shape = MessageShape(text)
    assert {k for k, o in (("punctuation", Only.PUNCTUATION), ("emoji", Only.EMOJI))
            if shape.only(o)} == (expected if len(expected) == 1 else set())
    assert shape.only(Only.PUNCTUATION_OR_EMOJI) == bool(expected)


@pytest.mark.parametrize(("scores", "matches", "rule"), [
    ({"sarcastic": 0.85, "polite": 0.15}, [], "tone-sarcastic"),
    ({"sarcastic": 0.79, "polite": 0.21}, [], None),
    ({"sarcastic": 0.95, "polite": 0.05}, [hit("cold")], "cold"),  # unmatched: true
])
def test_policy_tone_signal(policy: Policy, scores: dict[str, float], matches: list[Match],
                            rule: str | None) -> None:
    tone = ToneScores(max(scores, key=lambda k: scores[k]), scores)
    assert policy.decide(Role.AGENT, matches, tone, text="您高兴就好", now=NOON).rule == rule


@pytest.mark.parametrize(("match", "rule"), [
    (hit("off_platform", 1, view="pinyin", evasion=True), "evasive"),
    (hit("off_platform", 1, view="base", evasion=True), None),
    (hit("off_platform", 1, view="pinyin", evasion=False), None),
])
def test_policy_view_and_evasion_signals(policy: Policy, match: Match, rule: str | None) -> None:
    assert policy.decide(Role.AGENT, [match], text="x", now=NOON).rule == rule


def test_policy_rule_limited_to_a_shop(policy: Policy) -> None:
    assert policy.decide(Role.AGENT, [hit("abuse")], shop="vip", now=NOON).rule == "vip-only"
    assert policy.decide(Role.AGENT, [hit("abuse")], shop="other", now=NOON).tier is Tier.NONE
    assert policy.decide(Role.AGENT, [hit("abuse")], now=NOON).tier is Tier.NONE


def test_shop_override_inherits_what_it_does_not_name(policy: Policy) -> None:
    strict, default = policy.for_shop("strict"), policy.for_shop(None)
    assert strict.decide(Role.AGENT, [hit("cold")], now=NOON).tier is Tier.SUGGEST_EDIT
    assert default.decide(Role.AGENT, [hit("cold")], now=NOON).tier is Tier.NOTICE
    # cold-promo: only `roles` overridden; the period and tier are inherited
    promo = at("2026-11-11T12:00")
    assert strict.decide(Role.AGENT, [hit("cold")], now=promo).rule == "cold-promo"
    assert strict.decide(Role.BOT, [hit("cold")], now=promo).rule == "cold"
    # a rule added by the shop, a rule it disabled, and the rest unchanged
    assert strict.decide(Role.AGENT, [hit("abuse")], now=NOON).rule == "strict-abuse"
    assert strict.decide(Role.AGENT, [], text="[微笑]", now=NOON).tier is Tier.NONE
    assert strict.decide(Role.AGENT, [], text="？？", now=NOON).rule == "marks-only"
    # tier settings: the shop changed the duration, kept the text
    assert strict.tiers.notice.duration_s == 5 and strict.tiers.notice.text == "默认提示"
    assert default.tiers.notice.duration_s == 15
    assert strict.fail_mode.agent == "open" and strict.fail_mode.bot == "closed"
    assert [e.id for e in strict.escalation] == ["repeat-any"]
    assert policy.for_shop("unknown-shop") is default


def test_policy_escalation_one_tier_and_named_tier(policy: Policy) -> None:
    shop = policy.for_shop(None)
    notice = Decision(Tier.NOTICE, "cold", None)
    repeat_cold, repeat_any = shop.escalation
    assert shop.escalations(Role.AGENT, Tier.NOTICE, ["cold"]) == [repeat_cold]
    assert shop.escalations(Role.AGENT, Tier.SUGGEST_EDIT, ["sarcasm"]) == [repeat_any]
    assert shop.escalations(Role.BUYER, Tier.NOTICE, ["cold"]) == []
    assert shop.escalate(notice, repeat_cold) == Decision(Tier.SUGGEST_EDIT, "cold", None,
                                                         "repeat-cold")
    assert shop.escalate(notice, repeat_any) == Decision(Tier.BLOCK, "cold", "多次违规",
                                                        "repeat-any")
    warned = Decision(Tier.BLOCK_WITH_WARNING, "abuse", None)
    assert shop.escalate(warned, repeat_cold) is warned   # +1 stops below route-to-human
    blocked_harder = Decision(Tier.BLOCK_WITH_WARNING, "x", None)
    assert shop.escalate(blocked_harder, repeat_any) is blocked_harder  # never lowers


@pytest.mark.parametrize(("patch", "message"), [
    ("  - id: e\n    when: {roles: [buyer]}\n    count: 2\n    within: 1h\n",
     "buyer messages are never held"),
    ("  - id: e\n    count: 1\n    within: 1h\n", "greater than or equal to 2"),
    ("  - id: e\n    count: 2\n    within: soon\n", "not a duration"),
    ("  - id: e\n    count: 2\n    within: 1h\n    to: none\n", "cannot lead to 'none'"),
])
def test_policy_bad_escalation_is_refused(patch: str, message: str) -> None:
    text = ("version: 1\nrules:\n  - {id: a, when: {categories: [cold]}, tier: notice}\n"
            "escalation:\n" + patch)
    with pytest.raises(PolicyError, match=message):
        Policy.parse(text, known_categories=KNOWN)


@pytest.mark.parametrize(("text", "message"), [
    ("periods: {p: {start: 2026-11-12T00:00, end: 2026-11-10T00:00}}", "is not after start"),
    ("periods: {p: {start: 2026-11-12T00:00}}", "needs both start and end"),
    ("periods: {p: {daily: {from: '10:00', to: '10:00'}}}", "would be empty"),
    ("periods: {p: {timezone: Mars/Olympus, weekdays: [sat]}}", "unknown time zone"),
    ("timezone: Asia/Beijing", "unknown time zone"),
    ("fail_mode: {buyer: closed}", "fail_mode.buyer"),
    ("tiers: {notice: {duration_s: 0}}", "greater than 0"),
    ("tiers: {notice: {dismissible: true}}", "tiers.notice.dismissible"),
])
def test_policy_bad_sections_are_refused(text: str, message: str) -> None:
    rule = "  - {id: a, when: {categories: [cold]}, tier: notice}\n"
    source = f"version: 1\n{text}\nrules:\n{rule}"
    with pytest.raises(PolicyError, match=message):
        Policy.parse(source, known_categories=KNOWN)

from __future__ import annotations

import pytest

from classifiers.errors import PolicyError
from classifiers.policy.decide import Policy
from classifiers.results import Match, Role
from classifiers.tiers import Tier
from classifiers.tone.classifier import ToneScores

POLICY = """\
version: 1
rules:
  - id: cold-notice
    when: {categories: [cold], max_severity: 1}
    tier: notice
  - id: cold-first
    when: {roles: [agent, bot], categories: [cold]}
    tier: suggest-edit
    reason: first
  - id: cold-second
    when: {roles: [agent], categories: [cold]}
    tier: suggest-edit
    reason: second
  - id: abuse
    when: {roles: [agent, bot], categories: [abuse], min_severity: 2}
    tier: block-with-warning
  - id: buyer
    when: {roles: [buyer], categories: [escalation]}
    tier: route-to-human
"""


def hit(category: str, severity: int = 2) -> Match:
    return Match("x", category, severity, 0, 1, "x")


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.parse(POLICY, known_categories=["cold", "abuse", "escalation"])


def test_policy_no_match_is_none(policy: Policy) -> None:
    decision = policy.decide(Role.AGENT, [])
    assert (decision.tier, decision.rule) == (Tier.NONE, None)


def test_policy_most_severe_tier_wins(policy: Policy) -> None:
    decision = policy.decide(Role.AGENT, [hit("cold"), hit("abuse", 3)])
    assert (decision.tier, decision.rule) == (Tier.BLOCK_WITH_WARNING, "abuse")


def test_policy_ties_go_to_the_rule_written_first(policy: Policy) -> None:
    decision = policy.decide(Role.AGENT, [hit("cold")])
    assert (decision.rule, decision.reason) == ("cold-first", "first")


@pytest.mark.parametrize(("role", "severity", "expected"), [
    (Role.AGENT, 1, "cold-first"), (Role.BUYER, 1, "cold-notice"), (Role.BUYER, 2, None),
    (Role.BOT, 3, "cold-first"),
])
def test_policy_role_and_severity_conditions(policy: Policy, role: Role, severity: int,
                                             expected: str | None) -> None:
    assert policy.decide(role, [hit("cold", severity)]).rule == expected


def test_policy_severity_below_minimum_does_not_apply(policy: Policy) -> None:
    assert policy.decide(Role.AGENT, [hit("abuse", 1)]).tier is Tier.NONE


@pytest.mark.parametrize(("text", "message", "line", "column"), [
    ("version: 1\nrules: [\n", "YAML syntax error", 3, 1),
    ("version: 1\nrules:\n  - id: a\n    when: {categories: [cold]}\n    tier: shout\n",
     "rules.0.tier: Input should be", 5, 11),
    ("version: 1\nrules:\n  - id: a\n    when: {categories: [colt]}\n    tier: notice\n",
     "unknown category 'colt'; known: abuse, cold", 4, 25),
    ("version: 1\nrules:\n  - id: a\n    when: {roles: [buyer], categories: [cold]}\n"
     "    tier: block\n", "buyer messages are never held", 5, 11),
    ("version: 2\nrules: []\n", "version: Input should be less than or equal to 1", 1, 10),
    ("- just a list\n", "must be a YAML mapping", 1, None),
    ("version: 1\nrules:\n  - id: a\n    when: {categories: [cold], min_severity: 3, "
     "max_severity: 1}\n    tier: notice\n", "min_severity 3 > max_severity 1", 4, 11),
    ("version: 1\nrules:\n  - {id: a, when: {categories: [cold]}, tier: notice}\n"
     "  - {id: a, when: {categories: [cold]}, tier: notice}\n", "rule ids must be unique", 4, 10),
])
def test_policy_errors_name_line_and_column(text: str, message: str, line: int,
                                            column: int | None) -> None:
    with pytest.raises(PolicyError, match=message) as caught:
        Policy.parse(text, source="p.yaml", known_categories=["abuse", "cold"])
    assert (caught.value.line, caught.value.column) == (line, column)
    assert str(caught.value).startswith(f"p.yaml:{line}")


def test_shipped_policy_is_valid_and_names_only_known_categories(shipped_policy: Policy) -> None:
    assert shipped_policy.categories >= {"abuse", "off_platform"}
    # buyers are routed on intent (docs/intent.md), no longer on the escalation lexicon alone
    assert shipped_policy.intent_labels == {"ordinary"}


def test_policy_evasion_and_view_conditions() -> None:
    policy = Policy.parse(
        "version: 1\nrules:\n"
        "  - {id: disguised, when: {roles: [agent], categories: [x], evasion: true}, tier: block}\n"
        "  - {id: spelled, when: {roles: [agent], categories: [x], views: [pinyin]},"
        " tier: force-edit}\n"
        "  - {id: plain, when: {categories: [x]}, tier: notice}\n")
    plain = Match("微信", "x", 1, 0, 2, "微信")
    disguised = Match("微信", "x", 1, 0, 3, "微❤信", evasion=True)
    assert policy.decide(Role.AGENT, [plain]).rule == "plain"
    assert policy.decide(Role.AGENT, [disguised]).rule == "disguised"
    spelled = Match("微信", "x", 1, 0, 2, "vx", view="pinyin")
    assert policy.decide(Role.AGENT, [spelled]).rule == "spelled"


TONE_POLICY = """\
version: 1
rules:
  - {id: sarcastic, when: {roles: [agent], tone: {sarcastic: 0.8}}, tier: force-edit}
  - {id: abusive-unmatched, when: {roles: [agent], tone: {abusive: 0.9}, unmatched: true},
     tier: block-with-warning}
  - {id: cold-and-word, when: {roles: [agent], categories: [cold], tone: {cold: 0.5}},
     tier: block}
"""


def tone(**scores: float) -> ToneScores:
    full = {label: 0.0 for label in ("polite", "cold", "perfunctory", "sarcastic", "abusive")}
    full.update(scores)
    return ToneScores(max(full, key=full.__getitem__), full)


@pytest.fixture(scope="module")
def tone_policy() -> Policy:
    return Policy.parse(TONE_POLICY, known_categories=["cold"],
                        known_tone_labels=["polite", "cold", "perfunctory", "sarcastic",
                                           "abusive"])


@pytest.mark.parametrize(("matches", "scores", "rule"), [
    ([], {"sarcastic": 0.85}, "sarcastic"),
    ([], {"sarcastic": 0.79}, None),
    ([], {"abusive": 0.95}, "abusive-unmatched"),
    ([hit("cold")], {"abusive": 0.95}, None),          # a lexicon hit: not "unmatched"
    ([hit("cold")], {"cold": 0.6}, "cold-and-word"),   # categories AND tone
    ([], {"cold": 0.6}, None),
])
def test_policy_tone_conditions(tone_policy: Policy, matches: list[Match],
                                scores: dict[str, float], rule: str | None) -> None:
    assert tone_policy.decide(Role.AGENT, matches, tone(**scores)).rule == rule


def test_policy_tone_rules_need_scores(tone_policy: Policy) -> None:
    assert tone_policy.decide(Role.AGENT, [], None).tier is Tier.NONE


@pytest.mark.parametrize(("text", "message"), [
    ("version: 1\nrules:\n  - {id: a, when: {tone: {snarky: 0.5}}, tier: notice}\n",
     "unknown tone label 'snarky'"),
    ("version: 1\nrules:\n  - {id: a, when: {tone: {cold: 1.5}}, tier: notice}\n",
     "must be in \\(0, 1\\]"),
    ("version: 1\nrules:\n  - {id: a, when: {roles: [agent]}, tier: notice}\n",
     "needs at least one signal"),
    ("version: 1\nrules:\n  - {id: a, when: {categories: [cold], unmatched: true,"
     " tone: {cold: 0.5}}, tier: notice}\n", "cannot be combined"),
])
def test_policy_tone_validation(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        Policy.parse(text, known_categories=["cold"], known_tone_labels=["cold"])


INTENT_POLICY = """\
version: 1
rules:
  - {id: wants, when: {roles: [buyer], intent: {wants_human: 0.5, complaint: 0.5}},
     tier: route-to-human}
  - {id: word, when: {roles: [buyer], categories: [escalation], unless_intent: {ordinary: 0.8}},
     tier: route-to-human}
"""
INTENTS = ["wants_human", "complaint", "anger", "ordinary"]


def intent(**scores: float) -> ToneScores:
    full = dict.fromkeys(INTENTS, 0.0)
    full.update(scores)
    return ToneScores(max(full, key=full.__getitem__), full)


@pytest.fixture(scope="module")
def intent_policy() -> Policy:
    return Policy.parse(INTENT_POLICY, known_categories=["escalation"],
                        known_intent_labels=INTENTS)


@pytest.mark.parametrize(("matches", "scores", "rule"), [
    ([], {"wants_human": 0.6, "ordinary": 0.4}, "wants"),
    ([], {"complaint": 0.5, "ordinary": 0.5}, "wants"),
    ([], {"anger": 0.9, "ordinary": 0.1}, None),             # anger is not listed
    ([], {"wants_human": 0.4, "ordinary": 0.6}, None),
    ([hit("escalation")], {"wants_human": 0.3, "ordinary": 0.7}, "word"),   # lexicon, unsure
    ([hit("escalation")], {"ordinary": 0.9}, None),          # lexicon hit in a withdrawal
])
def test_policy_intent_conditions(intent_policy: Policy, matches: list[Match],
                                  scores: dict[str, float], rule: str | None) -> None:
    assert intent_policy.decide(Role.BUYER, matches, intent=intent(**scores)).rule == rule


def test_policy_intent_rules_need_scores(intent_policy: Policy) -> None:
    """Without intent scores (an agent's message) no intent condition holds, `unless_intent`
    included."""
    assert intent_policy.decide(Role.BUYER, [], None).tier is Tier.NONE
    assert intent_policy.decide(Role.BUYER, [hit("escalation")], None).tier is Tier.NONE
    assert intent_policy.intent_labels == {"wants_human", "complaint", "ordinary"}


@pytest.mark.parametrize(("text", "message"), [
    ("version: 1\nrules:\n  - {id: a, when: {roles: [buyer], intent: {human: 0.5}},"
     " tier: route-to-human}\n", "unknown intent label 'human'"),
    ("version: 1\nrules:\n  - {id: a, when: {roles: [buyer], intent: {anger: 0}},"
     " tier: route-to-human}\n", "intent threshold for 'anger' must be in \\(0, 1\\]"),
    ("version: 1\nrules:\n  - {id: a, when: {intent: {anger: 0.5}}, tier: notice}\n",
     "needs roles: \\[buyer\\]"),
    ("version: 1\nrules:\n  - {id: a, when: {roles: [buyer, agent], categories: [cold],"
     " unless_intent: {ordinary: 0.5}}, tier: notice}\n", "needs roles: \\[buyer\\]"),
])
def test_policy_intent_validation(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        Policy.parse(text, known_categories=["cold"], known_intent_labels=INTENTS)


def test_policy_intent_without_a_model_is_named() -> None:
    text = ("version: 1\nrules:\n  - {id: a, when: {roles: [buyer], intent: {anger: 0.5}},"
            " tier: route-to-human}\n")
    with pytest.raises(PolicyError, match="no intent model loaded"):
        Policy.parse(text, known_intent_labels=())

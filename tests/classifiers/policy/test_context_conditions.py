"""The `context` condition: rules on the buyer's previous message, and what holds without it."""

from __future__ import annotations

import pytest

from classifiers.context import Act, ContextSignal
from classifiers.errors import PolicyError
from classifiers.policy.decide import Policy
from classifiers.policy.lint import lint
from classifiers.policy.shape import Lone, MessageShape
from classifiers.results import Match, Role
from classifiers.tone.classifier import ToneScores

POLICY = """\
version: 1
rules:
  - id: ack-unanswered
    when: {categories: [perfunctory], context: {needs_answer: true}}
    tier: notice
  - id: thanks-reply
    when: {roles: [agent, bot], categories: [perfunctory], context: {acts: [thanks, goodbye]}}
    tier: suggest-edit
  - id: tone-after-question
    when: {tone: {perfunctory: 0.9}, context: {acts: [question], needs_answer: true}}
    tier: notice
"""


def ack() -> Match:
    return Match("好的", "perfunctory", 2, 0, 2, "好的")


def signal(act: Act) -> ContextSignal:
    return ContextSignal.known("…", act)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.parse(POLICY, known_categories=["perfunctory"],
                        known_tone_labels=["perfunctory", "polite"])


@pytest.mark.parametrize(("context", "rule"), [
    (signal(Act.POLAR), "ack-unanswered"),
    (signal(Act.COMPLAINT), "ack-unanswered"),
    (signal(Act.THANKS), "thanks-reply"),
    (signal(Act.GOODBYE), "thanks-reply"),
    (signal(Act.CONFIRM), None),
    (None, None),  # unknown: no rule with a context condition applies
])
def test_policy_context_condition(policy: Policy, context: ContextSignal | None,
                                  rule: str | None) -> None:
    assert policy.decide(Role.AGENT, [ack()], context=context).rule == rule


@pytest.mark.parametrize(("context", "rule"), [
    (signal(Act.QUESTION), "tone-after-question"), (signal(Act.POLAR), None), (None, None)])
def test_policy_context_condition_on_tone_rules(policy: Policy, context: ContextSignal | None,
                                                rule: str | None) -> None:
    tone = ToneScores("perfunctory", {"perfunctory": 0.95, "polite": 0.05})
    assert policy.decide(Role.AGENT, [], tone, context=context).rule == rule


@pytest.mark.parametrize(("when", "message"), [
    ("{categories: [perfunctory], context: {}}", "context needs needs_answer, acts or unanswered"),
    ("{categories: [perfunctory], context: {acts: []}}", "could never apply"),
    ("{categories: [perfunctory], context: {acts: [questoin]}}", "should be 'question'"),
    ("{categories: [perfunctory], context: {needs_answer: maybe}}", "needs_answer"),
    ("{categories: [perfunctory], context: {needs: true}}", "needs"),
    ("{context: {needs_answer: true}}", "at least one signal"),
])
def test_policy_bad_context_condition_is_refused(when: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        Policy.parse(f"version: 1\nrules:\n  - {{id: a, when: {when}, tier: notice}}\n",
                     known_categories=["perfunctory"])


@pytest.mark.parametrize(("first", "second", "shadowed"), [
    ("{needs_answer: true}", "{needs_answer: true, acts: [polar]}", True),
    ("{acts: [polar, question]}", "{acts: [polar]}", True),
    ("{acts: [polar]}", "{acts: [polar, question]}", False),
    ("{acts: [polar]}", "{needs_answer: true}", False),
    ("{needs_answer: false}", "{needs_answer: true}", False),
])
def test_policy_lint_context_shadowing(first: str, second: str, shadowed: bool) -> None:
    source = ("version: 1\nrules:\n"
              f"  - {{id: a, when: {{categories: [perfunctory], context: {first}}}, "
              "tier: notice}\n"
              f"  - {{id: b, when: {{categories: [perfunctory], context: {second}}}, "
              "tier: notice}\n")
    policy = Policy.parse(source, known_categories=["perfunctory"])
    warnings = [str(p) for p in lint(policy.document)]
    assert any("'b' is shadowed by 'a'" in w for w in warnings) is shadowed, warnings


@pytest.mark.parametrize(("text", "lone"), [
    ("好的亲", Lone.ACKNOWLEDGEMENT), ("嗯嗯，收到啦", Lone.ACKNOWLEDGEMENT),
    ("知道了知道了", Lone.ACKNOWLEDGEMENT), ("👌", Lone.ACKNOWLEDGEMENT),
    ("亲亲~", Lone.ACKNOWLEDGEMENT), ("OK的", Lone.ACKNOWLEDGEMENT),
    ("是的亲", Lone.ANSWER), ("亲，有的呢", Lone.ANSWER), ("嗯 可以的", Lone.ANSWER),
    ("在的在的", Lone.ANSWER),
    ("您好", None), ("好的，稍等我查一下", None), ("亲，质量很好的哦", None), ("？？？", None),
    ("好的亲，已经为您备注了，明天发", None), ("", None),
])
def test_shape_lone_reply(text: str, lone: Lone | None) -> None:
    assert MessageShape(text).lone is lone


def test_policy_lone_condition_with_context() -> None:
    policy = Policy.parse(
        "version: 1\nrules:\n"
        "  - {id: ack, when: {lone: [acknowledgement], context: {needs_answer: true}}, "
        "tier: notice}\n"
        "  - {id: bare, when: {lone: [answer], context: {acts: [question]}}, tier: notice}\n")
    asked, polar = signal(Act.QUESTION), signal(Act.POLAR)
    assert policy.decide(Role.AGENT, [], text="好的亲", context=asked).rule == "ack"
    assert policy.decide(Role.AGENT, [], text="好的亲", context=signal(Act.THANKS)).rule is None
    assert policy.decide(Role.AGENT, [], text="有的亲", context=asked).rule == "bare"
    assert policy.decide(Role.AGENT, [], text="有的亲", context=polar).rule is None
    assert policy.decide(Role.AGENT, [], text="好的亲", context=None).rule is None
    with pytest.raises(PolicyError, match="lone"):
        Policy.parse("version: 1\nrules:\n  - {id: a, when: {lone: [nod]}, tier: notice}\n")

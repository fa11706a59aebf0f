"""The scorer with the shipped lexicons and default policy: what users expect out of the box."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import NamedTuple

import pytest

from classifiers.errors import InputError
from classifiers.results import Role
from classifiers.scorer import Scorer
from classifiers.tiers import Tier

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "default_policy.tsv"


class Case(NamedTuple):
    text: str
    role: Role
    tiers: frozenset[Tier]
    category: str | None


def load_cases() -> tuple[Case, ...]:
    with CORPUS.open(encoding="utf-8") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")]
    return tuple(Case(text, Role(role), frozenset(Tier(t) for t in tiers.split(",")),
                      None if category == "-" else category)
                 for text, role, tiers, category in rows)


CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.text for c in CASES])
def test_scorer_default_policy_behaviour(scorer: Scorer, case: Case) -> None:
    verdict = scorer.score(case.text, case.role)
    assert verdict.tier in case.tiers, verdict.to_dict()
    if case.category is None:
        assert verdict.matches == () or verdict.tier is Tier.NONE
    else:
        assert case.category in verdict.categories
    if verdict.tier is not Tier.NONE:
        assert verdict.rule is not None and verdict.reason


@pytest.mark.parametrize("role", [Role.BUYER])
@pytest.mark.parametrize("text", ["你是傻逼吧", "加我微信", "我的电话13812345678", "爱买不买",
                                  "买不起就别买"])
def test_scorer_never_holds_buyer_messages(scorer: Scorer, text: str, role: Role) -> None:
    assert not scorer.score(text, role).tier.holds_message


def test_scorer_matches_index_the_original_text(scorer: Scorer) -> None:
    text = "亲，你是 傻*逼 吗？加我薇信"
    verdict = scorer.score(text)
    assert verdict.matches
    for match in verdict.matches:
        assert text[match.start:match.end] == match.text


def test_scorer_verdict_to_dict_has_the_jsonl_contract(scorer: Scorer) -> None:
    data = scorer.score("加我薇信", Role.AGENT).to_dict()
    assert {"text", "from", "tier", "rule", "categories", "matches", "version"} <= set(data)
    assert data["tier"] == "block" and data["from"] == "agent"
    [match] = [m for m in data["matches"] if m["term"] == "微信"]
    assert match["trace"] == ["薇信→微信: homophone (wei xin)"]
    assert set(data["tone"]["scores"]) == {"polite", "cold", "perfunctory", "sarcastic", "abusive",
                                           "neutral"}
    assert data["tone"]["label"] in data["tone"]["scores"]


def test_scorer_without_tone_model_leaves_tone_out(mini_scorer: Scorer) -> None:
    assert "tone" not in mini_scorer.score("你好").to_dict()


@pytest.mark.parametrize(("text", "message"), [
    ("", "消息为空"), ("   \n", "消息为空"), ("a" * 100_000, "消息过长"),
    ("好\ud800的", "代理字符"), ("好\x00的", "控制字符 U+0000"),
    ("\x1b[31m红", "控制字符 U+001B"),
])
def test_scorer_rejects_unscorable_input(scorer: Scorer, text: str, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        scorer.score(text)


def test_scorer_version_is_stable_content_hash(scorer: Scorer) -> None:
    assert scorer.score("你好").version == scorer.score("在吗").version == scorer.version
    assert len(scorer.version) == 12

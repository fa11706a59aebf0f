"""The scorer with the shipped lexicons and default policy: what users expect out of the box."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

from classifiers.errors import InputError, PolicyError
from classifiers.resources import (
    default_intent_model,
    default_invitation_model,
    default_lexicon_dir,
    default_policy_file,
    default_tone_model,
)
from classifiers.results import Role
from classifiers.scorer import Scorer
from classifiers.tiers import Tier
from tests.conftest import write_mini_config

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "default_policy.tsv"


class Case(NamedTuple):
    text: str
    role: Role
    tiers: frozenset[Tier]
    category: str | None
    context: str | None


def load_cases() -> tuple[Case, ...]:
    with CORPUS.open(encoding="utf-8") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")]
    return tuple(Case(text, Role(role), frozenset(Tier(t) for t in tiers.split(",")),
                      None if category == "-" else category, context[0] if context else None)
                 for text, role, tiers, category, *context in rows)


CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.context or ''}→{c.text}" for c in CASES])
def test_scorer_default_policy_behaviour(scorer: Scorer, case: Case) -> None:
    verdict = scorer.score(case.text, case.role, context=case.context)
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


def write_shop_config(root: Path) -> tuple[Path, Path]:
    """The mini configuration with overlays: s1 denies its competitor 拼夕夕 and allows its
    product QQ糖 (the shared lexicon denies qq); s2 allows 微信支付."""
    lexicons, policy = write_mini_config(root)
    for name, content in {"s1/off_platform.txt": "拼夕夕\tseverity=3\n",
                          "s1/allow.txt": "QQ糖\n", "s2/allow.txt": "微信支付\n"}.items():
        (lexicons / "shops" / name).parent.mkdir(parents=True, exist_ok=True)
        (lexicons / "shops" / name).write_text(content, encoding="utf-8")
    return lexicons, policy


@pytest.fixture(scope="module")
def shop_scorer(tmp_path_factory: pytest.TempPathFactory) -> Scorer:
    return Scorer.load(*write_shop_config(tmp_path_factory.mktemp("shops")))


@pytest.mark.parametrize(("text", "tiers"), [
    # (no shop, s1, s2, a shop without overlay)
    ("有事去拼夕夕找我", ("none", "block", "none", "none")),
    ("这款QQ糖很好吃", ("block", "none", "block", "block")),
    ("加我qq，QQ糖便宜", ("block", "block", "block", "block")),  # allow covers only its span
    ("支持微信支付", ("block", "block", "none", "block")),
    ("拼 夕 夕上也有", ("none", "block", "none", "none")),  # normalised like the shared terms
])
def test_scorer_applies_a_shop_overlay_to_that_shop_only(shop_scorer: Scorer, text: str,
                                                         tiers: tuple[str, ...]) -> None:
    got = tuple(str(shop_scorer.score(text, Role.AGENT, shop=shop).tier)
                for shop in (None, "s1", "s2", "s3"))
    assert got == tiers


def test_scorer_overlay_match_names_its_file(shop_scorer: Scorer) -> None:
    [match] = shop_scorer.score("有事去拼夕夕找我", Role.AGENT, shop="s1").matches
    assert (match.term, match.category, match.severity) == ("拼夕夕", "off_platform", 3)


def test_scorer_reload_reuses_unchanged_overlays(shop_scorer: Scorer, tmp_path: Path) -> None:
    lexicons, policy = write_shop_config(tmp_path)
    (lexicons / "shops/s2/allow.txt").write_text("微信支付\n微信收款\n", encoding="utf-8")
    again = Scorer.load(lexicons, policy, reuse=shop_scorer)
    assert again.overlays["s1"] is shop_scorer.overlays["s1"]
    assert again.overlays["s2"] is not shop_scorer.overlays["s2"]
    assert again.version != shop_scorer.version


def test_a_shops_allow_phrases_are_not_read_by_the_invitation_model(tmp_path: Path) -> None:
    """A shop's product name that reads like an invitation (a toy called 加我好友盲盒) gives the
    invitation model no wording for that shop's messages; other shops' messages are read whole,
    and the allow phrase is removed from what the model reads, nothing else."""
    lexicons = tmp_path / "lexicons"
    shutil.copytree(default_lexicon_dir(), lexicons)
    (lexicons / "shops" / "toys").mkdir(parents=True)
    (lexicons / "shops" / "toys" / "allow.txt").write_text("加我好友盲盒\n", encoding="utf-8")
    scorer = Scorer.load(lexicons, default_policy_file(), tone_model=default_tone_model(),
                         intent_model=default_intent_model(),
                         invitation_model=default_invitation_model())
    text = "加我好友盲盒到货了"
    [invited] = scorer.score(text, Role.AGENT).matches
    assert invited.view == "invitation"
    assert scorer.score(text, Role.AGENT, shop="toys").matches == ()
    assert scorer.overlays["toys"].without_allowed("新款加我好友盲盒到了") == "新款到了"


def test_scorer_scores_intent_on_buyer_messages_only(scorer: Scorer) -> None:
    buyer = scorer.score("转人工", Role.BUYER).to_dict()
    assert set(buyer["intent"]["scores"]) == {"wants_human", "complaint", "anger", "ordinary"}
    assert buyer["intent"]["label"] == "wants_human"
    assert buyer["tier"] == "route-to-human"
    assert "intent" not in scorer.score("转人工", Role.AGENT).to_dict()


def test_scorer_refuses_a_policy_using_intent_without_a_model(tmp_path: Path) -> None:
    lexicons, policy = write_mini_config(
        tmp_path, "version: 1\nrules:\n  - {id: human, when: {roles: [buyer], intent: "
                  "{wants_human: 0.8}}, tier: route-to-human}\n")
    with pytest.raises(PolicyError, match="rules use intent \\(wants_human\\) but no intent "
                                          "model is loaded"):
        Scorer.load(lexicons, policy)
    routed = Scorer.load(lexicons, policy, intent_model=default_intent_model())
    assert routed.score("转人工", Role.BUYER).tier is Tier.ROUTE_TO_HUMAN

"""Co-occurrence rules and cancelling scopes (classifiers/structure.py, `@near` / `@scope`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from classifiers.errors import LexiconError
from classifiers.lexicon import Lexicon
from classifiers.results import Role
from classifiers.scorer import Scorer
from classifiers.tiers import Tier

WriteLexicon = Callable[[dict[str, str]], Path]

# A lexicon written for these tests: the engine must work from data alone.
RULES = """\
@scope not=neg not_in_message=scam contrast=but stance=home product_head=head
@near go app	within=4
@near app act	within=5 severity=2
@near pay to_me	within=6 order=any
@defaults part=app
木星
土星号
@defaults part=go
前往
@defaults part=act
聊
下单	part=act,to_me
@defaults part=pay
钱包
@defaults part=to_me
给我
@defaults part=neg
别
@defaults part=scam
骗子
@defaults part=but
但
@defaults part=home
本馆
@defaults part=head
酥
@defaults severity=2
站外交易	severity=3
"""
POLICY = """\
version: 1
rules:
  - {id: diversion, when: {roles: [agent], categories: [off_platform], min_severity: 3},
     tier: block}
  - {id: diversion-weak, when: {roles: [agent], categories: [off_platform], max_severity: 2},
     tier: notice}
"""


@pytest.fixture(scope="module")
def structure_scorer(tmp_path_factory: pytest.TempPathFactory) -> Scorer:
    root = tmp_path_factory.mktemp("structure")
    (root / "lexicons").mkdir()
    (root / "lexicons" / "off_platform.txt").write_text(RULES, encoding="utf-8")
    (root / "policy.yaml").write_text(POLICY, encoding="utf-8")
    return Scorer.load(root / "lexicons", root / "policy.yaml")


def rules_hit(scorer: Scorer, text: str) -> list[str]:
    return sorted(m.term for m in scorer.score(text, Role.AGENT).matches)


@pytest.mark.parametrize(("text", "expected"), [
    ("请前往木星", ["go+app"]),                 # go before app, gap 1
    ("请前往那个木星", ["go+app"]),             # gap 3 ≤ 4
    ("请前往我们那边的木星", []),               # gap 5 > 4
    ("木星前往", []),                           # order=ab: go must come first
    ("木星上聊", ["app+act"]),
    ("木星上慢慢聊", ["app+act"]),
    ("木星，聊", []),                           # the two sides stand in different clauses
    ("钱包下单", ["pay+to_me"]),                # order=any, and one term in two groups
    ("给我打到钱包", ["pay+to_me"]),
    ("前往土星号聊", ["app+act", "go+app"]),
    ("木星真好看", []),                         # a bare channel is nothing
    ("请前往「大大大大的店」木星", ["go+app"]),  # a quoted name counts as its marks only
    ("请前往木星酥专区", []),                   # a member before a product head names it
    ("木星酥上聊", []),
    ("请前往木星吃酥", ["go+app"]),             # a head further on names nothing
    ("请前往土星号酥", []),                     # a longer member before a head too
    ("请前往大大大大的店木星", []),
])
def test_near_rules_need_both_sides_in_one_clause_within_the_window(
        structure_scorer: Scorer, text: str, expected: list[str]) -> None:
    assert rules_hit(structure_scorer, text) == expected


@pytest.mark.parametrize(("text", "tier"), [
    ("请前往木星", Tier.BLOCK),                 # severity 3 by default
    ("木星上聊", Tier.NOTICE),                  # severity=2 on the rule
    ("别前往木星", Tier.NONE),                  # negation in the clause
    ("好的，别急，请前往木星", Tier.BLOCK),      # negation in another clause
    ("好的 别急 请前往木星", Tier.BLOCK),        # spaces between Chinese end a clause too
    ("请前往木星的是骗子。", Tier.NONE),         # warning anywhere in the message
    ("有骗子。站外交易", Tier.NONE),             # scopes cancel ordinary terms too
    ("别站外交易", Tier.NONE),
    ("站外交易", Tier.BLOCK),
    ("前往木星？别，就这儿说", Tier.NONE),      # a question answered by a refusal
    ("想站外交易？嗯别了吧", Tier.NONE),         # the refusal opens the answer
    ("前往木星？好的，别急", Tier.BLOCK),        # the answer opens with something else
    ("前往木星？我在那边等你别急", Tier.BLOCK),  # a negation further in is about another thing
    ("前往木星。别急", Tier.BLOCK),              # no question: the next clause is its own
    # a contrast opening a later clause, with the stance after it: the part before is conceded
    ("请前往木星，但本馆更好", Tier.NONE),
    ("请前往木星方便 但还是本馆好", Tier.NONE),   # a space between Chinese opens the clause
    ("请前往木星，好吗，但本馆也行", Tier.NONE),   # commas between: still one sentence
    ("本馆不错，但请前往木星", Tier.BLOCK),        # the hit after the contrast is the stance
    ("请前往木星，但快点", Tier.BLOCK),            # no stance after the contrast
    ("请前往木星。但本馆更好", Tier.BLOCK),        # another sentence
    ("请前往木星但本馆", Tier.BLOCK),              # a contrast inside a clause opens none
])
def test_scopes_cancel_hits_of_their_category(structure_scorer: Scorer, text: str,
                                              tier: Tier) -> None:
    assert structure_scorer.score(text, Role.AGENT).tier is tier


def test_near_match_spans_both_sides_and_explains_them(structure_scorer: Scorer) -> None:
    text = "您好，请前往那个木星"
    (match,) = structure_scorer.score(text, Role.AGENT).matches
    assert (match.view, match.text) == ("near", "前往那个木星")
    assert text[match.start:match.end] == match.text
    assert "前往 (go) … 木星 (app)" in match.trace[0] and "within 4" in match.trace[0]


def test_a_disguised_channel_is_a_hit_on_its_own(structure_scorer: Scorer) -> None:
    verdict = structure_scorer.score("木*星", Role.AGENT)
    assert [(m.term, m.evasion) for m in verdict.matches] == [("木星", True)]


@pytest.fixture(scope="module")
def shop_structure_scorer(tmp_path_factory: pytest.TempPathFactory) -> Scorer:
    """The test rules with two shop overlays: s1 allows its product 木星糖 and denies 金星店;
    s2 has an overlay of its own (so it takes the overlay path) that touches neither."""
    root = tmp_path_factory.mktemp("structure-shops")
    for name, content in {"off_platform.txt": RULES, "shops/s1/allow.txt": "木星糖\n",
                          "shops/s1/off_platform.txt": "金星店\tseverity=3\n",
                          "shops/s2/allow.txt": "水星糖\n"}.items():
        (root / "lexicons" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "lexicons" / name).write_text(content, encoding="utf-8")
    (root / "policy.yaml").write_text(POLICY, encoding="utf-8")
    return Scorer.load(root / "lexicons", root / "policy.yaml")


@pytest.mark.parametrize(("text", "s1", "s2", "no_shop"), [
    # s1's allow phrase covers the member 木星: it joins no rule for s1's messages only
    ("请前往木星糖专区", Tier.NONE, Tier.BLOCK, Tier.BLOCK),
    ("请前往木星", Tier.BLOCK, Tier.BLOCK, Tier.BLOCK),     # the bare member is not covered
    # s1's own deny term is a hit for s1, and the shared scope cancels it like a shared one
    ("去金星店买", Tier.BLOCK, Tier.NONE, Tier.NONE),
    ("别去金星店买", Tier.NONE, Tier.NONE, Tier.NONE),
    ("金星店都是骗子。", Tier.NONE, Tier.NONE, Tier.NONE),
])
def test_shop_overlays_meet_the_shared_rules_and_scopes(
        shop_structure_scorer: Scorer, text: str, s1: Tier, s2: Tier, no_shop: Tier) -> None:
    assert shop_structure_scorer.score(text, Role.AGENT, shop="s1").tier is s1
    assert shop_structure_scorer.score(text, Role.AGENT, shop="s2").tier is s2
    assert shop_structure_scorer.score(text, Role.AGENT).tier is no_shop


@pytest.mark.parametrize(("name", "content"), [
    ("shops/s1/off_platform.txt", "木卫\tpart=app\n"),
    ("shops/s1/off_platform.txt", "@defaults part=app\n木卫\n"),
    ("shops/s1/off_platform.txt", "@near go app within=3\n"),
    ("shops/s1/allow.txt", "@scope not=neg\n"),
])
def test_groups_rules_and_scopes_are_shared_only(write_lexicon: WriteLexicon, name: str,
                                                 content: str) -> None:
    directory = write_lexicon({"off_platform.txt": RULES})
    (directory / name).parent.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(content, encoding="utf-8")
    with pytest.raises(LexiconError, match="shared lexicon only") as caught:
        Lexicon.load(directory)
    assert caught.value.line is not None


@pytest.mark.parametrize(("content", "message"), [
    ("@near a\n", "two group names"),
    ("@near a b\n", "within=N"),
    ("@near a b within=99\n", "within=N"),
    ("@near a b within=3 order=ba\n", "order must be ab or any"),
    ("@near a b within=3 colour=red\n", "unknown @near option"),
    ("@scope\n", "options only"),
    ("@scope not=a\n@scope not=b\n", "one @scope line"),
    ("x\tpart=Bad-Name\n", "group name"),
    ("@near a b within=3\nx\tpart=a\n", "group 'b', which has no member"),
    ("@scope not=c\nx\tpart=a\n", "group 'c', which has no member"),
    ("@scope not=a contrast=b\nx\tpart=a\ny\tpart=b\n", "go together"),
    ("@scope not=a contrast=a stance=c\nx\tpart=a\n", "group 'c', which has no member"),
])
def test_lexicon_rejects_malformed_structure_lines(write_lexicon: WriteLexicon, content: str,
                                                   message: str) -> None:
    directory = write_lexicon({"off_platform.txt": content})
    with pytest.raises(LexiconError, match=message):
        Lexicon.load(directory)


def test_lexicon_reads_groups_rules_and_scope(write_lexicon: WriteLexicon) -> None:
    lexicon = Lexicon.load(write_lexicon({"off_platform.txt": RULES}))
    groups = {t.text: t.parts for t in lexicon.terms if t.parts}
    assert groups["下单"] == ("act", "to_me") and groups["木星"] == ("app",)
    assert [(r.name, r.within, r.severity, r.ordered) for r in lexicon.near] == [
        ("go+app", 4, 3, True), ("app+act", 5, 2, True), ("pay+to_me", 6, 3, False)]
    (scope,) = lexicon.scopes
    assert (scope.not_in_clause, scope.not_in_message) == (("neg",), ("scam",))
    assert (scope.contrast, scope.stance, scope.product_head) == (("but",), ("home",),
                                                                  ("head",))


@pytest.mark.parametrize("text", [
    "加我微信，发你图",
    "有事去闲鱼上找我",
    "关注我们的公众号领券",
    "到时候钉钉上联系",
    "支付宝直接转我就行",
    "扫一下二维码加我好友",
    "看我头像里有联系方式",
    "说真的不骗你，加我微信便宜二十",   # an assurance that one does not cheat is no warning
    "方便的话V我一下",                  # a channel letter as a verb on the agent
])
def test_shipped_rules_catch_invitations(scorer: Scorer, text: str) -> None:
    assert scorer.score(text, Role.AGENT).tier.severity >= Tier.BLOCK.severity


@pytest.mark.parametrize("text", [
    "我们不加微信，有问题在这里说就行",
    "凡是让您去闲鱼交易的都是骗子，请注意",
    "付款请用支付宝或者花呗",
    "这款手机壳是抖音同款",
    "扫描说明书上的二维码可以看安装视频",
    "请关注京东的公众号查看物流",
    "微信零钱到账需要一到三天",
    "这边不用薇信，有事留言",          # a disguised channel in a refusal: the scope cancels it too
    "上周有人被拉去加微信骗了钱",       # 骗 in any word is a warning
    "那个号盗了我们的图，说加他微信便宜",
    "V领我们还有两件",
    "运费扣我们的就行",                  # 扣 names a channel only before an id
    "想加微信看细节是吧，不行哦，图都在详情页",  # a question without its mark, refused
    "能私下转账吗，不可以的亲",
    # the channel in a conceded clause, the platform or this shop after the contrast
    "我理解您想用微信聊，不过售后记录都要留在平台上",
    "您习惯用QQ传图我明白 但这里也能发原图",
    # someone else did it, or a story that ends in a sanction
    "别人跟您说加QQ能便宜，那不是我们",
    "闲鱼有人卖我们的二手货，建议还是在本店下单",
    "上个月那位店员私自加了顾客微信，已经被开除了",
    "冇需要去抖音搵我哋，店里都有",           # a Cantonese negation
    # a channel as the first word of a product's name, a device feature, a code that is gone
    "QQ糖买三袋更划算",
    "这台电视可以微信投屏聊天",
    "这款平板内置微信聊天",
    "美团外卖头盔九成新，骑手自用",
    "柜台那张收款码已经作废了，请在订单里付款",
    "现金给他不安全，请在平台下单",
])
def test_shipped_rules_leave_refusals_warnings_and_products(scorer: Scorer, text: str) -> None:
    assert scorer.score(text, Role.AGENT).tier is Tier.NONE


@pytest.mark.parametrize(("text", "read"), [
    # the refusal names a channel: not read
    ("不用加微信，课程在已购里直接能看", "课程在已购里直接能看"),
    ("这边不方便，去闲鱼找我", "这边不方便,去闲鱼找我"),   # a refusal naming none: a reason to go
    ("不接受微信转账", None),                               # nothing left to read
    ("有人冒充客服让您加QQ，千万别信", None),                # a warning anywhere: nothing read
    ("我知道用QQ方便，但还是在这里说吧", "但还是在这里说吧"),  # the conceded part is not read
    ("QQ糖买三袋更划算", "买三袋更划算"),                  # nor a product's name
    ("旺旺QQ糖，不用加QQ", "旺旺,"),
    # links and numbers are the contact detector's; a number is one token
    ("发票在这里下载 https://shop.example.com/a 哦", "发票在这里下载 哦"),
    ("订单号 1389 2056 7741，已备注", "订单号0,已备注"),
])
def test_invitation_model_reads_what_the_scope_does_not_cancel(scorer: Scorer, text: str,
                                                               read: str | None) -> None:
    """What the invitation model reads of a message: the clauses the off-platform scope cancels
    are left out when they name a channel; addresses and numbers are the contact detector's."""
    assert scorer.invitation_text(text) == read


@pytest.mark.parametrize("text", [
    "要不咱俩去闲鱼上交易",          # 不 of a suggestion (要不) negates nothing
    "不如加个企微，方便沟通",
    "去pdd搜同款更便宜",             # 同款 names a product only right after the channel
    "装完您现金给他就好",            # money to a third person, outside the order
    "说明书背面有码，扫一下付尾款",  # a code to scan and pay
    "去纸飞机上联系我",              # a messenger's nickname
    "哪里不懂的直接V我",             # 不 inside a relative clause negates nothing
    "这边不方便的话加我微信",        # nor inside a condition
    "平台上贵，但加我微信就便宜",    # after the contrast: what the agent says
    "加V吧，但是动作快点",           # no platform after the contrast
    "去美团搜我们店，外卖更快",      # the channel is no product's name here
    "去美团外卖搜我们",              # nor here: no head after it
])
def test_shipped_rules_read_suggestions_as_invitations(scorer: Scorer, text: str) -> None:
    assert scorer.score(text, Role.AGENT).tier.severity >= Tier.BLOCK.severity


@pytest.mark.parametrize(("text", "tier"), [
    ("平台不允许好评返现", Tier.NONE),         # the platform forbids it: no offer
    ("好评返现是违规的哦", Tier.NONE),
    ("好评返现我们不做的，平台规定", Tier.NONE),
    ("好评返现别忘了", Tier.BLOCK),             # plain negation is no refusal of the offer
    ("五星好评返5元，不能少于20字", Tier.BLOCK),  # the forbidding word in another clause
])
def test_review_incentive_refusals_are_no_offer(scorer: Scorer, text: str, tier: Tier) -> None:
    assert scorer.score(text, Role.AGENT).tier is tier

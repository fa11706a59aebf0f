"""The sarcasm stage's shape features, one by one: each finds its shape and not the sincere
reply that uses the same words (sentences written for these tests)."""

from __future__ import annotations

import pytest

from classifiers.context import Act
from classifiers.tone import sarcasm_shapes as shapes


@pytest.mark.parametrize(("reply", "expected"), [
    ("您眼光真不错，这款是我们的爆款", 1.0),
    ("您可真是行家，一眼就挑中了", 1.0),
    ("已经给您安排发货了", 0.0),
])
def test_praise(reply: str, expected: float) -> None:
    assert shapes.praise(reply) == expected


@pytest.mark.parametrize(("reply", "expected"), [
    ("您真厉害，新买的锅三天就能用糊", 1.0),
    ("您可真会挑，连赠品都能弄坏", 1.0),
    ("您真厉害，一下就找到了优惠券", 0.0),  # praise, no bad outcome
    ("杯子碎了我们马上补发", 0.0),  # a bad outcome, no praise
])
def test_praise_with_bad_outcome(reply: str, expected: float) -> None:
    assert shapes.praise_with_bad_outcome(reply) == expected


@pytest.mark.parametrize(("reply", "expected"), [
    ("小的这就去给您办，您老稍坐", 1.0),
    ("遵命，大小姐", 1.0),
    ("好的亲，马上为您处理", 0.0),
])
def test_grand_address(reply: str, expected: float) -> None:
    assert shapes.grand_address(reply) == expected


@pytest.mark.parametrize(("reply", "expected"), [
    ("难道还要我们替您收快递吗", 1.0),
    ("总不能让快递员扛上九楼吧", 1.0),
    ("请问您方便什么时候收货呢？", 0.0),
])
def test_rhetorical_question(reply: str, expected: float) -> None:
    assert shapes.rhetorical_question(reply) == expected


@pytest.mark.parametrize(("reply", "expected"), [
    ("您确定量过尺寸了？", 1.0),
    ("尺寸表在详情页。", 0.0),  # no question
    ("这款还有货吗？", 0.0),  # not addressed to the buyer
])
def test_question_at_buyer(reply: str, expected: float) -> None:
    assert shapes.question_at_buyer(reply) == expected


@pytest.mark.parametrize(("reply", "expected"), [
    ("要不我们派专机给您送过去", 1.0),
    ("我们老板给您磕一个好不好", 1.0),
    ("我们可以帮您改成顺丰发货", 0.0),
])
def test_absurd_offer(reply: str, expected: float) -> None:
    assert shapes.absurd_offer(reply) == expected


@pytest.mark.parametrize(("reply", "expected"), [
    ("对对对，都是我们的问题", 1.0),
    ("行行行，您高兴就好", 1.0),
    ("您说的这个问题我们记下了", 0.0),
])
def test_mock_concession(reply: str, expected: float) -> None:
    assert shapes.mock_concession(reply) == expected


@pytest.mark.parametrize(("reply", "expected"), [
    ("建议您下次下单前看清楚再拍", 1.0),
    ("这种常识一般人都知道的", 1.0),
    ("我把尺码表发您，对照着选更准", 0.0),
])
def test_putdown_advice(reply: str, expected: float) -> None:
    assert shapes.putdown_advice(reply) == expected


@pytest.mark.parametrize(("reply", "expected"), [
    ("呵呵，那您慢慢等吧", 1.0),
    ("托您的福，我们还开着呢🙂", 1.0),
    ("好的，稍等一下", 0.0),
])
def test_irony_marker(reply: str, expected: float) -> None:
    assert shapes.irony_marker(reply) == expected


@pytest.mark.parametrize(("reply", "expected"), [
    ("实在抱歉，给您带来不便", 1.0),
    ("我这边帮您申请补发", 1.0),
    ("您慢慢挑吧", 0.0),
])
def test_offers_help(reply: str, expected: float) -> None:
    assert shapes.offers_help(reply) == expected


@pytest.mark.parametrize(("reply", "expected"), [
    ("您眼光真好，这都能挑出毛病", 1.0),
    ("您眼光真好，我马上帮您备注加急", 0.0),  # praise, then help
])
def test_praise_without_help(reply: str, expected: float) -> None:
    assert shapes.praise_without_help(reply) == expected


@pytest.mark.parametrize(("reply", "expected"), [
    ("我这边已经给您补寄了一个新的", 1.0),
    ("运费我们出，师傅明天上门", 1.0),
    ("您这眼睛可真尖", 0.0),
])
def test_concrete_help(reply: str, expected: float) -> None:
    assert shapes.concrete_help(reply) == expected


def test_praise_after_a_report_reads_by_what_follows() -> None:
    """Sincere praise after a buyer's report goes on to what the shop will do."""
    report = "盖子上有一道划痕"
    assert shapes.praise_for_complaint_without_help("您可真细心，这都看得出来", report,
                                                    Act.COMPLAINT) == 1.0
    assert shapes.praise_for_complaint_without_help("您真细心，谢谢提醒，我马上给您换一个",
                                                    report, Act.COMPLAINT) == 0.0
    assert shapes.praise_for_complaint("您真细心，谢谢提醒，我马上给您换一个", report,
                                       Act.COMPLAINT) == 1.0


def test_quotes_and_trailing_off() -> None:
    assert shapes.quotes_buyer("我们说的是“尽快”，不是“马上”") == 1.0
    assert shapes.quotes_buyer("已经发出了") == 0.0
    assert shapes.trailing_off("那好吧……") == 1.0
    assert shapes.trailing_off("好的。") == 0.0


@pytest.mark.parametrize(("context", "act", "complains", "thanks"), [
    ("东西收到就是坏的", Act.STATEMENT, 1.0, 0.0),
    ("怎么还不发货", Act.COMPLAINT, 1.0, 0.0),
    ("收到了，谢谢你们", Act.THANKS, 0.0, 1.0),
    ("这个有蓝色吗", Act.POLAR, 0.0, 0.0),
    (None, None, 0.0, 0.0),
])
def test_buyer_message(context: str | None, act: Act | None, complains: float,
                       thanks: float) -> None:
    assert shapes.buyer_complains(context, act) == complains
    assert shapes.buyer_thanks(context, act) == thanks
    assert shapes.no_buyer_message(context, act) == (1.0 if context is None else 0.0)


def test_the_same_praise_reads_by_what_it_answers() -> None:
    """Praise in answer to a complaint is a shape of sarcasm; in answer to thanks it is not."""
    reply = "您真是太有眼光了"
    assert shapes.praise_for_complaint(reply, "质量太差了，用一次就坏", Act.COMPLAINT) == 1.0
    assert shapes.praise_for_complaint(reply, "谢谢，很喜欢", Act.THANKS) == 0.0
    assert shapes.praise_for_thanks(reply, "谢谢，很喜欢", Act.THANKS) == 1.0
    assert shapes.praise_for_thanks(reply, "质量太差了，用一次就坏", Act.COMPLAINT) == 0.0
    assert shapes.praise_for_complaint("谢谢您的宝贵意见", "你们客服太慢了",
                                       Act.COMPLAINT) == 1.0


def test_deference_for_complaint() -> None:
    assert shapes.deference_for_complaint("是是是，您说了算", "你们这服务也太差了",
                                          Act.COMPLAINT) == 1.0
    assert shapes.deference_for_complaint("是是是，您说了算", None, None) == 0.0


def test_shape_features_name_every_shape() -> None:
    features = shapes.shape_features("对对对，您真厉害", "怎么又坏了", Act.COMPLAINT)
    assert set(features) == {*shapes.REPLY_SHAPES, *shapes.PAIR_SHAPES,
                             *shapes.CONTEXT_SHAPES}
    assert features["mock_concession"] == 1.0 and features["deference_for_complaint"] == 1.0
    assert all(v in (0.0, 1.0) for v in features.values())

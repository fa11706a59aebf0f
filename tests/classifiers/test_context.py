"""The buyer's previous message read into a dialogue act: does the reply owe an answer?"""

from __future__ import annotations

import pytest

from classifiers.context import NEEDS_ANSWER, Act, DialogueActs
from classifiers.errors import InputError
from classifiers.results import Role
from classifiers.scorer import Scorer
from classifiers.tiers import Tier

# Written for these tests (never taken from an evaluation set or the eval data): the acts in
# the shapes buyers type them, with and without punctuation, mixed with courtesy phrases.
ACTS = [
    ("这件洗了会缩水吗", Act.POLAR), ("有没有大一码的", Act.POLAR), ("能便宜点不", Act.POLAR),
    ("那黑色的呢？", Act.POLAR), ("好的？", Act.POLAR), ("亲，这个保温杯能装开水吗", Act.POLAR),
    ("怎么申请退款", Act.QUESTION), ("发什么快递", Act.QUESTION), ("多少钱包邮", Act.QUESTION),
    ("几天能到上海", Act.QUESTION), ("你好，这个哪里有卖", Act.QUESTION), ("？？", Act.QUESTION),
    ("帮我改一下收货地址", Act.REQUEST), ("麻烦尽快发货", Act.REQUEST),
    ("我想换个颜色", Act.REQUEST),
    ("快递怎么还没到", Act.COMPLAINT), ("收到的杯子碎了", Act.COMPLAINT),
    ("再这样我就投诉了", Act.COMPLAINT), ("都三天了还没发货", Act.COMPLAINT),
    ("谢谢亲", Act.THANKS), ("好的谢谢", Act.THANKS), ("ok，辛苦了", Act.THANKS),
    ("謝謝", Act.THANKS),
    ("没有了，再见", Act.GOODBYE), ("不用了谢谢", Act.GOODBYE), ("拜拜", Act.GOODBYE),
    ("好的", Act.CONFIRM), ("嗯嗯", Act.CONFIRM), ("知道了", Act.CONFIRM), ("ＯＫ", Act.CONFIRM),
    ("那好吧", Act.CONFIRM), ("是的", Act.CONFIRM),
    ("稍等，我问问我老公", Act.WAIT), ("好的那我等你消息", Act.WAIT), ("我再考虑一下", Act.WAIT),
    ("在吗", Act.GREETING), ("亲，在么？", Act.GREETING), ("你好", Act.GREETING),
    ("👍", Act.EMOJI), ("[微笑]", Act.EMOJI), ("🌹🌹", Act.EMOJI),
    ("订单号是 2938475", Act.STATEMENT), ("我昨天下的单", Act.STATEMENT),
    # problems reported as statements are complaints; the same words in a question are not
    ("台灯的开关按不动了", Act.COMPLAINT), ("说好的赠品没收到", Act.COMPLAINT),
    ("鞋子两只颜色不一样", Act.COMPLAINT), ("这个会不会褪色", Act.POLAR),
    ("不着急，你们慢慢来", Act.WAIT), ("我不了解这个牌子", Act.STATEMENT),
]


@pytest.mark.parametrize(("text", "act"), ACTS)
def test_context_dialogue_act(scorer: Scorer, text: str, act: Act) -> None:
    signal = scorer.read_context(text)
    assert (signal.act, signal.needs_answer) == (act, act in NEEDS_ANSWER), text
    assert signal.text == text


def test_context_acts_needing_an_answer() -> None:
    assert NEEDS_ANSWER == {Act.QUESTION, Act.POLAR, Act.REQUEST, Act.COMPLAINT}


@pytest.mark.parametrize("text", ["", "   ", "a" * 20, "好\x00的", "😀" * 3, "，。、", "亲" * 500])
def test_context_reader_survives_any_text(text: str) -> None:
    assert DialogueActs().act(text) in Act


@pytest.mark.parametrize(("context", "message"), [
    ("", "上下文为空"), ("好\x07的", "上下文第 2 个字符是控制字符"), ("字" * 6000, "上下文过长")])
def test_context_unusable_is_an_input_error(scorer: Scorer, context: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        scorer.score("好的", context=context)


def test_context_is_read_only_when_a_rule_asks(scorer: Scorer) -> None:
    """A message no context rule can reach (the shipped context rules are for shop-side replies)
    never pays for reading the buyer's message or for the answer model; a reply reaches the
    `unanswered` rule, which reads both."""
    buyer = scorer.score("还有别的颜色吗", Role.BUYER, context="这款有货吗？")
    assert buyer.context is not None and "unread" in repr(buyer.context)
    reply = scorer.score("亲，有货的，今天下单明天发", context="这款有货吗？")
    assert reply.context is not None and "unread" not in repr(reply.context)
    assert reply.context.unanswered is not None and reply.context.unanswered < 0.5


def test_context_is_in_the_verdict_only_when_given(scorer: Scorer) -> None:
    verdict = scorer.score("好的", Role.AGENT, context="发什么快递？")
    assert verdict.context is not None
    context = verdict.to_dict()["context"]
    assert {k: v for k, v in context.items() if k != "unanswered"} == {
        "text": "发什么快递？", "act": "question", "needs_answer": True}
    assert context["unanswered"] >= 0.5  # the answer model: a lone 好的 answers no question
    assert verdict.tier is Tier.NOTICE
    without = scorer.score("好的", Role.AGENT)
    assert without.context is None and "context" not in without.to_dict()
    assert without.tier is Tier.NONE

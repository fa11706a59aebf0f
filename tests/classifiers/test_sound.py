"""Insults spelled by their sound (classifiers/sound.py and the homophone rule of the matcher),
with the shipped lexicons: each spelling counts only where the message shows the disguise."""

from __future__ import annotations

import pytest

from classifiers.scorer import Scorer
from classifiers.sound import addressed, initials_runs, respellings


def insults(scorer: Scorer, text: str) -> list[tuple[str, str]]:
    return [(m.term, m.text) for m in scorer.score(text).matches
            if m.category in ("abuse", "discrimination")]


@pytest.mark.parametrize(("text", "term", "spelled"), [
    # homophones whose characters form no word there
    ("说了八遍，你就是个莎币", "傻逼", "莎币"),
    ("莎碧一个，又来找茬", "傻逼", "莎碧"),
    ("箭人就是多事", "贱人", "箭人"),
    # a lone digit read as its syllable
    ("赶紧去4吧", "去死", "去4"),
    # look-alike digits inside a latin word, read as pinyin
    ("真是个sh4b1", "傻逼", "sh4b1"),
    ("满嘴狗5hi", "狗屎", "狗5hi"),
    # initials addressed at someone
    ("你sqj，还想退", "死全家", "sqj"),
    ("rz吧，看不懂说明", "弱智", "rz"),
])
def test_insults_spelled_by_sound_are_read(scorer: Scorer, text: str, term: str,
                                           spelled: str) -> None:
    assert (term, spelled) in insults(scorer, text)
    match = next(m for m in scorer.score(text).matches if m.term == term)
    assert match.evasion and match.view == "pinyin" and match.trace


@pytest.mark.parametrize("text", [
    "持剑人都是高手", "建人工湖",       # a verb and its object
    "二狗是我们村收菜的",              # a subject and its copula
    "我们不做私单",                    # a verb and its object
    "财务机构 是随机的",               # a space between two words is no disguise
    "飞毛腿电池 适用于苹果",
    "请去4楼取件", "3天内发货", "5元一包", "第2件半价",   # quantities
    "A4纸500张", "3kg装", "iphone15有货",                # codes and units
    "我的rz系列耳机", "SQJ型号的配件",                    # initials not addressed
    "收件人写错了", "我们为新用户准备了礼品",
])
def test_everyday_words_that_sound_alike_stay_benign(scorer: Scorer, text: str) -> None:
    assert insults(scorer, text) == []


def test_respellings_replace_only_the_disguised_characters() -> None:
    base = "去4吧,sh4b1"
    spellings = list(respellings(base, lambda ch: ""))
    assert [(s.text, sorted(s.positions), s.latin) for s in spellings] == [
        ("去四吧,sh4b1", [1], False), ("去4吧,shabi", [6, 8], True)]
    assert all(len(s.text) == len(base) for s in spellings)


def test_a_digit_before_a_measure_word_is_a_quantity() -> None:
    base = "去4楼"
    assert list(respellings(base, lambda ch: "n" if ch == "楼" else "")) == []


def test_initials_are_addressed_after_a_pronoun_or_before_a_particle() -> None:
    assert addressed("你nt吧", 1, 3) and addressed("nt吧,看", 0, 2)
    assert not addressed("买nt款", 1, 3)
    assert list(initials_runs("ab12 xyz abcde")) == [(5, 8)]


@pytest.mark.parametrize(("text", "abuse"), [
    ("不买就gun", True), ("你gun", True),             # an order: after an adverb or a pronoun
    ("就gun系列吧", False), ("这款就是gun", False),    # a name goes on, or follows a verb
])
def test_a_lone_syllable_ends_an_order_after_an_adverb(scorer: Scorer, text: str,
                                                        abuse: bool) -> None:
    assert bool(insults(scorer, text)) is abuse

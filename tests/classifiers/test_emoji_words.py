"""Emoji that stand for a lexicon word: derived from CLDR's Chinese names, rewritten before
normalisation, matches mapped back to the message as sent."""

from __future__ import annotations

from classifiers.emoji_words import EmojiWords, cldr_names
from classifiers.normalize.pinyin import PinyinView
from classifiers.results import Role
from classifiers.scorer import Scorer


def test_cldr_names_drop_a_trailing_head_or_face() -> None:
    names = cldr_names()
    assert names["🐷"] == "猪" and names["🐶"] == "狗" and names["🐧"] == "企鹅"
    assert len(names) > 1000  # the whole CLDR table, nothing typed here


def test_only_emoji_whose_name_is_inside_a_lexicon_word_are_read() -> None:
    words = EmojiWords(["狗东西", "企鹅号"])
    assert set(words.names) >= {"🐶", "🐕", "🐧"} and "🐷" not in words.names
    rewritten = words.rewrite("🐶东西，加🐧号")
    assert rewritten is not None and rewritten.text == "狗东西，加企鹅号"
    assert rewritten.span(0, 3) == (0, 3)   # 狗东西 ← 🐶东西
    assert rewritten.span(5, 8) == (5, 7)   # 企鹅号 ← 🐧号
    assert words.rewrite("好的亲🙂") is None
    assert words.rewrite("186🐶5530🐶2271") is None  # between digits: a separator


def test_scorer_reads_insulting_and_channel_emoji(scorer: Scorer) -> None:
    verdict = scorer.score("你个🐷，单号都看不懂", Role.AGENT)
    assert str(verdict.tier) == "block-with-warning"
    [match] = verdict.matches
    assert match.text == "你个🐷" and match.evasion and "🐷→猪" in match.trace[0]
    assert str(scorer.score("有事来🐧找我", Role.AGENT).tier) == "block"
    assert str(scorer.score("这个是个猪的造型，🐷存钱罐", Role.AGENT).tier) == "none"


def test_every_emoji_read_as_a_word_passes_the_quick_test(scorer: Scorer) -> None:
    """The test on the emoji's Unicode blocks that most messages stop at never stops one of
    them."""
    words = scorer.emoji_words
    assert words.names
    for char, name in words.names.items():
        rewritten = words.rewrite(f"你个{char}的")
        assert rewritten is not None and rewritten.text == f"你个{name}的", char


def test_pictographs_sounding_like_a_term_character_are_read_for_the_pinyin_view(
        scorer: Scorer) -> None:
    """🐴 (马) sounds like 妈, which many terms hold: it is read as 马 and the pinyin view finds
    the homophone; a one-character name that sounds like no term's character, and the BMP's
    marks (✖ 乘, ➖ 减), are not read."""
    syllables = PinyinView().syllables
    words = EmojiWords(["你妈的", "他妈的", "加我微信"], syllables)
    assert words.names["🐴"] == "马" and "🍎" not in words.names
    assert "✖" not in words.names and "➖" not in words.names
    assert "🐴" not in EmojiWords(["你妈的", "他妈的"]).names  # without the syllables
    verdict = scorer.score("退啥退，你🐴的", Role.AGENT)
    assert verdict.rule == "abuse"
    assert any("🐴→马" in line for m in verdict.matches for line in m.trace)
    assert str(scorer.score("🐴上给您安排发货", Role.AGENT).tier) == "none"
    # only between two Chinese characters: elsewhere it stands for no character
    assert words.rewrite("你🐴") is None and words.rewrite("ab🐴12") is None
    assert [m.term for m in scorer.score("加V：ma🐴888", Role.AGENT).matches
            if m.view == "contact"] == ["账号"]

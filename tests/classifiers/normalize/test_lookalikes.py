"""The confusables, bopomofo and lone-character separator rules, each on its own."""

from __future__ import annotations

import pytest

from classifiers.normalize import Normalizer
from classifiers.normalize.base import NormalizedText
from classifiers.normalize.bopomofo import Bopomofo
from classifiers.normalize.confusables import Confusables
from classifiers.normalize.separators import Separators


@pytest.fixture(scope="module")
def confusables() -> Confusables:
    return Confusables()


@pytest.mark.parametrize(("text", "expected"), [
    ("ѕЬ", "sb"),                 # Cyrillic dze and soft sign
    ("1З9", "139"),               # Cyrillic ze looks like 3
    ("Ο5", "o5"),                 # Greek omicron
    ("ⓦⓧ", "wx"),                 # circled small letters
    ("🅦🅧", "wx"),               # negative circled capitals: no NFKC form, read by name
    ("🇼🇽", "wx"),               # regional indicators
    ("❷❽", "28"),                 # dingbat digits
    ("٣٨", "38"),                 # Arabic-Indic digits
    ("5\u20e3", "5"),             # keycap: the enclosing mark is decoration
    ("wēi xìn", "wei xin"),       # pinyin tone marks: a latin letter plus combining marks
    ("lǜ", "lu"),
    ("café", "cafe"),
    ("傻✖", "傻x"),               # X-shaped marks stand for a masked character: 傻× is 傻x
    ("30×40", "30x40"),
    ("☓❎🗙", "xxx"),
])
def test_confusables_fold_look_alikes_to_plain_letters_and_digits(
        confusables: Confusables, text: str, expected: str) -> None:
    assert confusables(NormalizedText.of(text)).text == expected


@pytest.mark.parametrize("text", [
    "微信退款", "÷·", "〇一二", "한국어", "ひらがな", "ㄅㄆ", "→✓", "☒⥇",
])
def test_confusables_leave_chinese_kana_hangul_and_symbols(
        confusables: Confusables, text: str) -> None:
    assert confusables(NormalizedText.of(text)).text == text


def test_confusables_table_comes_from_unicode_data(confusables: Confusables) -> None:
    # Thousands of entries, none typed in this repository.
    assert len(confusables.table) > 1000


@pytest.mark.parametrize(("text", "expected"), [
    ("ㄨㄟˋ ㄒㄧㄣˋ", "wei xin"),
    ("ㄓㄨㄥ", "zhong"),
    ("ㄉㄚˇ", "da"),
    ("没有注音", "没有注音"),
])
def test_bopomofo_spelled_in_pinyin(text: str, expected: str) -> None:
    assert Bopomofo()(NormalizedText.of(text)).text == expected


def test_bopomofo_letters_map_to_their_whole_syllable() -> None:
    result = Bopomofo()(NormalizedText.of("加ㄨㄟˋ"))
    assert result.text == "加wei"
    # each of w, e, i covers the original ㄨㄟˋ (positions 1 to 4)
    assert result.original_starts()[1:] == (1, 1, 1)
    assert result.original_ends()[1:] == (4, 4, 4)


@pytest.mark.parametrize(("text", "expected"), [
    ("猪、头，说什么", "猪头，说什么"),       # both sides stand alone
    ("「发」「票」开好了", "「发票」开好了"),
    ("一~二~三", "一二三"),
    ("好的~亲", "好的~亲"),                 # 好的 is a word: the ~ is punctuation
    ("红、黄、蓝三色", "红黄、蓝三色"),
    ("你好，谢谢。", "你好，谢谢。"),
])
def test_separators_remove_punctuation_between_lone_characters(text: str,
                                                               expected: str) -> None:
    assert Separators()(NormalizedText.of(text)).text == expected


@pytest.mark.parametrize(("text", "term"), [
    ("ⓦⓔⓘⓧⓘⓝ", "weixin"),
    ("ㄨㄟ ㄒㄧㄣ", "weixin"),
    ("Ⓠ-Ⓠ", "qq"),
])
def test_default_chain_reads_disguised_spellings(normalizer: Normalizer, text: str,
                                                 term: str) -> None:
    assert normalizer(text).text == term

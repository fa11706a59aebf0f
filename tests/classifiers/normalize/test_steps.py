"""Each normalisation step on its own: text and offsets."""

from __future__ import annotations

import pytest

from classifiers.normalize import NormalizeStep
from classifiers.normalize.base import NormalizedText
from classifiers.normalize.case import Case
from classifiers.normalize.digits import Digits
from classifiers.normalize.invisible import Invisible
from classifiers.normalize.repeats import fold_repeats
from classifiers.normalize.script import Script
from classifiers.normalize.separators import Separators
from classifiers.normalize.width import Width


def run(step: NormalizeStep, text: str) -> NormalizedText:
    return step(NormalizedText.of(text))


@pytest.mark.parametrize(("text", "expected"), [
    ("ｓｂ", "sb"), ("１３８", "138"), ("ＱＱ", "QQ"), ("，！？", ",!?"), ("①", "1"),
    ("𝐬𝐛", "sb"), ("\u3000", " "), ("普通文字", "普通文字"),
])
def test_width_folds_full_width_and_compatibility_forms(text: str, expected: str) -> None:
    result = run(Width(), text)
    assert result.text == expected
    assert result.starts is None  # one-to-one: offsets unchanged


def test_width_leaves_multi_character_compatibility_forms() -> None:
    assert run(Width(), "…⑴").text == "…⑴"


@pytest.mark.parametrize(("text", "expected"), [("SB", "sb"), ("Wx", "wx"), ("ÀB", "àb"),
                                                ("微信", "微信")])
def test_case_folds_letters(text: str, expected: str) -> None:
    assert run(Case(), text).text == expected


@pytest.mark.parametrize(("text", "expected"), [("傻逼", "傻逼"), ("微信", "微信"),
                                                ("發貨", "发货"), ("简体", "简体")])
def test_script_converts_traditional_to_simplified(text: str, expected: str) -> None:
    assert run(Script(), text).text == expected


@pytest.mark.parametrize(("text", "expected", "starts"), [
    ("傻\u200b逼", "傻逼", (0, 2)),
    ("\ufeff微\u200d信", "微信", (1, 3)),
    ("好\u0007的", "好的", (0, 2)),
    ("❤\ufe0f", "❤", (0,)),
])
def test_invisible_removes_zero_width_and_control_characters(
        text: str, expected: str, starts: tuple[int, ...]) -> None:
    result = run(Invisible(), text)
    assert result.text == expected
    assert result.starts == starts


def test_invisible_keeps_newlines_and_tabs() -> None:
    assert run(Invisible(), "a\tb\nc").text == "a\tb\nc"


@pytest.mark.parametrize(("text", "expected", "starts"), [
    ("傻 逼", "傻逼", (0, 2)),
    ("傻*逼", "傻逼", (0, 2)),
    ("傻_逼", "傻逼", (0, 2)),
    ("白-痴", "白痴", (0, 2)),
    ("微❤信", "微信", (0, 2)),
    ("S.B.", "S B.".replace(" ", ""), (0, 2, 3)),
    ("傻 * 逼", "傻逼", (0, 4)),
])
def test_separators_collapse_runs_between_word_characters(
        text: str, expected: str, starts: tuple[int, ...]) -> None:
    result = run(Separators(), text)
    assert result.text == expected
    assert result.starts == starts
    assert result.ends == tuple(s + 1 for s in starts)


@pytest.mark.parametrize("text", [
    "亲，您好！", "好的。谢谢", "138 1234 5678", "12.5元", "abc_123", "wang-xiao", "好的~亲",
    "*傻逼*",
])
def test_separators_keep_sentence_punctuation_number_groups_and_id_joiners(text: str) -> None:
    assert run(Separators(), text).text == text


@pytest.mark.parametrize(("text", "expected"), [
    ("一三八", "138"), ("幺三八", "138"), ("壹叁捌", "138"), ("一次性", "1次性"),
])
def test_digits_view_folds_chinese_numerals(text: str, expected: str) -> None:
    assert Digits().compiled.translate(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("嗯嗯嗯", "嗯"), ("???", "?"), ("哈哈哈哈", "哈"), ("呵呵", "呵"), ("好的", "好的"),
])
def test_repeats_fold_runs_of_one_character(text: str, expected: str) -> None:
    assert fold_repeats(text) == expected

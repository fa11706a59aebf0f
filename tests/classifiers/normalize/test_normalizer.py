"""The chain: fused translate tables behave exactly like the steps run one by one."""

from __future__ import annotations

import pytest

from classifiers.normalize import Normalizer, compose_tables
from classifiers.normalize.base import NormalizedText
from classifiers.normalize.case import Case
from classifiers.normalize.width import Width

SAMPLES = ["ＳＢ", "傻\u200b*逼", "微❤️信", "亲，您好！", "發貨了嗎", "S.B.", "１３８ 1234"]


@pytest.mark.parametrize("text", SAMPLES)
def test_normalizer_fused_equals_steps_one_by_one(normalizer: Normalizer, text: str) -> None:
    stepwise = NormalizedText.of(text)
    for step in normalizer.steps:
        stepwise = step(stepwise)
    fused = normalizer(text)
    assert fused.text == stepwise.text
    assert fused.original_starts() == stepwise.original_starts()
    assert fused.original_ends() == stepwise.original_ends()


def test_compose_tables_applies_in_order() -> None:
    composed = compose_tables([Width().table, Case().table])
    assert "ＳＢ".translate(composed) == "sb"


def test_normalizer_rejects_duplicate_step_names() -> None:
    with pytest.raises(ValueError, match="width"):
        Normalizer([Width(), Width()])


@pytest.mark.parametrize(("span", "expected"), [
    ("傻*逼", ["傻*逼: separator * ignored"]),
    ("ＳＢ", ["ＳＢ→SB: full-width/compatibility form", "SB→sb: case folded"]),
    ("傻逼", []),
])
def test_normalizer_explain_lists_what_each_step_did(
        normalizer: Normalizer, span: str, expected: list[str]) -> None:
    assert normalizer.explain(span) == expected


def test_normalized_span_maps_back_to_original(normalizer: Normalizer) -> None:
    text = "你 是 傻*逼"
    result = normalizer(text)
    assert result.text == "你是傻逼"
    start, end = result.span(2, 4)
    assert text[start:end] == "傻*逼"


@pytest.mark.parametrize(("text", "folded"), [
    ("謝謝ＯＫ", "谢谢ok"), ("在嗎？", "在吗?"), ("傻*逼", "傻*逼"), ("ㄨㄟˋ", "ㄨㄟˋ")])
def test_normalizer_fold_runs_only_the_one_to_one_steps(normalizer: Normalizer, text: str,
                                                         folded: str) -> None:
    """For text that is read, not matched: separators and bopomofo are left alone."""
    assert normalizer.fold(text) == folded

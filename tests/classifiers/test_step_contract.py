"""One contract for every registered normalisation step (like sklearn's parametrize_with_checks)."""

from __future__ import annotations

import pytest

from classifiers.normalize.base import NormalizedText
from classifiers.registry import DEFAULT_STEPS, NORMALIZE_STEPS

INPUTS = ["", "亲，您好！", "😊👍", "ｓ*Ｂ 傻\u200b逼 發貨 abc_1 138-1234", "a" * 10_000,
          "混合 mixed ＴＥＸＴ １２３ ①②", "\u3000\t\n"]


@pytest.fixture(scope="module", params=sorted(NORMALIZE_STEPS))
def step(request: pytest.FixtureRequest) -> object:
    return NORMALIZE_STEPS[request.param]()


@pytest.mark.parametrize("text", INPUTS)
def test_step_contract_type_offsets_and_idempotence(step: object, text: str) -> None:
    once = step(NormalizedText.of(text))  # type: ignore[operator]
    assert isinstance(once, NormalizedText)
    assert once.original == text
    starts, ends = once.original_starts(), once.original_ends()
    assert len(starts) == len(ends) == len(once.text)
    assert list(starts) == sorted(starts)
    assert all(0 <= s < e <= len(text) for s, e in zip(starts, ends))
    twice = step(NormalizedText.of(once.text))  # type: ignore[operator]
    assert twice.text == once.text


def test_registry_names_match_the_steps_and_the_default_chain() -> None:
    assert {name: cls().name for name, cls in NORMALIZE_STEPS.items()} == {
        name: name for name in NORMALIZE_STEPS}
    assert set(DEFAULT_STEPS) <= set(NORMALIZE_STEPS)

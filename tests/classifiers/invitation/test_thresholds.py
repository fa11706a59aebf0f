"""The invitation model's thresholds: a block budget of a few rows must hold with confidence,
not by the count alone (a retrain that drops two rows must not move `block` a step)."""

from __future__ import annotations

import numpy as np

from classifiers.invitation.training import BLOCK_FALSE_ALARM, choose_threshold, upper_bound


def look_alikes(above_085: int, above_09: int, total: int = 2_000) -> np.ndarray:
    scores = np.full(total, 0.1)
    scores[:40] = 0.82  # 2% reach 0.8: over the block budget
    scores[:above_085] = 0.87
    scores[:above_09] = 0.92
    return scores


def test_the_count_alone_moves_with_two_rows_the_bound_does_not() -> None:
    fewer, more = look_alikes(9, 2), look_alikes(11, 2)  # 0.45% and 0.55% reach 0.85
    assert choose_threshold(fewer, BLOCK_FALSE_ALARM) == 0.85
    assert choose_threshold(more, BLOCK_FALSE_ALARM) == 0.9
    assert choose_threshold(fewer, BLOCK_FALSE_ALARM, confident=True) == 0.9
    assert choose_threshold(more, BLOCK_FALSE_ALARM, confident=True) == 0.9


def test_the_upper_bound_lies_above_the_share_and_narrows_with_more_rows() -> None:
    assert upper_bound(7, 2_000) > 7 / 2_000
    assert upper_bound(70, 20_000) < upper_bound(7, 2_000)
    assert upper_bound(0, 0) == 1.0
    assert 0.0 < upper_bound(0, 2_000) < 0.002

"""The training files taken in for issue 16 (independent writers' `tone_train_T*.csv` and the
session's own rows) are clean: known labels, no repeated text, and no row that nearly equals a
row of any evaluation file in bench/data, so evaluation rounds stay unseen."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.datasets import evaluation_texts
from classifiers.tone.training import FILE_LABELS, LabelledText, drop_leaks, fold, read_labelled

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "classifiers" / "tone" / "data"
TAKEN_IN = sorted([*DATA.glob("tone_train_T*.csv"), DATA / "tone_train_e16_own.csv"])


def evaluation_rows() -> list[LabelledText]:
    return [LabelledText(text, "polite") for text in evaluation_texts()]


def test_issue16_training_files_exist() -> None:
    assert len(TAKEN_IN) >= 2 and all(path.exists() for path in TAKEN_IN)


@pytest.mark.parametrize("path", TAKEN_IN, ids=lambda p: p.name)
def test_taken_in_file_is_clean(path: Path) -> None:
    rows = read_labelled(path)  # raises on an unknown label or an empty text
    assert {r.label for r in rows} <= set(FILE_LABELS)
    folded = [fold(r.text) for r in rows]
    assert len(set(folded)) == len(folded), "a text repeats"
    kept, near = drop_leaks(rows, evaluation_rows())
    assert near == 0, [r.text for r in rows if r not in kept]

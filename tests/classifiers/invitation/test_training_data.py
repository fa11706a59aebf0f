"""The independent writers' invitation files (`invitation_writer_*.csv`, taken in by
`bench/tone_intake.py --kind invitation`) are clean: known labels and classes, no repeated
text, and no row that nearly equals a row of any evaluation file in bench/data, so evaluation
rounds stay unseen."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.datasets import evaluation_texts
from classifiers.invitation.training import read_rows
from classifiers.tone.training import LabelledText, drop_leaks, fold

DATA = Path(__file__).resolve().parents[3] / "classifiers" / "invitation" / "data"
WRITERS = sorted(DATA.glob("invitation_writer_*.csv"))


def test_every_independent_writer_is_there() -> None:
    assert [p.stem.removeprefix("invitation_writer_") for p in WRITERS] == [
        "D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8"]


@pytest.mark.parametrize("path", WRITERS, ids=lambda p: p.name)
def test_writer_file_is_clean(path: Path) -> None:
    rows = read_rows([path], 1.0)  # raises on an empty text, an unknown label or class
    folded = [fold(r.text) for r in rows]
    assert len(set(folded)) == len(folded), "a text repeats"
    evaluation = [LabelledText(text, "polite") for text in evaluation_texts()]
    kept, near = drop_leaks(rows, evaluation)
    assert near == 0, [r.text for r in rows if r not in kept]

"""Training of the sarcasm second stage (classifiers/tone/sarcasm.py), with scikit-learn.

The stage reads the tone model's probabilities, so it must learn from probabilities like the
ones it will see on a writer the tone model never read: every independent writer's rows
(`tone_train_T*.csv`, which carry the buyer's message in `context`) are scored by a tone model
trained without that writer (leave one writer out). Those first-stage models are trained on the
hand-written files only, without COLD: COLD's 32,000 social-media comments teach the abusive
and neutral labels, not sarcasm, and leaving them out makes sixteen fits affordable inside
`replyguard train` (about a minute each instead of four). A retrained tone model therefore does
not break the stage: it was never trained on the shipped model's own outputs.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifiers.tone.training import LabelledText, fit, read_labelled
from classifiers.tone.training_settings import TrainingSettings


@dataclass(frozen=True)
class WriterRow:
    """One independent writer's reply, with the buyer's message it answers and the
    probabilities of a tone model that never saw this writer."""

    context: str | None
    text: str
    label: str
    writer: str
    probabilities: dict[str, float]


def writer_files(paths: Sequence[Path]) -> list[Path]:
    """The independent writers' files among the training files."""
    return sorted(p for p in paths if p.name.startswith("tone_train_T"))


def read_contexts(path: Path) -> dict[int, str]:
    """Line number → the buyer's message (`context` column), for rows that have one."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {number: (row.get("context") or "").strip()
                for number, row in enumerate(csv.DictReader(handle), start=2)
                if (row.get("context") or "").strip()}


def first_stage_lowo(files: Sequence[Path], normalize: Callable[[str], str],
                     segment: Callable[[str], list[str]], settings: TrainingSettings,
                     progress: Callable[[str], None] = lambda _: None,
                     extra_writers: Sequence[Path] = ()) -> list[WriterRow]:
    """Every writer file's rows scored by a tone model trained on every other hand-written
    file (`files`, no COLD). `extra_writers`: files of writers outside the training data,
    scored by the model trained on all of `files` (they are left out of it already)."""
    writers = writer_files(files)
    rows: list[LabelledText] = [r for path in files
                                for r in read_labelled(path, settings.neutral_weight)]
    out: list[WriterRow] = []
    # (the files a model trained without them scores, its training rows)
    jobs: list[tuple[list[Path], list[LabelledText]]] = [
        ([path], [r for r in rows if not r.source.startswith(path.name + ":")])
        for path in writers]
    if extra_writers:
        jobs.append((list(extra_writers), rows))
    for targets, train in jobs:
        progress(f"sarcasm stage: a tone model without {', '.join(p.name for p in targets)}")
        pipeline = fit(train, normalize, segment, settings)
        for target in targets:
            out.extend(_scored(pipeline, target, normalize, settings))
    return out


def _scored(pipeline, path: Path, normalize: Callable[[str], str],  # type: ignore[no-untyped-def]
            settings: TrainingSettings) -> list[WriterRow]:
    own = read_labelled(path, settings.neutral_weight)
    contexts = read_contexts(path)
    proba = pipeline.predict_proba([normalize(r.text) for r in own])
    labels = [str(c) for c in pipeline.classes_]
    writer = path.stem.removeprefix("tone_train_").removeprefix("tone_")
    return [WriterRow(contexts.get(int(r.source.rpartition(":")[2])), r.text, r.label, writer,
                      {label: float(p) for label, p in zip(labels, row, strict=True)})
            for r, row in zip(own, np.asarray(proba), strict=True)]

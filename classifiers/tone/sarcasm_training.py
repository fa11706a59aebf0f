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
import datetime as dt
import json
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression

from classifiers.errors import ConfigError
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


def writer_name(path: Path) -> str:
    """The writer a file names (`tone_train_T3.csv`, `tone_T17.csv` → T3, T17)."""
    return path.stem.removeprefix("tone_train_").removeprefix("tone_")


def read_contexts(path: Path) -> dict[int, str]:
    """Line number → the buyer's message (`context` column), for rows that have one."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {number: (row.get("context") or "").strip()
                for number, row in enumerate(csv.DictReader(handle), start=2)
                if (row.get("context") or "").strip()}


def first_stage_lowo(files: Sequence[Path], normalize: Callable[[str], str],
                     segment: Callable[[str], list[str]], settings: TrainingSettings,
                     progress: Callable[[str], None] = lambda _: None,
                     extra_writers: Sequence[Path] = (),
                     scored_already: Collection[str] = ()) -> list[WriterRow]:
    """Every writer file's rows scored by a tone model trained on every other hand-written
    file (`files`, no COLD). `extra_writers`: files of writers outside the training data,
    scored by the model trained on all of `files` (they are left out of it already).
    `scored_already`: writers whose rows the caller has (a cache): no fit is made for them."""
    writers = [p for p in writer_files(files) if writer_name(p) not in scored_already]
    extra_writers = [p for p in extra_writers if writer_name(p) not in scored_already]
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
            out.extend(scored(pipeline, target, normalize, settings))
    return out


def scored(pipeline, path: Path, normalize: Callable[[str], str],  # type: ignore[no-untyped-def]
            settings: TrainingSettings) -> list[WriterRow]:
    own = read_labelled(path, settings.neutral_weight)
    contexts = read_contexts(path)
    proba = pipeline.predict_proba([normalize(r.text) for r in own])
    labels = [str(c) for c in pipeline.classes_]
    writer = writer_name(path)
    return [WriterRow(contexts.get(int(r.source.rpartition(":")[2])), r.text, r.label, writer,
                      {label: float(p) for label, p in zip(labels, row, strict=True)})
            for r, row in zip(own, np.asarray(proba), strict=True)]


# The tone policy's sarcastic notice threshold (tone-sarcastic-likely): at or above it the first
# stage already flags, so the stage's gate ends there.
GATE_HIGH = 0.9
# The gate starts where fewer than this share of the writers' sarcastic rows fall below it
# (docs/tone.md, "round 5", rule step 4), rounded down to GATE_STEP.
GATE_MISS = 0.05
GATE_STEP = 0.05
# Inverse regularisation strength of the stage's logistic regression.
C = 1.0


@dataclass(frozen=True)
class StageRow:
    features: dict[str, float]
    sarcastic: int
    writer: str
    label: str
    p_sarcastic: float


def stage_rows(rows: Sequence[WriterRow], normalize: Callable[[str], str],
               fold: Callable[[str], str]) -> list[StageRow]:
    """The stage's features of every writer row (reply as the tone model reads it, the buyer's
    message folded and its dialogue act as the scorer reads them)."""
    from classifiers.context import DialogueActs
    from classifiers.tone.sarcasm import features

    out = []
    for row in rows:
        context = fold(row.context) if row.context else None
        act = DialogueActs.act(context) if context else None
        out.append(StageRow(features(normalize(row.text), context, act, row.probabilities),
                            int(row.label == "sarcastic"), row.writer, row.label,
                            row.probabilities.get("sarcastic", 0.0)))
    return out


def gate(rows: Sequence[StageRow]) -> tuple[float, float]:
    """[low, GATE_HIGH): low is the largest step under which fewer than GATE_MISS of the
    sarcastic rows' first-stage probabilities fall."""
    sarcastic = np.array([r.p_sarcastic for r in rows if r.sarcastic])
    low = float(np.quantile(sarcastic, GATE_MISS)) if len(sarcastic) else 0.0
    return math.floor(low / GATE_STEP + 1e-9) * GATE_STEP, GATE_HIGH


def fit_stage_model(rows: Sequence[StageRow], c: float = C
                    ) -> tuple[DictVectorizer, LogisticRegression]:
    """The scikit-learn fit on `rows` (the gated ones)."""
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform([r.features for r in rows])
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit(x, [r.sarcastic for r in rows])
    return vectorizer, model


def fit_stage(rows: Sequence[StageRow], c: float = C) -> tuple[dict[str, float], float]:
    """Weights by feature name and intercept, fitted on `rows` (the gated ones)."""
    vectorizer, model = fit_stage_model(rows, c)
    weights = {str(name): float(w) for name, w in
               zip(vectorizer.get_feature_names_out(), model.coef_[0], strict=True) if w}
    return weights, float(model.intercept_[0])


def score_stage(weights: dict[str, float], intercept: float, features: dict[str, float]) -> float:
    """The stage's probability from fitted weights (SarcasmStage.probability's sum)."""
    z = intercept + sum(weights.get(name, 0.0) * value for name, value in features.items())
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def leave_one_writer_out(rows: Sequence[StageRow], low: float, high: float, c: float = C
                         ) -> dict[str, np.ndarray]:
    """Each writer's gated rows scored by the stage trained on the other writers' gated rows
    (NaN outside the gate: the stage does not run there), by writer."""
    out: dict[str, np.ndarray] = {}
    inside = [low <= r.p_sarcastic < high for r in rows]
    for writer in sorted({r.writer for r in rows}):
        train = [r for r, g in zip(rows, inside, strict=True) if g and r.writer != writer]
        if len({r.sarcastic for r in train}) < 2:  # nothing to learn from: not measured
            out[writer] = np.full(sum(r.writer == writer for r in rows), np.nan)
            continue
        weights, intercept = fit_stage(train, c)
        out[writer] = np.array([score_stage(weights, intercept, r.features) if g else np.nan
                                for r, g in zip(rows, inside, strict=True)
                                if r.writer == writer])
    return out


def export_stage(path: Path, weights: dict[str, float], intercept: float,
                 gate_range: tuple[float, float], meta: dict[str, Any]) -> None:
    from classifiers.tone.sarcasm import FORMAT, FORMAT_VERSION

    data = {"format": FORMAT, "format_version": FORMAT_VERSION,
            "gate": [round(gate_range[0], 4), gate_range[1]], "intercept": intercept,
            "weights": dict(sorted(weights.items())),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **meta}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def cached_first_stage(files: Sequence[Path], normalize: Callable[[str], str],
                       segment: Callable[[str], list[str]], settings: TrainingSettings,
                       cache: Path | None, progress: Callable[[str], None] = lambda _: None,
                       extra_writers: Sequence[Path] = ()) -> list[WriterRow]:
    """`first_stage_lowo`, keeping its rows in `cache` (JSON): the writers found there are not
    fitted again, the others are fitted and added. A cached writer keeps the probabilities of
    the fit that scored it then: delete the cache when the training files change."""
    rows = ([WriterRow(**r) for r in json.loads(cache.read_text(encoding="utf-8"))]
            if cache is not None and cache.exists() else [])
    rows += first_stage_lowo(files, normalize, segment, settings, progress, extra_writers,
                             scored_already={r.writer for r in rows})
    if cache is not None:
        cache.write_text(json.dumps([asdict(r) for r in rows], ensure_ascii=False),
                         encoding="utf-8")
    return rows


def train_sarcasm(files: Sequence[Path], out: Path, normalize: Callable[[str], str],
                  segment: Callable[[str], list[str]], fold: Callable[[str], str],
                  settings: TrainingSettings,
                  progress: Callable[[str], None] = lambda _: None,
                  cache: Path | None = None) -> dict[str, Any] | None:
    """Train the stage on the writer files among `files` and write `out`/sarcasm.json; None
    (and no file) when fewer than two writers with sarcastic rows are among them. `cache`:
    the first-stage rows (`cached_first_stage`), so the stage can be retrained alone."""
    writers = writer_files(files)
    if len(writers) < 2:
        return None
    names = {writer_name(p) for p in writers}
    rows = stage_rows([r for r in cached_first_stage(files, normalize, segment, settings, cache,
                                                     progress) if r.writer in names],
                      normalize, fold)
    progress("sarcasm stage: leaving one writer out")
    return write_stage(rows, out, [f"{p.parent.name}/{p.name}" for p in writers])


def write_stage(rows: Sequence[StageRow], out: Path, sources: list[str]
                ) -> dict[str, Any] | None:
    """Fit the stage on the gated `rows` and write `out`/sarcasm.json with its gate and its
    leave-one-writer-out figures; None (and no file) with fewer than two sarcasm writers."""
    from classifiers.tone.sarcasm import FILE_NAME

    if len({r.writer for r in rows if r.sarcastic}) < 2:
        return None
    low, high = gate(rows)
    gated = [r for r in rows if low <= r.p_sarcastic < high]
    if len({r.sarcastic for r in gated}) < 2:
        raise ConfigError(f"the sarcasm stage's gate [{low:.2f}, {high:.2f}) holds replies of "
                          "one kind only: it needs sarcastic and other replies to learn from")
    lowo = leave_one_writer_out(rows, low, high)
    weights, intercept = fit_stage(gated)
    truth = np.concatenate([[r.sarcastic for r in rows if r.writer == w] for w in lowo])
    p = np.concatenate(list(lowo.values()))
    read = ~np.isnan(p)
    table = {}
    for threshold in (0.5, 0.6, 0.7, 0.8, 0.9):
        hit = np.nan_to_num(p, nan=0.0) >= threshold
        table[f"{threshold:.2f}"] = {
            "sarcastic_caught_in_gate": float(hit[truth == 1].sum()
                                              / max(1, np.sum(read & (truth == 1)))),
            "other_flagged_in_gate": float(hit[truth == 0].sum()
                                           / max(1, np.sum(read & (truth == 0))))}
    meta = {"training": {
        "files": sources, "rows": len(gated), "sarcastic": sum(r.sarcastic for r in gated),
        "first_stage": "leave one writer out, hand-written files without COLD",
        "C": C, "leave_one_writer_out": table}}
    export_stage(out / FILE_NAME, weights, intercept, (low, high), meta)
    return meta["training"]

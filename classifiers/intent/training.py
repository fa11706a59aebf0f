"""Training data, fitting, export and evaluation of the buyer intent model.

The data are hand-written buyer messages (`classifiers/intent/data/intent_*.csv`, columns
`context,text,intent,situation`; QA additions may be `text,label`), one file per writer: the
file name says who wrote it (`intent_I3.csv` → writer I3), and settings are chosen by leaving one
writer out at a time, so that a setting is judged on wording its model never saw. Fitting and
export are the tone model's (classifiers/tone/training.py) with the intent labels and format.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sklearn.pipeline import Pipeline

from classifiers.intent.classifier import FORMAT
from classifiers.intent.reading import PinyinReading
from classifiers.intent.training_settings import ROUTE_LABELS, ROUTE_THRESHOLD
from classifiers.lexicon import Lexicon
from classifiers.tone.features import segment_vocabulary
from classifiers.tone.training import (
    LabelledText,
    TrainingDataError,
    evaluate,
    export,
    fit,
    fold,
)
from classifiers.tone.training_settings import TrainingSettings

LABELS: tuple[str, ...] = ("wants_human", "complaint", "anger", "ordinary")
ORDINARY = "ordinary"


def writer_of(path: Path) -> str:
    """`intent_train_I3.csv` → `I3`: one file per writer."""
    stem = path.stem
    for prefix in ("intent_train_", "intent_heldout_", "intent_"):
        if stem.startswith(prefix):
            return stem.removeprefix(prefix)
    return stem


def read_intent(path: Path) -> list[LabelledText]:
    """Rows of a CSV with a header naming `text` and `intent` (or `label`); `source` is
    `writer:line`. A bad label or an empty text is an error naming file:line."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise TrainingDataError(f"cannot read: {exc.strerror}", path=path) from None
    writer = writer_of(path)
    rows = []
    with handle:
        reader = csv.DictReader(handle)
        fields = set(reader.fieldnames or ())
        column = "intent" if "intent" in fields else "label"
        if "text" not in fields or column not in fields:
            raise TrainingDataError("needs a header with 'text' and 'intent' (or 'label') "
                                    "columns", path=path, line=1)
        for number, data in enumerate(reader, start=2):
            text, label = (data.get("text") or "").strip(), (data.get(column) or "").strip()
            if not text:
                raise TrainingDataError("empty or missing text", path=path, line=number)
            if label not in LABELS:
                raise TrainingDataError(f"unknown intent {label!r}; intents: "
                                        f"{', '.join(LABELS)}", path=path, line=number)
            rows.append(LabelledText(text, label, 1.0, f"{writer}:{number}"))
    return rows


def row_writer(row: LabelledText) -> str:
    return row.source.rsplit(":", 1)[0]


def drop_duplicates(rows: Iterable[LabelledText]) -> tuple[list[LabelledText], int]:
    """Keep the first of rows whose text is the same ignoring punctuation and spaces (writers
    converge on 转人工; a repeated row would only weigh more)."""
    seen: set[str] = set()
    kept = []
    total = 0
    for row in rows:
        total += 1
        key = fold(row.text)
        if key in seen:
            continue
        seen.add(key)
        kept.append(row)
    return kept, total - len(kept)


@dataclass(frozen=True)
class IntentFit:
    """A fitted intent model: the pipeline, and the pinyin reading its texts go through
    (`pipeline.predict_proba([reading.read(text)])` is the model's answer)."""

    pipeline: Pipeline
    reading: PinyinReading


def reading_terms(lexicon: Lexicon) -> list[str]:
    """The escalation terms a buyer types by sound (the escalation lexicon's `variants=pinyin`
    terms: 转人工, 人工, 投诉, 差评 …): the pinyin reading knows their initials (zrg, rg, ts)."""
    return [t.text for t in lexicon.terms if t.category == "escalation"
            and t.variants == "pinyin" and not t.parts]


def fit_intent(rows: Sequence[LabelledText], normalize: Callable[[str], str],
               segment: Callable[[str], list[str]], settings: TrainingSettings,
               terms: Iterable[str] = (), progress: Callable[[str], None] = lambda _: None
               ) -> IntentFit:
    """The pinyin reading is built from these rows (their words and characters, and `terms`'
    initials: `reading_terms`), then the model is fitted on the rows read through it."""
    texts = [normalize(r.text) for r in rows]
    words = segment_vocabulary(texts, segment, min_count=settings.min_df,
                               max_words=settings.max_words)
    reading = PinyinReading.from_corpus(texts, words, terms)
    pipeline = fit(rows, lambda text: reading.read(normalize(text)), segment, settings,
                   progress, labels=LABELS, kind="intent")
    return IntentFit(pipeline, reading)


def export_intent(fitted: IntentFit, directory: Path, meta: dict[str, Any]) -> None:
    export(fitted.pipeline, directory, meta, format_name=FORMAT)
    fitted.reading.write(directory)


def routing(labels_true: Sequence[str], probabilities: Sequence[dict[str, float]],
            threshold: float = ROUTE_THRESHOLD) -> dict[str, Any]:
    """What the default policy's intent rule does with these messages: a message is routed when
    ROUTE_LABELS together reach `threshold` (ordinary < 1 - threshold). Escalations (every label
    but ordinary) should be routed, ordinary messages should not."""
    routed = [sum(p.get(label, 0.0) for label in ROUTE_LABELS) >= threshold
              for p in probabilities]
    per_label = {}
    for label in LABELS:
        flags = [r for r, t in zip(routed, labels_true) if t == label]
        per_label[label] = {"rows": len(flags), "routed": sum(flags) / len(flags) if flags
                            else 0.0}
    escalations = [r for r, t in zip(routed, labels_true) if t != ORDINARY]
    ordinary = [r for r, t in zip(routed, labels_true) if t == ORDINARY]
    return {"threshold": threshold,
            "escalations_routed": sum(escalations) / len(escalations) if escalations else 0.0,
            "ordinary_routed": sum(ordinary) / len(ordinary) if ordinary else 0.0,
            "per_label": per_label}


def evaluate_intent(labels_true: Sequence[str], probabilities: Sequence[dict[str, float]],
                    threshold: float = ROUTE_THRESHOLD) -> dict[str, Any]:
    """`evaluate` of the tone model (per class, confusion, thresholds) plus `routing`."""
    return {**evaluate(labels_true, probabilities, LABELS),
            "routing": routing(labels_true, probabilities, threshold)}


def leave_one_writer_out(rows: Sequence[LabelledText], normalize: Callable[[str], str],
                         segment: Callable[[str], list[str]], settings: TrainingSettings,
                         predict: Callable[[Pipeline, list[str]], list[dict[str, float]]],
                         terms: Iterable[str] = ()
                         ) -> tuple[list[str], list[dict[str, float]], list[str]]:
    """Each writer's rows scored by a model fitted on every other writer's: (true labels,
    probabilities, writers), in row order per writer. Writers with fewer than 20 rows are only
    ever trained on."""
    writers = sorted({row_writer(r) for r in rows})
    if len(writers) < 2:
        raise TrainingDataError("leave-one-writer-out needs rows of at least two writers "
                                f"(got {', '.join(writers) or 'none'})")
    truth: list[str] = []
    scores: list[dict[str, float]] = []
    who: list[str] = []
    for writer in writers:
        test = [r for r in rows if row_writer(r) == writer]
        if len(test) < 20:
            continue
        train = [r for r in rows if row_writer(r) != writer]
        fitted = fit_intent(train, normalize, segment, settings, terms)
        truth.extend(r.label for r in test)
        scores.extend(predict(fitted.pipeline,
                              [fitted.reading.read(normalize(r.text)) for r in test]))
        who.extend([writer] * len(test))
    return truth, scores, who


def sklearn_probabilities(pipeline: Pipeline, texts: list[str]) -> list[dict[str, float]]:
    classes = [str(c) for c in pipeline.classes_]
    return [dict(zip(classes, map(float, row))) for row in pipeline.predict_proba(texts)]

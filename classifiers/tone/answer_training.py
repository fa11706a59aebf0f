"""Training of the answer model (classifiers/tone/answer.py), with scikit-learn.

Rows are (buyer message, reply) pairs from every hand-written file that gives the buyer's message
(`context`): the independent writers' tone files (`tone_train_T*.csv`, whose `perfunctory`
replies fail their buyer's message and whose `polite` ones answer it or acknowledge a message that
needs no answer) and the pair files (`answer_train_*.csv`, written for this model: each buyer
message answered once perfunctorily and once really, or, when it needs no answer, twice with a
right acknowledgement). `perfunctory` → unanswered (1), `polite` → answered (0); cold, sarcastic
and abusive replies are the tone model's business and are left out. Each file's name names its
writer, for leave-one-writer-out.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression

from classifiers.context import Act
from classifiers.tone.answer import FILE_NAME, FORMAT, FORMAT_VERSION, pair_features
from classifiers.tone.training import TrainingDataError

LABELS = {"perfunctory": 1, "polite": 0}
# Inverse regularisation strength and the least number of rows a feature must occur in: chosen
# leaving one writer out (docs/tone.md, "The answer model").
C = 1.0
MIN_DF = 2


@dataclass(frozen=True)
class Pair:
    context: str
    reply: str
    unanswered: int
    writer: str


def pair_files(data: Path) -> list[Path]:
    return sorted([*data.glob("tone_train_T*.csv"), *data.glob("answer_train_*.csv")])


def writer_of(path: Path) -> str:
    return path.stem.removeprefix("tone_train_").removeprefix("answer_train_")


def read_pairs(paths: Sequence[Path]) -> list[Pair]:
    pairs = []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"context", "text", "label"} <= set(
                    reader.fieldnames):
                raise TrainingDataError(f"{path.name}: needs columns context,text,label")
            for row in reader:
                context, reply = (row["context"] or "").strip(), (row["text"] or "").strip()
                label = (row["label"] or "").strip()
                if context and reply and label in LABELS:
                    pairs.append(Pair(context, reply, LABELS[label], writer_of(path)))
    return pairs


Featurise = Callable[[Pair], dict[str, float]]


def featuriser(fold: Callable[[str], str], normalize: Callable[[str], str],
               act: Callable[[str], Act]) -> Featurise:
    """Features of a pair as the scorer computes them: the context folded, its act read from
    the folded text, the reply's normalised base view."""
    def features(pair: Pair) -> dict[str, float]:
        folded = fold(pair.context)
        return pair_features(folded, act(folded), normalize(pair.reply))
    return features


def fit(features: Sequence[dict[str, float]], targets: Sequence[int], c: float = C,
        min_df: int = MIN_DF) -> tuple[DictVectorizer, LogisticRegression]:
    counts: dict[str, int] = {}
    for row in features:
        for name in row:
            counts[name] = counts.get(name, 0) + 1
    kept = [{k: v for k, v in row.items() if counts[k] >= min_df} for row in features]
    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform(kept)
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit(matrix, np.asarray(targets))
    return vectorizer, model


def predict(vectorizer: DictVectorizer, model: LogisticRegression,
            features: Sequence[dict[str, float]]) -> np.ndarray:
    return np.asarray(model.predict_proba(vectorizer.transform(features))[:, 1])


def lowo(pairs: Sequence[Pair], features: Sequence[dict[str, float]], c: float = C,
         min_df: int = MIN_DF) -> np.ndarray:
    """P(unanswered) of every pair from a model trained without its writer."""
    out = np.zeros(len(pairs))
    writers = sorted({p.writer for p in pairs})
    for writer in writers:
        inside = [i for i, p in enumerate(pairs) if p.writer != writer]
        outside = [i for i, p in enumerate(pairs) if p.writer == writer]
        vectorizer, model = fit([features[i] for i in inside],
                                [pairs[i].unanswered for i in inside], c, min_df)
        out[outside] = predict(vectorizer, model, [features[i] for i in outside])
    return out


def export(vectorizer: DictVectorizer, model: LogisticRegression, directory: Path,
           meta: dict[str, Any]) -> Path:
    """Write `answer.json` into the tone model's directory: feature → weight (non-zero only)."""
    names = vectorizer.get_feature_names_out()
    weights = {str(name): float(w) for name, w in zip(names, model.coef_[0]) if w != 0.0}
    path = directory / FILE_NAME
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "classifier": {"type": "LogisticRegression", "C": model.C, "min_df": MIN_DF},
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **meta,
        "intercept": float(model.intercept_[0]),
        "weights": weights,
    }, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return path


def train_answer(files: Sequence[Path], out: Path, fold: Callable[[str], str],
                 normalize: Callable[[str], str]) -> dict[str, Any] | None:
    """Fit the answer model on the pair files among the tone model's training `files` (the
    writers' `tone_train_T*.csv`, and `answer_train_*.csv` beside them) and write it into
    `out` beside the tone model; record leave-one-writer-out figures. None when no file has
    pairs (a tone model trained on other data ships without an answer model)."""
    from classifiers.context import DialogueActs

    writers = [p for p in files if p.name.startswith("tone_train_T")]
    paths = sorted({*writers, *(q for d in {p.parent for p in writers}
                                for q in d.glob("answer_train_*.csv"))})
    pairs = read_pairs(paths)
    if not pairs or len({p.unanswered for p in pairs}) < 2:
        return None
    featurise = featuriser(fold, normalize, DialogueActs.act)
    features = [featurise(p) for p in pairs]
    targets = np.array([p.unanswered for p in pairs])
    held = lowo(pairs, features)
    summary = {"pairs": len(pairs), "unanswered": int(targets.sum()),
               "files": [f"{p.parent.name}/{p.name}" for p in paths],
               "leave_one_writer_out": {
                   f"{t:.2f}": {"unanswered_caught": float((held[targets == 1] >= t).mean()),
                                "answered_flagged": float((held[targets == 0] >= t).mean())}
                   for t in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)}}
    vectorizer, model = fit(features, [p.unanswered for p in pairs])
    export(vectorizer, model, out, {"training": summary})
    return summary

"""Training of the off-platform invitation model (inference: classifiers/invitation/model.py).

    python -m classifiers.invitation.training [--out classifiers/invitation/model]

Data, all hand-written for training (never bench/data, never real service replies):
- `classifiers/invitation/data/invitation_*.csv` (`text,label,class`, label violation or
  benign, the classes of bench/data/README.md): rows of the classes `off_platform_channel` and
  `contact_token` are invitations, every benign row is `other`; `normaliser_evasion` rows are
  left out (they mix disguised channels with disguised insults, which are not invitations);
- the tone model's hand-written service replies (`classifiers/tone/data/tone_train*.csv`, every
  label) as `other`: ordinary service talk, so the model learns what a reply that moves
  nobody anywhere looks like.
Any row whose text is the same as, or nearly (character-bigram Jaccard ≥ 0.5), a row of
bench/data is dropped first, so the evaluation rounds stay unseen; `model.json` records how many.

The pipeline is the tone model's (`classifiers.tone.training.build_pipeline`: TF-IDF of
character 1-3-grams and jieba words into a logistic regression), binary, pruned to the strongest
features, exported in the tone model's plain-data format with the thresholds the scorer uses.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from classifiers.invitation.model import NEGATIVE, POSITIVE
from classifiers.normalize import Normalizer
from classifiers.registry import DEFAULT_STEPS, NORMALIZE_STEPS
from classifiers.segmentation import WordSegmenter
from classifiers.tone.features import segment_vocabulary
from classifiers.tone.training import (
    LabelledText,
    TrainingDataError,
    build_pipeline,
    drop_leaks,
    export,
    files_sha256,
    read_labelled,
    strongest_features,
)
from classifiers.tone.training_settings import TrainingSettings

_PACKAGE = Path(__file__).resolve().parent
INVITATION_CLASSES = frozenset({"off_platform_channel", "contact_token"})
LEFT_OUT_CLASSES = frozenset({"normaliser_evasion"})
# Evaluation rows are never trained on, nor anything close to them.
BENCH_SIMILARITY = 0.5


@dataclass(frozen=True)
class InvitationSettings:
    # Small on purpose: every message of the full scorer pays for the features it contains.
    features: TrainingSettings = TrainingSettings(
        C=4.0, min_df=2, keep_char_features=6_000, keep_words=1_500)
    # The tone replies far outnumber the invitation rows; each weighs this much.
    service_weight: float = 0.1
    # Invitations are the rare class (about 1 row in 40): each weighs this much.
    invitation_weight: float = 8.0
    # Probability for a notice (severity 1) and for a block (severity 2); chosen on 5-fold
    # cross-validation of the training rows and the real service replies (docs/performance.md).
    notice: float = 0.8
    block: float = 0.97


def default_data() -> list[Path]:
    return sorted((_PACKAGE / "data").glob("invitation_*.csv"))


def default_service_data() -> list[Path]:
    return sorted((_PACKAGE.parent / "tone" / "data").glob("tone_train*.csv"))


def default_model() -> Path:
    return _PACKAGE / "model"


def read_rows(paths: Sequence[Path], invitation_weight: float) -> list[LabelledText]:
    rows = []
    for path in paths:
        try:
            handle = path.open(encoding="utf-8", newline="")
        except OSError as exc:
            raise TrainingDataError(f"cannot read: {exc.strerror}", path=path) from None
        with handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"text", "label", "class"} <= set(reader.fieldnames):
                raise TrainingDataError("needs a header with text, label and class", path=path,
                                        line=1)
            for number, data in enumerate(reader, start=2):
                text, label, cls = data["text"], data["label"], data["class"]
                if not text or not text.strip() or label not in {"violation", "benign"}:
                    raise TrainingDataError("empty text, or label not violation/benign",
                                            path=path, line=number)
                if cls in LEFT_OUT_CLASSES:
                    continue
                positive = label == "violation" and cls in INVITATION_CLASSES
                if label == "violation" and not positive:
                    raise TrainingDataError(f"unknown violation class {cls!r}", path=path,
                                            line=number)
                rows.append(LabelledText(text, POSITIVE if positive else NEGATIVE,
                                         invitation_weight if positive else 1.0,
                                         f"{path.name}:{number}"))
    return rows


def service_rows(paths: Sequence[Path], weight: float) -> list[LabelledText]:
    return [LabelledText(r.text, NEGATIVE, weight, r.source)
            for path in paths for r in read_labelled(path)]


def bench_rows(bench: Path) -> list[LabelledText]:
    rows: list[LabelledText] = []
    for path in sorted(bench.glob("diversion_r*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows.extend(LabelledText(r["text"], NEGATIVE) for r in csv.DictReader(handle))
    return rows


def fit(rows: Sequence[LabelledText], normalize: Callable[[str], str],
        segment: Callable[[str], list[str]], settings: InvitationSettings) -> Pipeline:
    texts = [normalize(r.text) for r in rows]
    words = segment_vocabulary(texts, segment, min_count=settings.features.min_df,
                               max_words=settings.features.max_words)
    labels = [r.label for r in rows]
    weights = np.array([r.weight for r in rows])
    pipeline = build_pipeline(words, settings.features)
    pipeline.fit(texts, labels, classifier__sample_weight=weights)
    kept = strongest_features(pipeline, settings.features)
    if kept is not None:
        pipeline = build_pipeline(words, settings.features, kept)
        pipeline.fit(texts, labels, classifier__sample_weight=weights)
    return pipeline


def cross_validate(rows: Sequence[LabelledText], normalize: Callable[[str], str],
                   segment: Callable[[str], list[str]], settings: InvitationSettings,
                   folds: int = 5) -> dict[str, float]:
    """Recall and false-alarm rate at both thresholds, over the hand-written invitation rows
    (the tone replies train every fold but are not scored: they are not look-alikes)."""
    own = [r for r in rows if not r.source.startswith("tone_")]
    service = [r for r in rows if r.source.startswith("tone_")]
    labels = [r.label for r in own]
    probabilities = np.zeros(len(own))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=7).split(own, labels):
        pipeline = fit([own[i] for i in train] + service, normalize, segment, settings)
        column = list(pipeline.classes_).index(POSITIVE)
        probabilities[test] = pipeline.predict_proba(
            [normalize(own[i].text) for i in test])[:, column]
    positive = np.array([label == POSITIVE for label in labels])
    out = {}
    for name, threshold in (("notice", settings.notice), ("block", settings.block)):
        flagged = probabilities >= threshold
        out[f"recall_{name}"] = float(flagged[positive].mean())
        out[f"false_alarm_{name}"] = float(flagged[~positive].mean())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=default_model())
    parser.add_argument("--bench", type=Path,
                        default=_PACKAGE.parent.parent / "bench" / "data",
                        help="evaluation rows that training must not come near")
    parser.add_argument("--no-cv", action="store_true", help="skip cross-validation")
    args = parser.parse_args()
    settings = InvitationSettings()
    data, service = default_data(), default_service_data()
    rows = read_rows(data, settings.invitation_weight) + service_rows(
        service, settings.service_weight)
    rows, leaked = drop_leaks(rows, bench_rows(args.bench), BENCH_SIMILARITY)
    normalizer = Normalizer([NORMALIZE_STEPS[name]() for name in DEFAULT_STEPS])
    segmenter = WordSegmenter()

    def normalize(text: str) -> str:
        return normalizer(text).text

    counts = {label: sum(r.label == label for r in rows) for label in (POSITIVE, NEGATIVE)}
    print(f"rows: {counts}, dropped as close to bench/data: {leaked}")
    metrics = {} if args.no_cv else cross_validate(rows, normalize, segmenter.words, settings)
    if metrics:
        print("5-fold cross-validation (hand-written rows):",
              {k: round(v, 3) for k, v in metrics.items()})
    pipeline = fit(rows, normalize, segmenter.words, settings)
    export(pipeline, args.out, {
        "task": "off-platform invitation (issue 15); positive label 'invitation'",
        "thresholds": {"notice": settings.notice, "block": settings.block},
        "training": {"files": [p.name for p in [*data, *service]],
                     "sha256": files_sha256([*data, *service]), "rows": counts,
                     "dropped_close_to_bench": leaked,
                     "service_weight": settings.service_weight,
                     "cross_validation": metrics},
    })
    digest = hashlib.sha256((args.out / "weights.npz").read_bytes()).hexdigest()[:12]
    print(f"wrote {args.out} (weights {digest})")


if __name__ == "__main__":
    main()

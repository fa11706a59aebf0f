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
Every row is read as the scorer shows it to the model (`Scorer.invitation_text`: normalised,
without the clauses the off-platform `@scope` cancels); a row it would not be shown (a scam
warning in it) is left out.

The pipeline is the tone model's (`classifiers.tone.training.build_pipeline`: TF-IDF of
character 1-3-grams and jieba words into a logistic regression), binary, pruned to the strongest
features, exported in the tone model's plain-data format with the thresholds the scorer uses.

Thresholds: leave one writer out. The rule, written before any figure was seen: each writer
(an `invitation_writer_<X>.csv` file; all `invitation_own*.csv` together are one writer, the
engineer) is scored by a model trained on every other writer and the service replies; over
those pooled held-out probabilities, `notice` is the lowest of THRESHOLDS at which at most
NOTICE_FALSE_ALARM of the writers' benign look-alike rows reach it, and `block` the lowest at
which at most BLOCK_FALSE_ALARM do (never below `notice`), and in both cases also at most
NOTICE_SERVICE / BLOCK_SERVICE of the hand-written service replies (each scored by a fold that
did not read it). The benign budget of issue 15 is 3% for all signals together, so the model
gets 2% of look-alikes for a notice; ordinary service talk must stay far under issue 16's 1.5%
of real replies with a notice (0.5%) and a block under the 0.5% held (0.1%). The block budgets
are a handful of rows, so they must hold at the upper end of a one-sided 95% interval of the
share, not by the count alone (added with writer D7: by the count, dropping six training rows
moved `block` 0.9 → 0.85). Neither bench/data
nor real service replies choose them. The settings (GRID) are chosen by the same runs: the one
whose notice catches the most held-out invitations.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from classifiers.invitation.model import NEGATIVE, POSITIVE
from classifiers.resources import (
    default_intent_model,
    default_lexicon_dir,
    default_policy_file,
    default_tone_model,
)
from classifiers.scorer import Scorer
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
# The labels of a writer's file (bench/data/README.md); the class says which violations invite.
LABELS = ("violation", "benign")
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
    # Invitations are the rare class (about 1 row in 15): each weighs this much. C, this and
    # service_weight are what `--select` chose from GRID with writers D1-D4; with D5 and D6 it
    # picks a weight of 8, set aside for blocking held-out look-alikes (docs/tone.md).
    invitation_weight: float = 2.0


# Settings tried leaving one writer out; the rule picks the one whose notice (chosen by the
# threshold rule) catches the most held-out invitations (ties: the most blocked, then the first).
GRID = tuple(InvitationSettings(TrainingSettings(C=c, min_df=2, keep_char_features=6_000,
                                                 keep_words=1_500), service, invitation)
             for c in (1.0, 4.0) for service in (0.1, 0.5) for invitation in (2.0, 8.0))

THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99)
NOTICE_FALSE_ALARM = 0.02
BLOCK_FALSE_ALARM = 0.005
NOTICE_SERVICE = 0.005
BLOCK_SERVICE = 0.001
# The block budgets must hold at the upper end of a one-sided 95% interval (choose_threshold).
CONFIDENCE_Z = 1.645


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
                if not text or not text.strip() or label not in LABELS:
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


def writer(source: str) -> str:
    """The writer of a row from its source (`invitation_writer_D3.csv:12` → D3; the engineer's
    own files are one writer, `own`)."""
    name = source.split(":", 1)[0].removesuffix(".csv")
    return name.removeprefix("invitation_writer_") if name.startswith("invitation_writer_") \
        else "own"


def weighted(rows: Sequence[LabelledText], settings: InvitationSettings) -> list[LabelledText]:
    """`rows` with the sample weights of `settings` (invitations, service replies, the rest 1)."""
    return [dataclasses.replace(r, weight=settings.service_weight if r.source.startswith("tone_")
                                else settings.invitation_weight if r.label == POSITIVE else 1.0)
            for r in rows]


def leave_one_writer_out(rows: Sequence[LabelledText], normalize: Callable[[str], str],
                         segment: Callable[[str], list[str]], settings: InvitationSettings
                         ) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """The thresholds the rule (module docstring) picks, and per writer, for the service
    replies and pooled the recall and false-alarm rate at them. Each fold also holds out
    every k-th service reply (k writers), so that every reply is scored once by a model that
    did not read it."""
    rows = weighted(rows, settings)
    own = [r for r in rows if not r.source.startswith("tone_")]
    service = [r for r in rows if r.source.startswith("tone_")]
    writers = sorted({writer(r.source) for r in own})
    probabilities = np.zeros(len(own))
    service_probabilities = np.zeros(len(service))
    for fold, held in enumerate(writers):
        test = [i for i, r in enumerate(own) if writer(r.source) == held]
        service_test = list(range(fold, len(service), len(writers)))
        pipeline = fit([r for r in own if writer(r.source) != held]
                       + [r for i, r in enumerate(service) if i % len(writers) != fold],
                       normalize, segment, settings)
        column = list(pipeline.classes_).index(POSITIVE)
        probabilities[test] = pipeline.predict_proba(
            [normalize(own[i].text) for i in test])[:, column]
        service_probabilities[service_test] = pipeline.predict_proba(
            [normalize(service[i].text) for i in service_test])[:, column]
    positive = np.array([r.label == POSITIVE for r in own])
    notice = max(choose_threshold(probabilities[~positive], NOTICE_FALSE_ALARM),
                 choose_threshold(service_probabilities, NOTICE_SERVICE))
    block = max(notice,
                choose_threshold(probabilities[~positive], BLOCK_FALSE_ALARM, confident=True),
                choose_threshold(service_probabilities, BLOCK_SERVICE, confident=True))
    names = np.array([writer(r.source) for r in own])
    report: dict[str, dict[str, float]] = {}
    for name in [*writers, "all"]:
        mine = names == name if name != "all" else np.ones(len(own), dtype=bool)
        report[name] = {
            "invitations": int((mine & positive).sum()), "benign": int((mine & ~positive).sum()),
            **{f"{key}_{level}": float((probabilities[mine & mask] >= threshold).mean())
               for level, threshold in (("notice", notice), ("block", block))
               for key, mask in (("recall", positive), ("false_alarm", ~positive))}}
    report["service"] = {"replies": len(service), **{
        f"false_alarm_{level}": float((service_probabilities >= threshold).mean())
        for level, threshold in (("notice", notice), ("block", block))}}
    return {"notice": notice, "block": block}, report


def choose_threshold(benign: np.ndarray, budget: float, *, confident: bool = False) -> float:
    """The lowest of THRESHOLDS at which at most `budget` of the benign probabilities reach
    it (the highest when none does). `confident`: the upper bound of the share (`upper_bound`)
    must be within the budget, not the share itself — for the block budgets, which are a few
    rows (0.5% of ~2,000 look-alikes is ten): by the count alone, two rows more or less moved
    `block` a step of THRESHOLDS and the model's blocks of real JD replies by half."""
    for threshold in THRESHOLDS:
        reached = int((benign >= threshold).sum())
        share = upper_bound(reached, len(benign)) if confident else reached / max(len(benign), 1)
        if share <= budget:
            return threshold
    return THRESHOLDS[-1]


def upper_bound(hits: int, total: int, z: float = CONFIDENCE_Z) -> float:
    """The Wilson score interval's upper end for `hits` of `total` (one-sided, z = 1.645: 95%)."""
    if total == 0:
        return 1.0
    share = hits / total
    centre = share + z * z / (2 * total)
    spread = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total))
    return (centre + spread) / (1 + z * z / total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=default_model())
    parser.add_argument("--select", action="store_true",
                        help="choose the settings from GRID leaving one writer out (slow); "
                             "without it, the shipped InvitationSettings")
    parser.add_argument("--bench", type=Path,
                        default=_PACKAGE.parent.parent / "bench" / "data",
                        help="evaluation rows that training must not come near")
    args = parser.parse_args()
    settings = InvitationSettings()
    data, service = default_data(), default_service_data()
    rows = read_rows(data, settings.invitation_weight) + service_rows(
        service, settings.service_weight)
    rows, leaked = drop_leaks(rows, bench_rows(args.bench), BENCH_SIMILARITY)
    scorer = Scorer.load(default_lexicon_dir(), default_policy_file(),
                         tone_model=default_tone_model(), intent_model=default_intent_model())
    shown = {r.text: scorer.invitation_text(r.text) for r in rows}
    unshown = sum(shown[r.text] is None for r in rows)
    rows = [r for r in rows if shown[r.text] is not None]
    segmenter = WordSegmenter()

    def normalize(text: str) -> str:
        read = shown.get(text)
        return read if read is not None else scorer.invitation_text(text) or ""

    counts = {label: sum(r.label == label for r in rows) for label in (POSITIVE, NEGATIVE)}
    print(f"rows: {counts}, dropped as close to bench/data: {leaked}, not shown to the model "
          f"(a warning in them): {unshown}")
    best: tuple[tuple[float, float], InvitationSettings, dict[str, float],
                dict[str, dict[str, float]]] | None = None
    for candidate in GRID if args.select else (settings,):
        thresholds, report = leave_one_writer_out(rows, normalize, segmenter.words, candidate)
        pooled = report["all"]
        print(f"C {candidate.features.C} service {candidate.service_weight} invitation "
              f"{candidate.invitation_weight}: thresholds {thresholds}, held-out "
              f"{ {k: round(v, 3) for k, v in pooled.items()} }")
        score = (pooled["recall_notice"], pooled["recall_block"])
        print(f"    service replies: {report['service']}")
        if best is None or score > best[0]:
            best = (score, candidate, thresholds, report)
    assert best is not None
    _, settings, thresholds, report = best
    print(f"chosen: C {settings.features.C} service {settings.service_weight} invitation "
          f"{settings.invitation_weight}, thresholds {thresholds}")
    for name, figures in report.items():
        print(f"  {name:5}", {k: round(v, 3) for k, v in figures.items()})
    rows = weighted(rows, settings)
    pipeline = fit(rows, normalize, segmenter.words, settings)
    export(pipeline, args.out, {
        "task": "off-platform invitation (issue 15); positive label 'invitation'",
        "thresholds": thresholds,
        "training": {"files": [p.name for p in [*data, *service]],
                     "sha256": files_sha256([*data, *service]), "rows": counts,
                     "dropped_close_to_bench": leaked, "not_shown_warning": unshown,
                     "C": settings.features.C, "service_weight": settings.service_weight,
                     "invitation_weight": settings.invitation_weight,
                     "threshold_rule": {"notice_false_alarm": NOTICE_FALSE_ALARM,
                                        "block_false_alarm": BLOCK_FALSE_ALARM,
                                        "notice_service": NOTICE_SERVICE,
                                        "block_service": BLOCK_SERVICE,
                                        "block_at_upper_bound_z": CONFIDENCE_Z},
                     "leave_one_writer_out": report},
    })
    digest = hashlib.sha256((args.out / "weights.npz").read_bytes()).hexdigest()[:12]
    print(f"wrote {args.out} (weights {digest})")


if __name__ == "__main__":
    main()

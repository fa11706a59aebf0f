"""Tone model: fast single-message inference side by side with scikit-learn, and the accuracy
figures of the shipped model (held-out split, COLD test, false positives on real replies).

    python bench/bench_tone.py [--messages 20000] [--model DIR] [--select]

Speed: a pipeline is fitted here on the shipped training files (no COLD, to keep the run short),
exported, and the same messages are scored by `pipeline.predict_proba([text])` and by the two
fast paths of `ToneClassifier.predict` (the compiled kernel, and the Python path used when the
kernel is not built), one message at a time on one core; medians of 5 runs.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_scorer import realistic_messages  # noqa: E402
from bench.datasets import EVAL_DATA, SERVICE_REPLIES, service_replies  # noqa: E402
from classifiers.normalize import Normalizer  # noqa: E402
from classifiers.registry import DEFAULT_STEPS, NORMALIZE_STEPS  # noqa: E402
from classifiers.resources import (  # noqa: E402
    default_heldout_data,
    default_intent_model,
    default_lexicon_dir,
    default_policy_file,
    default_tone_model,
    default_training_data,
)
from classifiers.results import Role, Verdict  # noqa: E402
from classifiers.scorer import Scorer  # noqa: E402
from classifiers.segmentation import WordSegmenter  # noqa: E402
from classifiers.tiers import Tier  # noqa: E402
from classifiers.tone.classifier import ToneClassifier  # noqa: E402
from classifiers.tone.training import (  # noqa: E402
    drop_leaks,
    export,
    fit,
    read_labelled,
)
from classifiers.tone.training_settings import TrainingSettings  # noqa: E402
from gateway.cli.tone import evaluate_model  # noqa: E402

OFFENSIVE_CATEGORIES = {"abuse", "discrimination"}
# Chooses tone training settings instead of COLD's dev split, which shares train's labelling
# (docs/tone.md); never trained on.
SELECTION_SET = Path(__file__).resolve().parent / "data" / "cold_style_select.csv"
# Hand-written sincere replies (compliments, thanks, blessings, apologies, questions,
# confirmations, often ending in 呢) beside sarcastic ones that use the same words; never
# trained on.
SINCERE_PROBE = Path(__file__).resolve().parent / "data" / "tone_sincere_probe.csv"
# Hand-written safe anti-bias comments about region, race and gender; never trained on (the
# tone_train* glob does not pick it up).
ANTI_BIAS_PROBE = default_heldout_data().parent / "tone_probe_neutral.csv"


def timed(function, items, repeats: int = 5) -> float:  # type: ignore[no-untyped-def]
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        for item in items:
            function(item)
        runs.append((time.perf_counter() - started) / len(items) * 1e6)
    return statistics.median(runs)


def speed(messages: list[str]) -> None:
    normalizer = Normalizer([NORMALIZE_STEPS[n]() for n in DEFAULT_STEPS])
    held = read_labelled(default_heldout_data())
    rows, _ = drop_leaks([r for p in default_training_data() for r in read_labelled(p)], held)
    pipeline = fit(rows, lambda t: normalizer(t).text, WordSegmenter().words, TrainingSettings())
    with tempfile.TemporaryDirectory() as directory:
        export(pipeline, Path(directory), {})
        model = ToneClassifier.from_directory(directory)
        python_path = ToneClassifier.from_directory(directory, accelerated=False)
    if model.kernel_ is None:
        print("WARNING: the compiled tone kernel is not built; 'fast path' below is the Python "
              "path")
    shipped = ToneClassifier.from_directory(default_tone_model())
    texts = [normalizer(t).text for t in messages]
    ours = timed(model.predict, texts)
    ours_python = timed(python_path.predict, texts)
    ours_shipped = timed(shipped.predict, texts)
    sample = texts[: max(1, len(texts) // 10)]
    theirs = timed(lambda t: pipeline.predict_proba([t]), sample, repeats=3)
    print(f"tone inference, one message at a time, {len(texts):,} messages, same pipeline: "
          f"compiled kernel {ours:.1f} µs/message, Python path {ours_python:.1f} µs/message, "
          f"scikit-learn predict_proba([text]) {theirs:.1f} µs/message ({len(sample):,} "
          f"messages); kernel {theirs / ours:.0f}× and Python path {theirs / ours_python:.0f}× "
          f"faster than scikit-learn; shipped model (kernel) {ours_shipped:.1f} µs/message")


def called(verdict: Verdict, label: str) -> bool:
    return verdict.tone is not None and verdict.tone.label == label


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def offensive_accuracy(scorer: Scorer, path: Path, name: str, note: str = "") -> None:
    """The offensive decision on a COLD-style file (columns text, label 0/1): flagged when the
    verdict has an abuse/discrimination category or the tone label is abusive."""
    if not path.exists():
        print(f"{name}: {path} not found, skipped")
        return
    rows = read_rows(path)
    hits = {"lexicon": 0, "tone": 0, "combined": 0}
    flagged_combined = []
    for row in rows:
        verdict = scorer.score(row["text"], Role.AGENT)
        lexicon = bool(OFFENSIVE_CATEGORIES & set(verdict.categories))
        tone = called(verdict, "abusive")
        truth = row["label"] == "1"
        hits["lexicon"] += lexicon == truth
        hits["tone"] += tone == truth
        hits["combined"] += (lexicon or tone) == truth
        flagged_combined.append((lexicon or tone, truth))
    tp = sum(f and t for f, t in flagged_combined)
    fp = sum(f and not t for f, t in flagged_combined)
    fn = sum(t and not f for f, t in flagged_combined)
    print(f"{name} ({len(rows):,} rows), offensive = abuse/discrimination category or tone "
          f"abusive: accuracy {hits['combined'] / len(rows):.4f} (lexicon alone "
          f"{hits['lexicon'] / len(rows):.4f}, tone alone {hits['tone'] / len(rows):.4f}); "
          f"offensive P {tp / max(1, tp + fp):.3f} R {tp / max(1, tp + fn):.3f}"
          + (f"; {note}" if note else ""))


def sincere_probe(scorer: Scorer) -> None:
    """How often sincere replies are held, and sarcastic ones caught, by the whole scorer."""
    rows = read_rows(SINCERE_PROBE)
    held: dict[str, list[bool]] = {}
    called_sarcastic: dict[str, list[bool]] = {}
    for row in rows:
        verdict = scorer.score(row["text"], Role.AGENT)
        held.setdefault(row["label"], []).append(
            verdict.tier.severity >= Tier.SUGGEST_EDIT.severity)
        called_sarcastic.setdefault(row["label"], []).append(
            called(verdict, "sarcastic"))
    print("sincere probe: " + "; ".join(
        f"{label} {len(flags)}: held {sum(flags)} ({100 * sum(flags) / len(flags):.0f}%), "
        f"tone label sarcastic {sum(called_sarcastic[label])}"
        for label, flags in sorted(held.items())))


def accuracy(scorer: Scorer, cold_test: bool = True) -> None:
    assert scorer.tone is not None
    metrics = evaluate_model(scorer.tone, default_heldout_data(), scorer.normalizer)
    print(f"held-out ({metrics['rows']} rows): macro-F1 {metrics['macro_f1']:.3f}, accuracy "
          f"{metrics['accuracy']:.3f}; per class F1 " + ", ".join(
              f"{k} {v['f1']:.3f}" for k, v in metrics["per_class"].items()))
    sincere_probe(scorer)
    probe = read_rows(ANTI_BIAS_PROBE)
    abusive = sum(called(scorer.score(row["text"], Role.AGENT), "abusive") for row in probe)
    print(f"anti-bias probe: {abusive} of {len(probe)} ({100 * abusive / len(probe):.0f}%) "
          f"called abusive")
    offensive_accuracy(scorer, SELECTION_SET, "selection set (hand-written, COLD-style)")
    if cold_test:
        offensive_accuracy(scorer, EVAL_DATA / "cold" / "test.csv", "COLD test",
                           "published: COLDetector 0.81, roberta-base-cold 0.8275, all-safe 0.604")
    for name in SERVICE_REPLIES:
        texts = list(service_replies(name))
        verdicts = [scorer.score(t, Role.AGENT) for t in texts]
        held_count = sum(v.tier.severity >= Tier.SUGGEST_EDIT.severity for v in verdicts)
        by_tone = sum(v.tier.severity >= Tier.SUGGEST_EDIT.severity and (v.rule or "").startswith(
            "tone-") for v in verdicts)
        print(f"{name}: {held_count} of {len(texts):,} ({100 * held_count / len(texts):.2f}%) "
              f"suggest-edit or stronger with tone ({by_tone} decided by a tone rule)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--model", type=Path, default=default_tone_model(),
                        help="tone model directory [default: the shipped model]")
    parser.add_argument("--select", action="store_true",
                        help="choosing settings: accuracy figures only, without COLD test")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    scorer = Scorer.load(default_lexicon_dir(), default_policy_file(),
                         tone_model=args.model, intent_model=default_intent_model())
    accuracy(scorer, cold_test=not args.select)
    if args.select:
        return
    messages = realistic_messages(args.messages)
    speed(messages)
    full = timed(lambda t: scorer.score(t, Role.AGENT), [m for m in messages if len(m) < 5000])
    print(f"full scorer with tone (normalise + automata + contacts + tone + policy): "
          f"{full:.1f} µs/message = {1e6 / full:,.0f} messages/s")


if __name__ == "__main__":
    main()

"""`replyguard train` and `replyguard eval`: the QA loop of the tone model, and with
`--kind intent` of the buyer intent model (gateway/cli/intent.py).

QA staff add labelled rows (CSV or JSONL with `text,label`), train a candidate into a directory of
their choice, compare it with the model in use on the same held-out split (`eval --compare`), and
switch by pointing REPLYGUARD_TONE_MODEL at it (or training into classifiers/tone/model in a
checkout).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from classifiers.errors import ConfigError
from classifiers.intent.training_settings import INTENT_SETTINGS
from classifiers.resources import (
    default_cold_splits,
    default_heldout_data,
    default_intent_training_data,
    default_lexicon_dir,
    default_tone_model,
    default_training_data,
)
from classifiers.tone.answer import FILE_NAME as ANSWER_FILE
from classifiers.tone.sarcasm import FILE_NAME as SARCASM_FILE
from classifiers.tone.training_settings import TrainingSettings
from gateway.cli.support import EXIT_CONFIG, EXIT_USAGE, fail, require_files

if TYPE_CHECKING:
    from rich.console import Console

    from classifiers.normalize import Normalizer
    from classifiers.tone.classifier import ToneClassifier


class ModelKind(StrEnum):
    TONE = "tone"
    INTENT = "intent"


KIND_OPTION = typer.Option("--kind", help="which model: tone (agents' replies) or intent "
                                          "(buyer messages)")


def default_normalizer() -> Normalizer:
    from classifiers.normalize import Normalizer
    from classifiers.registry import DEFAULT_STEPS, NORMALIZE_STEPS

    return Normalizer([NORMALIZE_STEPS[name]() for name in DEFAULT_STEPS])


def evaluate_model(model: ToneClassifier, heldout: Path,
                   normalizer: Normalizer | None = None) -> dict[str, Any]:
    from classifiers.tone.features import tone_view
    from classifiers.tone.training import evaluate, read_labelled

    normalizer = normalizer or default_normalizer()
    rows = read_labelled(heldout)
    probabilities = [model.predict(tone_view(normalizer(r.text).text)).scores for r in rows]
    metrics = evaluate([r.label for r in rows], probabilities, model.labels_)
    if model.answer_ is not None:  # the answer model's figures, measured when it was trained
        metrics["answer"] = model.answer_.meta.get("training", {})
    return metrics


def train_command(
    data: Annotated[list[Path] | None, typer.Option(
        "--data", help="labelled CSV/JSONL (text,label; intent: text,intent); repeatable "
                       "[default: classifiers/tone/data/tone_train*.csv, "
                       "classifiers/intent/data/intent_train_*.csv]")] = None,
    extra: Annotated[list[Path] | None, typer.Option(
        "--add", help="more labelled rows on top of the defaults (QA additions)")] = None,
    heldout: Annotated[Path | None, typer.Option(
        help="held-out split, never trained on [default: classifiers/tone/data/tone_heldout.csv,"
             " classifiers/intent/data/intent_heldout_*.csv]")] = None,
    cold: Annotated[list[Path] | None, typer.Option(
        help="COLD split for the abusive dimension; repeatable, never the test split "
             "[default: train and dev in ../shared/eval-data/cold]")] = None,
    no_cold: Annotated[bool, typer.Option("--no-cold", help="train without COLD")] = False,
    out: Annotated[Path | None, typer.Option(
        help="where the model artefact is written [default: tone-candidate, "
             "intent-candidate]")] = None,
    c: Annotated[float | None, typer.Option(
        "--C", help=f"inverse regularisation strength [default: tone {TrainingSettings.C}, "
                    f"intent {INTENT_SETTINGS.C}]")] = None,
    min_df: Annotated[int | None, typer.Option(
        "--min-df", min=1, help="least number of rows a feature must occur in "
                                f"[default: {TrainingSettings.min_df}]")] = None,
    kind: Annotated[ModelKind, KIND_OPTION] = ModelKind.TONE,
    lowo: Annotated[bool, typer.Option(
        "--lowo", help="intent: also record leave-one-writer-out figures")] = False,
    keep_char_features: Annotated[int, typer.Option(
        "--keep-char-features", min=0,
        help="tone: character n-grams kept after the first fit (0: all)")] =
        TrainingSettings.keep_char_features or 0,
    keep_words: Annotated[int, typer.Option(
        "--keep-words", min=0, help="tone: words kept after the first fit (0: all)")] =
        TrainingSettings.keep_words or 0,
    sarcasm_cache: Annotated[Path | None, typer.Option(
        "--sarcasm-cache", help="tone: the sarcasm stage's first-stage rows (JSON): writers "
                                "found there are not fitted again, the others are added")] = None,
    sarcasm_only: Annotated[bool, typer.Option(
        "--sarcasm-only", help="tone: retrain only the sarcasm stage into --out (an existing "
                               "model directory), from --sarcasm-cache when given")] = False,
) -> None:
    """Train the tone (or, with --kind intent, the buyer intent) model and write a versioned
    artefact with its metrics."""
    if kind is ModelKind.INTENT:
        from gateway.cli.intent import train_intent

        if cold or no_cold:
            raise fail("--cold and --no-cold are for the tone model", EXIT_USAGE)
        if sarcasm_cache or sarcasm_only:
            raise fail("--sarcasm-cache and --sarcasm-only are for the tone model", EXIT_USAGE)
        intent_settings = dataclasses.replace(
            INTENT_SETTINGS, C=INTENT_SETTINGS.C if c is None else c,
            min_df=INTENT_SETTINGS.min_df if min_df is None else min_df)
        train_intent(list(data or default_intent_training_data()) + list(extra or []),
                     heldout, out or Path("intent-candidate"), intent_settings, lowo)
        return
    if lowo:
        raise fail("--lowo is for the intent model (--kind intent)", EXIT_USAGE)
    out = out or Path("tone-candidate")
    if sarcasm_only:
        retrain_sarcasm(list(data or default_training_data()) + list(extra or []), out,
                        sarcasm_cache)
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from classifiers.lexicon import Lexicon
    from classifiers.segmentation import WordSegmenter
    from classifiers.tone.answer_training import train_answer
    from classifiers.tone.classifier import ToneClassifier
    from classifiers.tone.cues import ToneCues
    from classifiers.tone.features import tone_view
    from classifiers.tone.sarcasm_training import train_sarcasm
    from classifiers.tone.training import (
        drop_leaks,
        export,
        files_sha256,
        fit,
        read_cold,
        read_labelled,
    )

    console = Console(stderr=True)
    heldout = heldout or default_heldout_data()
    settings = TrainingSettings(C=TrainingSettings.C if c is None else c,
                                min_df=TrainingSettings.min_df if min_df is None else min_df,
                                keep_char_features=keep_char_features or None,
                                keep_words=keep_words or None)
    files = list(data or default_training_data()) + list(extra or [])
    if not files:
        raise fail("no training data (give --data FILE)", EXIT_USAGE)
    require_files(*files, heldout)
    cold_paths = [] if no_cold else list(cold or default_cold_splits())
    if cold:
        require_files(*cold)
    missing = [path for path in cold_paths if not path.exists()]
    if missing:
        console.print(f"[yellow]COLD not found at {missing[0].parent}; training without it[/]")
        cold_paths = []
    if any(path.name == "test.csv" for path in cold_paths):
        raise fail("COLD's test split is for evaluation only; train on train.csv/dev.csv",
                   EXIT_USAGE)
    try:
        rows = [row for path in files for row in read_labelled(path, settings.neutral_weight)]
        held = read_labelled(heldout)
        for path in cold_paths:
            rows += read_cold(path, settings.cold_weight, settings.cold_safe_weight)
    except ConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    rows, leaked = drop_leaks(rows, held)
    normalizer = default_normalizer()
    # what the model reads besides the characters (word edges from the shared lexicon's allow
    # list, the shifting shape), written beside the weights: classifiers/tone/cues.py
    try:
        cues = ToneCues.from_lexicon(Lexicon.load(default_lexicon_dir()))
    except ConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        task = progress.add_task("loading jieba", total=None)
        segmenter = WordSegmenter()
        try:
            pipeline = fit(rows, lambda t: cues.read(tone_view(normalizer(t).text)),
                           segmenter.words, settings,
                           lambda step: progress.update(task, description=step))
        except ConfigError as exc:
            raise fail(str(exc), EXIT_CONFIG) from None
        progress.update(task, description="exporting and evaluating")
        sources = [*files, *cold_paths]
        export(pipeline, out, {"training": {
            "files": [f"{p.parent.name}/{p.name}" for p in sources], "rows": len(rows),
            "dropped_as_heldout_duplicates": leaked,
            "data_sha256": files_sha256(sources),
            "cold_weight": settings.cold_weight if cold_paths else 0.0,
            "cold_safe_weight": (settings.cold_weight if settings.cold_safe_weight is None
                                 else settings.cold_safe_weight) if cold_paths else 0.0,
            "neutral_weight": settings.neutral_weight,
            "keep_char_features": settings.keep_char_features,
            "keep_words": settings.keep_words,
            "citation": "COLD: Deng et al., EMNLP 2022 (Apache-2.0); offensive -> abusive, "
                    "safe -> neutral" if cold_paths else None,
        }})
        cues.write(out)
        progress.update(task, description="the answer model (pairs, leave one writer out)")
        answer = train_answer(files, out, normalizer.fold, lambda t: normalizer(t).text)
        sarcasm = train_sarcasm(files, out, lambda t: tone_view(normalizer(t).text),
                                segmenter.words, normalizer.fold, settings,
                                lambda step: progress.update(task, description=step),
                                sarcasm_cache)
        model = ToneClassifier.from_directory(out)
        metrics = evaluate_model(model, heldout, normalizer)
        meta = json.loads((out / "model.json").read_text(encoding="utf-8"))
        meta["metrics"] = {"heldout": {"file": str(heldout), **metrics}}
        (out / "model.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")
        progress.update(task, description="done")
    console.print(f"trained on {len(rows):,} rows ({leaked} held-out duplicates dropped); "
                  f"held-out macro-F1 {metrics['macro_f1']:.3f}, accuracy "
                  f"{metrics['accuracy']:.3f}")
    if answer is not None:
        at = answer["leave_one_writer_out"]["0.70"]
        console.print(f"answer model on {answer['pairs']:,} pairs; leaving one writer out, at "
                      f"0.7: unanswered caught {at['unanswered_caught']:.1%}, answered flagged "
                      f"{at['answered_flagged']:.1%}")
    else:
        (out / ANSWER_FILE).unlink(missing_ok=True)  # a stale one would not match this model
    report_sarcasm(console, sarcasm, out)
    typer.echo(str(out))


def report_sarcasm(console: Console, sarcasm: dict[str, Any] | None, out: Path) -> None:
    """One line on the sarcasm stage just trained; without one, no stale file stays in `out`."""
    if sarcasm is not None:
        at = sarcasm["leave_one_writer_out"]["0.70"]
        console.print(f"sarcasm stage on {sarcasm['rows']:,} uncertain replies; leaving one "
                      f"writer out, at 0.7: sarcastic caught {at['sarcastic_caught_in_gate']:.1%},"
                      f" others flagged {at['other_flagged_in_gate']:.1%} (of those it reads)")
    else:
        (out / SARCASM_FILE).unlink(missing_ok=True)


def retrain_sarcasm(files: list[Path], out: Path, cache: Path | None) -> None:
    """The sarcasm stage alone, into the model directory `out`: it never reads the shipped
    tone model (its first stage is refitted per writer, or read from `cache`), so the tone and
    answer models there stay as they are."""
    from rich.console import Console

    from classifiers.segmentation import WordSegmenter
    from classifiers.tone.features import tone_view
    from classifiers.tone.sarcasm_training import train_sarcasm

    if not (out / "model.json").exists():
        raise fail(f"{out} is not a tone model directory (no model.json); --sarcasm-only "
                   "writes the stage beside a trained tone model", EXIT_USAGE)
    require_files(*files)
    console = Console(stderr=True)
    normalizer = default_normalizer()
    try:
        sarcasm = train_sarcasm(files, out, lambda t: tone_view(normalizer(t).text),
                                WordSegmenter().words, normalizer.fold, TrainingSettings(),
                                lambda step: console.print(step), cache)
    except ConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    report_sarcasm(console, sarcasm, out)
    typer.echo(str(out))

def eval_command(
    model: Annotated[Path | None, typer.Option(
        help="model artefact directory [default: the shipped model]")] = None,
    data: Annotated[Path | None, typer.Option(
        help="labelled CSV/JSONL to evaluate on [default: the held-out split]")] = None,
    compare: Annotated[Path | None, typer.Option(
        help="a second model (e.g. the shipped one) scored on the same rows")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    kind: Annotated[ModelKind, KIND_OPTION] = ModelKind.TONE,
) -> None:
    """Per-class precision/recall/F1, confusion matrix and threshold table of a tone model (with
    --kind intent: of a buyer intent model, and what its policy rule routes)."""
    if kind is ModelKind.INTENT:
        from gateway.cli.intent import eval_intent

        eval_intent(model, data, compare, as_json)
        return
    from classifiers.tone.classifier import ToneClassifier

    model = model or default_tone_model()
    data = data or default_heldout_data()
    require_files(data)
    try:
        results = {str(model): evaluate_model(ToneClassifier.from_directory(model), data)}
        if compare is not None:
            results[str(compare)] = evaluate_model(ToneClassifier.from_directory(compare),
                                                   data)
    except ConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    print_results(results, data, as_json)


def print_results(results: dict[str, dict[str, Any]], data: Path, as_json: bool,
                  more: Callable[[Console, dict[str, Any]], None] | None = None) -> None:
    """`eval`'s output for one or two models scored on `data`; `more` prints what a kind of
    model adds (the intent model's routing)."""
    from rich.console import Console

    if as_json:
        sys.stdout.write(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
        return
    console = Console()
    for name, metrics in results.items():
        print_metrics(console, name, metrics)
        if more is not None:
            more(console, metrics)
    if len(results) == 2:
        first, second = results.values()
        delta = first["macro_f1"] - second["macro_f1"]
        console.print(f"macro-F1 {first['macro_f1']:.3f} vs {second['macro_f1']:.3f} "
                      f"({delta:+.3f}) on {first['rows']} rows of {data}")


def print_metrics(console: Console, name: str, metrics: dict[str, Any]) -> None:
    from rich.table import Table

    console.print(f"[bold]{name}[/]: {metrics['rows']} rows, accuracy "
                  f"{metrics['accuracy']:.3f}, macro-F1 {metrics['macro_f1']:.3f}")
    table = Table("label", "precision", "recall", "F1", "support")
    for label, row in metrics["per_class"].items():
        table.add_row(label, f"{row['precision']:.3f}", f"{row['recall']:.3f}",
                      f"{row['f1']:.3f}", str(row["support"]))
    console.print(table)
    labels = metrics["labels"]
    confusion = Table("true \\ predicted", *labels)
    for label, counts in zip(labels, metrics["confusion"]):
        confusion.add_row(label, *map(str, counts))
    console.print(confusion)
    thresholds = Table("label", *(f"≥{t['threshold']}" for t in
                                  metrics["thresholds"][labels[0]]),
                       title="precision / recall (%) when flagging a label at a threshold")
    # Whole percents keep the seven columns inside an 80-column terminal, where rich would
    # otherwise cut "0.94/0.79" to "0.94/0.…".
    for label in labels:
        thresholds.add_row(label, *(f"{100 * t['precision']:.0f}/{100 * t['recall']:.0f}"
                                    for t in metrics["thresholds"][label]))
    console.print(thresholds)
    answer = metrics.get("answer")
    if answer and "leave_one_writer_out" in answer:
        table = Table("threshold", "unanswered caught", "answered flagged",
                      title=f"answer model (pairs), each of its writers left out: "
                            f"{answer['pairs']:,} pairs, {answer['unanswered']:,} unanswered")
        for threshold, row in answer["leave_one_writer_out"].items():
            table.add_row(threshold, f"{100 * row['unanswered_caught']:.1f}%",
                          f"{100 * row['answered_flagged']:.1f}%")
        console.print(table)



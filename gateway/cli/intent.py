"""`replyguard train --kind intent` and `replyguard eval --kind intent`: the buyer intent model's
QA loop, the same as the tone model's (gateway/cli/tone.py, which parses the options and hands
over here).

Training reads the writers' files (classifiers/intent/data/intent_train_*.csv by default, plus
`--add` rows), drops repeated texts and any row that nearly equals a held-out row, fits, exports
plain data and records the held-out metrics; `--lowo` also records leave-one-writer-out figures
(how settings are chosen: docs/intent.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from classifiers.errors import ConfigError
from classifiers.resources import (
    default_intent_heldout_data,
    default_intent_model,
    default_lexicon_dir,
)
from gateway.cli.support import EXIT_CONFIG, EXIT_USAGE, fail, require_files

if TYPE_CHECKING:
    from rich.console import Console

    from classifiers.intent.classifier import IntentClassifier
    from classifiers.normalize import Normalizer
    from classifiers.tone.training_settings import TrainingSettings


def evaluate_intent_model(model: IntentClassifier, data: Path,
                          normalizer: Normalizer | None = None) -> dict[str, Any]:
    from classifiers.intent.training import evaluate_intent, read_intent
    from classifiers.intent.view import intent_view
    from gateway.cli.tone import default_normalizer

    normalizer = normalizer or default_normalizer()
    rows = read_intent(data)
    probabilities = [model.predict(intent_view(normalizer(r.text).text)).scores for r in rows]
    return evaluate_intent([r.label for r in rows], probabilities)


def train_intent(files: list[Path], heldout: Path | None, out: Path,
                 settings: TrainingSettings, lowo: bool) -> None:
    from rich.console import Console

    from classifiers.intent.classifier import IntentClassifier
    from classifiers.intent.training import (
        drop_duplicates,
        evaluate_intent,
        export_intent,
        fit_intent,
        leave_one_writer_out,
        read_intent,
        reading_terms,
        row_writer,
        sklearn_probabilities,
    )
    from classifiers.intent.view import intent_view
    from classifiers.lexicon import Lexicon
    from classifiers.segmentation import WordSegmenter
    from classifiers.tone.training import drop_leaks, files_sha256
    from gateway.cli.tone import default_normalizer

    console = Console(stderr=True)
    heldout = heldout or default_intent_heldout_data()
    if not files:
        raise fail("no training data (give --data FILE)", EXIT_USAGE)
    require_files(*files, heldout)
    try:
        rows = [row for path in files for row in read_intent(path)]
        held = read_intent(heldout)
    except ConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    rows, repeated = drop_duplicates(rows)
    rows, leaked = drop_leaks(rows, held)
    normalizer = default_normalizer()
    try:  # the escalation terms the pinyin reading knows by their initials
        terms = reading_terms(Lexicon.load(default_lexicon_dir()))
    except ConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    console.print(f"training the intent model on {len(rows):,} rows")
    segmenter = WordSegmenter()

    def normalize(text: str) -> str:
        return intent_view(normalizer(text).text)

    try:
        fitted = fit_intent(rows, normalize, segmenter.words, settings, terms)
        cross = None
        if lowo:
            console.print("leave-one-writer-out …")
            truth, scores, _ = leave_one_writer_out(rows, normalize, segmenter.words, settings,
                                                    sklearn_probabilities, terms)
            cross = evaluate_intent(truth, scores)
    except ConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    export_intent(fitted, out, {"training": {
        "files": [f"{p.parent.name}/{p.name}" for p in files], "rows": len(rows),
        "writers": sorted({row_writer(r) for r in rows}),
        "dropped_as_repeats": repeated, "dropped_as_heldout_duplicates": leaked,
        "data_sha256": files_sha256(files),
        "settings": {"C": settings.C, "min_df": settings.min_df,
                     "keep_char_features": settings.keep_char_features,
                     "keep_words": settings.keep_words},
    }})
    try:
        model = IntentClassifier.from_directory(out)
    except ConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    metrics = evaluate_intent_model(model, heldout, normalizer)
    meta = json.loads((out / "model.json").read_text(encoding="utf-8"))
    meta["metrics"] = {"heldout": {"file": f"{heldout.parent.name}/{heldout.name}", **metrics}}
    if cross is not None:
        meta["metrics"]["leave_one_writer_out"] = cross
    (out / "model.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n",
                                    encoding="utf-8")
    route = metrics["routing"]
    console.print(f"trained on {len(rows):,} rows ({repeated} repeats, {leaked} held-out "
                  f"duplicates dropped); held-out macro-F1 {metrics['macro_f1']:.3f}, "
                  f"escalations routed {route['escalations_routed']:.1%}, ordinary routed "
                  f"{route['ordinary_routed']:.1%}")
    if cross is not None:
        route = cross["routing"]
        console.print(f"leave-one-writer-out: macro-F1 {cross['macro_f1']:.3f}, escalations "
                      f"routed {route['escalations_routed']:.1%}, ordinary routed "
                      f"{route['ordinary_routed']:.1%}")
    typer.echo(str(out))


def eval_intent(model: Path | None, data: Path | None, compare: Path | None,
                as_json: bool) -> None:
    from classifiers.intent.classifier import IntentClassifier
    from gateway.cli.tone import print_results

    model = model or default_intent_model()
    data = data or default_intent_heldout_data()
    require_files(data)
    try:
        results = {str(model): evaluate_intent_model(IntentClassifier.from_directory(model),
                                                     data)}
        if compare is not None:
            results[str(compare)] = evaluate_intent_model(
                IntentClassifier.from_directory(compare), data)
    except ConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    print_results(results, data, as_json, lambda console, m: print_routing(console, m["routing"]))


def print_routing(console: Console, routing: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table("intent", "rows", "routed", title=(
        f"routed by the default policy's intent rule (wants_human + complaint + anger "
        f"≥ {routing['threshold']})"))
    for label, row in routing["per_label"].items():
        table.add_row(label, str(row["rows"]), f"{row['routed']:.1%}")
    console.print(table)
    console.print(f"escalations routed {routing['escalations_routed']:.1%} (target ≥ 95%), "
                  f"ordinary routed {routing['ordinary_routed']:.1%} (target ≤ 2%)")

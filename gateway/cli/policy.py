"""`replyguard policy check`: every problem of a policy file, with file:line:column."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from classifiers.errors import ConfigError
from gateway.cli.support import EXIT_CONFIG, fail, load_settings, require_files

if TYPE_CHECKING:
    from classifiers.errors import Problem

policy_app = typer.Typer(no_args_is_help=True, help="Validate and inspect policy files.")


@policy_app.command("check")
def check_command(
    file: Annotated[Path | None, typer.Argument(
        help="policy file [default: REPLYGUARD_POLICY_FILE or the shipped one]")] = None,
    lexicons: Annotated[Path | None, typer.Option(
        "--lexicons", help="lexicon directory whose categories rules may name")] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="warnings (shadowed rules, overlapping periods) fail too")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the problems as JSON")] = False,
) -> None:
    """Report every error and warning in a policy file. Exit 0 when usable, 3 when not."""
    # The lexicon's categories and the tone model's labels are read, not built: no automata,
    # no jieba, no model weights.
    from classifiers.contacts import CATEGORY as CONTACT_CATEGORY
    from classifiers.intent.classifier import IntentClassifier
    from classifiers.lexicon import Lexicon
    from classifiers.tone.classifier import read_labels

    if file is not None:
        require_files(file)
    settings = load_settings()
    path = file or settings.policy_file
    try:
        lexicon = Lexicon.load(lexicons or settings.lexicon_dir)
        labels = read_labels(settings.tone_model) if settings.tone_model is not None else None
        intents = IntentClassifier.labels_in(settings.intent_model) \
            if settings.intent_model is not None else ()
    except ConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    problems = check_file(path, sorted({*lexicon.categories, CONTACT_CATEGORY}), labels,
                          intents)
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        sys.stdout.write(json.dumps({"file": str(path), "valid": not errors, "problems": [
            {"severity": p.severity, "line": p.line, "column": p.column, "message": p.message}
            for p in problems]}, ensure_ascii=False) + "\n")
    else:
        from rich.console import Console

        console = Console(highlight=False)
        for problem in problems:
            style = "red" if problem.severity == "error" else "yellow"
            console.print(f"[{style}]{problem}[/]", soft_wrap=True)
        warnings = len(problems) - len(errors)
        console.print(f"{path}: {len(errors)} error(s), {warnings} warning(s)"
                      + ("" if errors else " — usable"), soft_wrap=True)
    if errors or (strict and problems):
        raise typer.Exit(EXIT_CONFIG)


def check_file(path: Path, categories: Sequence[str],
               tone_labels: Sequence[str] | None,
               intent_labels: Sequence[str] | None = None) -> list[Problem]:
    from classifiers.errors import Problem
    from classifiers.policy.check import check

    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [Problem(f"cannot read policy: {exc.strerror}", str(path))]
    return check(raw, str(path), categories, tone_labels, intent_labels)

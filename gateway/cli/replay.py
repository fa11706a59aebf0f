"""`replyguard replay`: preview a policy or lexicon change on past messages before shipping it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from classifiers.errors import ConfigError, InputError
from classifiers.results import Role
from classifiers.tiers import Tier
from gateway.cli.support import EXIT_CONFIG, EXIT_USAGE, fail, load_settings, require_files

if TYPE_CHECKING:
    from rich.console import Console

    from gateway.config.replay import ReplayDiff


def replay_command(
    input_file: Annotated[Path, typer.Argument(
        metavar="INPUT", help="past messages: JSONL (log or chat export), CSV/TSV with a text "
                              "column, or text lines")],
    policy: Annotated[Path, typer.Option("--policy", help="the candidate policy file")],
    lexicons: Annotated[Path | None, typer.Option(
        "--lexicons", help="the candidate lexicon directory [default: the current one]")] = None,
    sender: Annotated[Role, typer.Option(
        "--from", help="role of records that do not say")] = Role.AGENT,
    shop: Annotated[str | None, typer.Option(
        "--shop", help="records that do not name a shop are this shop's: its policy section "
                       "and lexicon overlay apply")] = None,
    examples: Annotated[int, typer.Option(help="examples shown per move", min=0)] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="print the diff as JSON")] = False,
) -> None:
    """Re-score INPUT under the current and the candidate configuration; show what moves."""
    import asyncio

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from gateway.config.live import ConfigSource
    from gateway.config.replay import read_records, replay

    settings = load_settings()
    require_files(input_file)
    try:
        source = ConfigSource.of(settings)
        current = source.load()
        candidate = source.with_files(lexicons, policy).load(current)
    except ConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    with input_file.open("rb") as handle:
        total = sum(1 for _ in handle)
    err = Console(stderr=True)
    try:
        with Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err, transient=True,
                      disable=as_json or not err.is_terminal) as bar:
            task = bar.add_task("replay", total=total)
            diff = asyncio.run(replay(read_records(input_file, sender, shop), current, candidate,
                                      examples=examples,
                                      progress=lambda n: bar.advance(task, n)))
    except (InputError, UnicodeDecodeError, OSError) as exc:
        raise fail(f"{input_file}: {exc}", EXIT_USAGE) from None
    if as_json:
        sys.stdout.write(json.dumps(diff.to_dict(), ensure_ascii=False) + "\n")
    else:
        print_diff(Console(highlight=False), diff)


def print_diff(console: Console, diff: ReplayDiff) -> None:
    from rich.table import Table

    console.print(f"{diff.total} messages replayed: current {diff.current_version} → candidate "
                  f"{diff.candidate_version}; [bold]{diff.changed}[/] change tier"
                  + (f"; {len(diff.bad)} bad records skipped" if diff.bad else ""))
    tiers = Table(title="messages per tier")
    for column in ("tier", "current", "candidate", "Δ"):
        tiers.add_column(column, justify="left" if column == "tier" else "right")
    for tier in Tier:
        before, after = diff.current[tier], diff.candidate[tier]
        tiers.add_row(str(tier), str(before), str(after),
                      f"{after - before:+d}" if after != before else "")
    console.print(tiers)
    if not diff.moves:
        return
    moves = Table(title="moves between tiers")
    for column in ("from", "to", "messages", "examples (current rule → candidate rule)"):
        moves.add_column(column)
    for (a, b), count in diff.moves.most_common():
        shown = "\n".join(f"{e.text[:60]}  ({e.current_rule or '-'} → {e.candidate_rule or '-'})"
                          for e in diff.examples.get((a, b), []))
        moves.add_row(str(a), str(b), str(count), shown)
    console.print(moves)
    categories = Table(title="changes by category")
    for column in ("category", "stricter", "laxer"):
        categories.add_column(column)
    for category, (up, down) in sorted(diff.by_category.items()):
        categories.add_row(category, str(up), str(down))
    console.print(categories)
    for bad in diff.bad[:5]:
        console.print(f"[yellow]line {bad.line}: {bad.error}[/]")

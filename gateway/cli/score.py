"""`replyguard score`: score a message (or a stream of them) and print the verdict."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, BinaryIO, NamedTuple, TextIO

import typer

from classifiers.errors import ConfigError, InputError
from classifiers.results import Role
from classifiers.tiers import Tier
from gateway.cli.options import LexiconOption, PolicyOption
from gateway.cli.support import EXIT_CONFIG, EXIT_USAGE, fail, load_settings

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console

    from classifiers.results import Verdict
    from classifiers.scorer import Scorer
    from gateway.settings import Settings

_TIER_STYLE = {
    Tier.NONE: "green", Tier.NOTICE: "cyan", Tier.SUGGEST_EDIT: "yellow",
    Tier.FORCE_EDIT: "dark_orange", Tier.BLOCK: "red", Tier.BLOCK_WITH_WARNING: "bold red",
    Tier.ROUTE_TO_HUMAN: "magenta",
}


def load_scorer(settings: Settings, lexicons: Path | None, policy: Path | None) -> Scorer:
    from gateway.config.live import ConfigSource

    try:
        return ConfigSource.of(settings).with_files(lexicons, policy).load()
    except ConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from None


def score_command(
    text: Annotated[str | None, typer.Argument(help="the message to score")] = None,
    sender: Annotated[Role, typer.Option("--from", help="who sent it")] = Role.AGENT,
    shop: Annotated[str | None, typer.Option(
        "--shop", help="score as this shop: its policy section and lexicon overlay (a --jsonl "
                       'line may name its own "shop")')] = None,
    context: Annotated[str | None, typer.Option(
        "--context", help="the buyer's previous message, which the reply answers (a --jsonl "
                          'line may give its own "context")')] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    jsonl: Annotated[bool, typer.Option(
        "--jsonl", help='stream JSON lines {"text": …, "from": …, "context": …} (or plain text '
                        "lines) from stdin to one JSON result per line on stdout")] = False,
    lexicons: LexiconOption = None,
    policy: PolicyOption = None,
) -> None:
    """Score a message (or a stream of them) and print the verdict."""
    if jsonl and text is not None:
        raise fail("give either TEXT or --jsonl, not both", EXIT_USAGE)
    if not jsonl and text is None:
        raise fail("missing TEXT (or use --jsonl to read messages from stdin)", EXIT_USAGE)
    scorer = load_scorer(load_settings(), lexicons, policy)
    if jsonl:
        stream_jsonl(scorer, sys.stdin.buffer, sys.stdout, sender, shop, context)
        return
    assert text is not None
    try:
        verdict = scorer.score(text, sender, shop=shop, context=context)
    except InputError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    if as_json:
        sys.stdout.write(json.dumps(verdict.to_dict(), ensure_ascii=False) + "\n")
    else:
        from rich.console import Console

        print_verdict(Console(), verdict)


def stream_jsonl(scorer: Scorer, source: BinaryIO, sink: TextIO, default_role: Role,
                 default_shop: str | None = None, default_context: str | None = None) -> int:
    """One output line per input line; a bad line gets {"line": n, "error": …}. Returns the
    number of errors. Reads and writes one line at a time, so memory stays constant."""
    errors = 0
    interactive = source.isatty() if hasattr(source, "isatty") else False
    for number, raw in enumerate(source, start=1):
        try:
            line = _parse_line(raw, default_role, default_shop, default_context)
            result = scorer.score(line.text, line.role, shop=line.shop,
                                  context=line.context).to_dict()
        except InputError as exc:
            errors += 1
            result = {"line": number, "error": str(exc)}
        sink.write(json.dumps(result, ensure_ascii=False) + "\n")
        if interactive:
            sink.flush()
    sink.flush()
    return errors


class _Line(NamedTuple):
    text: str
    role: Role
    shop: str | None
    context: str | None


def _parse_line(raw: bytes, default_role: Role, default_shop: str | None,
                default_context: str | None) -> _Line:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 (byte {exc.start})") from None
    line = line.rstrip("\r\n")
    plain = _Line(line, default_role, default_shop, default_context)
    if line.lstrip().startswith("{"):
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            return plain  # a line merely starting with "{" is text
        if not isinstance(data, dict):
            return plain
        text = data.get("text")
        if not isinstance(text, str):
            raise InputError('JSON line needs a string "text" field')
        sender = data.get("from", default_role.value)
        shop = data.get("shop", default_shop)
        if shop is not None and not isinstance(shop, str):
            raise InputError('"shop" must be a string')
        context = data.get("context", default_context)
        if context is not None and not isinstance(context, str):
            raise InputError('"context" must be a string (the buyer\'s previous message)')
        try:
            return _Line(text, Role(sender), shop, context)
        except ValueError:
            raise InputError(f'"from" must be agent, bot or buyer, not {sender!r}') from None
    return plain


def print_verdict(console: Console, verdict: Verdict) -> None:
    from rich.table import Table

    style = _TIER_STYLE[verdict.tier]
    console.print(f"[{style}]{verdict.tier}[/]  rule={verdict.rule or '-'}  "
                  f"from={verdict.role}  ({verdict.timing_us:.0f} µs, version {verdict.version})",
                  highlight=False)
    if verdict.reason:
        console.print(f"  {verdict.reason}", highlight=False)
    if verdict.context is not None:
        needs = "needs an answer" if verdict.context.needs_answer else "no answer needed"
        unanswered = verdict.context.unanswered
        answered = f", unanswered {unanswered:.2f}" if unanswered is not None else ""
        console.print(f"  context: {verdict.context.text}  ({verdict.context.act}, {needs}"
                      f"{answered})", highlight=False, markup=False)
    if verdict.tone is not None:
        scores = "  ".join(f"{label} {p:.2f}" for label, p in
                           sorted(verdict.tone.scores.items(), key=lambda kv: -kv[1]))
        console.print(f"  tone: [bold]{verdict.tone.label}[/]  ({scores})", highlight=False)
    if verdict.intent is not None:
        scores = "  ".join(f"{label} {p:.2f}" for label, p in
                           sorted(verdict.intent.scores.items(), key=lambda kv: -kv[1]))
        console.print(f"  intent: [bold]{verdict.intent.label}[/]  ({scores})",
                      highlight=False)
    if not verdict.matches:
        return
    table = Table(show_header=True, header_style="bold")
    for column in ("category", "term", "original", "span", "sev", "why"):
        table.add_column(column)
    for m in verdict.matches:
        table.add_row(m.category, m.term, m.text, f"{m.start}-{m.end}", str(m.severity),
                      "\n".join(m.trace) or "exact")
    console.print(table)

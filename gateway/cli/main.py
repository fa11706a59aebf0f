"""`replyguard` command line. Our exceptions become a one-line message and an exit code here:
2 for unusable arguments, 3 for an unusable configuration (lexicon or policy)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, BinaryIO, TextIO

import typer
from rich.console import Console
from rich.table import Table

from classifiers.errors import ConfigError, InputError
from classifiers.results import Role, Verdict
from classifiers.scorer import Scorer
from classifiers.tiers import Tier
from gateway.cli.log import log_app
from gateway.cli.policy import policy_app
from gateway.cli.replay import replay_command
from gateway.cli.report import report_command
from gateway.cli.serve import serve_command, token_command
from gateway.cli.support import EXIT_CONFIG, EXIT_USAGE, fail
from gateway.cli.tone import eval_command, train_command
from gateway.settings import Settings

app = typer.Typer(name="replyguard", no_args_is_help=True, add_completion=False,
                  help="ReplyGuard: moderation gateway for e-commerce customer-service chat.")

_TIER_STYLE = {
    Tier.NONE: "green", Tier.NOTICE: "cyan", Tier.SUGGEST_EDIT: "yellow",
    Tier.FORCE_EDIT: "dark_orange", Tier.BLOCK: "red", Tier.BLOCK_WITH_WARNING: "bold red",
    Tier.ROUTE_TO_HUMAN: "magenta",
}

LexiconOption = Annotated[Path | None, typer.Option(
    "--lexicons", help="lexicon directory [default: REPLYGUARD_LEXICON_DIR or the shipped one]")]
PolicyOption = Annotated[Path | None, typer.Option(
    "--policy", help="policy file [default: REPLYGUARD_POLICY_FILE or the shipped one]")]


@app.callback()
def _root() -> None:
    """ReplyGuard: moderation gateway for e-commerce customer-service chat."""


def load_scorer(settings: Settings, lexicons: Path | None, policy: Path | None) -> Scorer:
    try:
        return Scorer.load(lexicons or settings.lexicon_dir, policy or settings.policy_file,
                           tone_model=settings.tone_model, max_chars=settings.max_chars)
    except ConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from None


@app.command()
def score(
    text: Annotated[str | None, typer.Argument(help="the message to score")] = None,
    sender: Annotated[Role, typer.Option("--from", help="who sent it")] = Role.AGENT,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    jsonl: Annotated[bool, typer.Option(
        "--jsonl", help='stream JSON lines {"text": …, "from": …} (or plain text lines) from '
                        "stdin to one JSON result per line on stdout")] = False,
    lexicons: LexiconOption = None,
    policy: PolicyOption = None,
) -> None:
    """Score a message (or a stream of them) and print the verdict."""
    if jsonl and text is not None:
        raise fail("give either TEXT or --jsonl, not both", EXIT_USAGE)
    if not jsonl and text is None:
        raise fail("missing TEXT (or use --jsonl to read messages from stdin)", EXIT_USAGE)
    scorer = load_scorer(Settings(), lexicons, policy)
    if jsonl:
        stream_jsonl(scorer, sys.stdin.buffer, sys.stdout, sender)
        return
    assert text is not None
    try:
        verdict = scorer.score(text, sender)
    except InputError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    if as_json:
        sys.stdout.write(json.dumps(verdict.to_dict(), ensure_ascii=False) + "\n")
    else:
        print_verdict(Console(), verdict)


def stream_jsonl(scorer: Scorer, source: BinaryIO, sink: TextIO, default_role: Role) -> int:
    """One output line per input line; a bad line gets {"line": n, "error": …}. Returns the
    number of errors. Reads and writes one line at a time, so memory stays constant."""
    errors = 0
    interactive = source.isatty() if hasattr(source, "isatty") else False
    for number, raw in enumerate(source, start=1):
        try:
            text, role = _parse_line(raw, default_role)
            result = scorer.score(text, role).to_dict()
        except InputError as exc:
            errors += 1
            result = {"line": number, "error": str(exc)}
        sink.write(json.dumps(result, ensure_ascii=False) + "\n")
        if interactive:
            sink.flush()
    sink.flush()
    return errors


def _parse_line(raw: bytes, default_role: Role) -> tuple[str, Role]:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 (byte {exc.start})") from None
    line = line.rstrip("\r\n")
    if line.lstrip().startswith("{"):
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            return line, default_role  # a line that merely starts with "{" is text
        if not isinstance(data, dict):
            return line, default_role
        text = data.get("text")
        if not isinstance(text, str):
            raise InputError('JSON line needs a string "text" field')
        sender = data.get("from", default_role.value)
        try:
            return text, Role(sender)
        except ValueError:
            raise InputError(f'"from" must be agent, bot or buyer, not {sender!r}') from None
    return line, default_role


def print_verdict(console: Console, verdict: Verdict) -> None:
    style = _TIER_STYLE[verdict.tier]
    console.print(f"[{style}]{verdict.tier}[/]  rule={verdict.rule or '-'}  "
                  f"from={verdict.role}  ({verdict.timing_us:.0f} µs, version {verdict.version})",
                  highlight=False)
    if verdict.reason:
        console.print(f"  {verdict.reason}", highlight=False)
    if verdict.tone is not None:
        scores = "  ".join(f"{label} {p:.2f}" for label, p in
                           sorted(verdict.tone.scores.items(), key=lambda kv: -kv[1]))
        console.print(f"  tone: [bold]{verdict.tone.label}[/]  ({scores})", highlight=False)
    if not verdict.matches:
        return
    table = Table(show_header=True, header_style="bold")
    for column in ("category", "term", "original", "span", "sev", "why"):
        table.add_column(column)
    for m in verdict.matches:
        table.add_row(m.category, m.term, m.text, f"{m.start}-{m.end}", str(m.severity),
                      "\n".join(m.trace) or "exact")
    console.print(table)


app.command("train")(train_command)
app.command("eval")(eval_command)
app.add_typer(policy_app, name="policy")
app.add_typer(log_app, name="log")
app.command("replay")(replay_command)
app.command("report")(report_command)
app.command("serve")(serve_command)
app.command("token")(token_command)

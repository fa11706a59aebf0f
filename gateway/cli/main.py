"""`replyguard` command line: the root app and its commands, one module each. Our exceptions
become a one-line message and an exit code (gateway/cli/support.py): 2 for unusable arguments,
3 for an unusable configuration (settings, lexicon or policy).

Importing this module builds the command tree only; see gateway/cli/support.py for why the
command modules import what they use inside the command."""

from __future__ import annotations

import typer

from gateway.cli.console_link import console_link_command
from gateway.cli.lexicon import lexicon_app
from gateway.cli.log import log_app
from gateway.cli.policy import policy_app
from gateway.cli.replay import replay_command
from gateway.cli.report import report_command
from gateway.cli.score import score_command
from gateway.cli.serve import serve_command, token_command
from gateway.cli.tone import eval_command, train_command

app = typer.Typer(name="replyguard", no_args_is_help=True, add_completion=False,
                  help="ReplyGuard: moderation gateway for e-commerce customer-service chat.")


@app.callback()
def _root() -> None:
    """ReplyGuard: moderation gateway for e-commerce customer-service chat."""


app.command("score")(score_command)
app.command("train")(train_command)
app.command("eval")(eval_command)
app.add_typer(policy_app, name="policy")
app.add_typer(log_app, name="log")
app.add_typer(lexicon_app, name="lexicon")
app.command("replay")(replay_command)
app.command("report")(report_command)
app.command("serve")(serve_command)
app.command("token")(token_command)
app.command("console-link")(console_link_command)

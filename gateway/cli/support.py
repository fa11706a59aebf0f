"""What every `replyguard` command shares: exit codes, the one-line error message, settings.

Command modules import only typer and light enums at module level; everything a command needs
(FastAPI, scikit-learn, SQLAlchemy, matplotlib, jieba, rich …) is imported inside the command,
so `replyguard --help` and `replyguard token` do not pay for the others
(tests/gateway/cli/test_imports.py, bench/bench_cli.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from gateway.settings import Settings

EXIT_USAGE = 2   # unusable arguments
EXIT_CONFIG = 3  # unusable configuration: settings, lexicon, policy, model or data file


def fail(message: str, code: int) -> typer.Exit:
    """Print `error: message` on stderr and return the Exit to raise (never a traceback)."""
    from rich.console import Console

    # soft_wrap: one line whatever the width, so a long path stays whole and greppable
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and the command's options; an unusable value is one line
    naming the variable, and exit code 3."""
    from pydantic import ValidationError

    from gateway.settings import Settings, settings_problem

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise fail(settings_problem(exc), EXIT_CONFIG) from None

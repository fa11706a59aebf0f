"""What every `replyguard` command shares: exit codes and the one-line error message."""

from __future__ import annotations

import typer
from rich.console import Console

EXIT_USAGE = 2   # unusable arguments
EXIT_CONFIG = 3  # unusable configuration: lexicon, policy, model or data file


def fail(message: str, code: int) -> typer.Exit:
    """Print `error: message` on stderr and return the Exit to raise (never a traceback)."""
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)

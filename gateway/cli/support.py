"""What every `replyguard` command shares: exit codes, the one-line error message, settings.

Command modules import only typer and light enums at module level; everything a command needs
(FastAPI, scikit-learn, SQLAlchemy, matplotlib, jieba, rich …) is imported inside the command,
so `replyguard --help` and `replyguard token` do not pay for the others
(tests/gateway/cli/test_imports.py, bench/bench_cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from gateway.roles import UserRole
    from gateway.settings import Settings

EXIT_USAGE = 2   # unusable arguments, a missing input file among them
EXIT_CONFIG = 3  # unusable configuration: settings, lexicon, policy, model or data file


def fail(message: str, code: int) -> typer.Exit:
    """Print `error: message` on stderr and return the Exit to raise (never a traceback)."""
    from rich.console import Console

    # soft_wrap: one line whatever the width, so a long path stays whole and greppable
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def require_files(*paths: Path) -> None:
    """A command's input file that is not there is an unusable argument (exit 2), whichever
    command it is given to; what a file that is there holds is the command's to judge."""
    for path in paths:
        if not path.is_file():
            what = "is a directory, not a file" if path.is_dir() else "no such file"
            raise fail(f"{path}: {what}", EXIT_USAGE)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and the command's options; an unusable value is one line
    naming the variable, and exit code 3."""
    from pydantic import ValidationError

    from gateway.settings import Settings, settings_problem

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise fail(settings_problem(exc), EXIT_CONFIG) from None


def issue_token(settings: Settings, role: UserRole, user: str, shop: str,
                ttl: int | None) -> str:
    """A token signed with the gateway's secret (`replyguard token`, `console-link`). A bad id
    is a usage error, an unreadable data directory a configuration error."""
    from gateway.auth import SECRET_FILE, TokenService, load_secret

    if ttl is not None and ttl <= 0:
        raise fail(f"--ttl {ttl}: a token lifetime is a positive number of seconds", EXIT_USAGE)
    secret_file = settings.data_dir / SECRET_FILE
    created = settings.secret is None and not secret_file.exists()
    try:
        tokens = TokenService(load_secret(settings), max_ttl_s=settings.token_max_ttl_s)
        token = tokens.issue(role, user, shop, settings.token_ttl_s if ttl is None else ttl)
    except ValueError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    except OSError as exc:
        raise fail(f"data directory {settings.data_dir}: {exc.strerror or exc}",
                   EXIT_CONFIG) from None
    if created:
        # A new secret means no gateway has run with this data directory: say so, or the
        # gateway's refusal (4401) is the first the user hears of it.
        typer.echo(f"note: created a new secret in {secret_file} (key {tokens.key_id}); a "
                   "gateway started with another REPLYGUARD_DATA_DIR or REPLYGUARD_SECRET "
                   "refuses this token", err=True)
    return token

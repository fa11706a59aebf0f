"""`replyguard serve` (the gateway) and `replyguard token` (a JWT for a client)."""

from __future__ import annotations

from typing import Annotated

import typer

from gateway import logging_setup
from gateway.auth import TokenService, UserRole, load_secret
from gateway.cli.support import EXIT_USAGE, fail
from gateway.server import serve
from gateway.settings import Settings


def serve_command(
    host: Annotated[str | None, typer.Option(help="[default: REPLYGUARD_HOST or 127.0.0.1]")]
    = None,
    port: Annotated[int | None, typer.Option(help="[default: REPLYGUARD_PORT or 8000]")] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning, error")] = "info",
) -> None:
    """Run the websocket gateway (embedded defaults: in-process state, SQLite log)."""
    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = Settings(**overrides)  # type: ignore[arg-type]
    logging_setup.configure(log_level)
    serve(settings, log_level=log_level)


def token_command(
    role: Annotated[UserRole, typer.Option(help="who the token is for")],
    user: Annotated[str, typer.Option(help="user id (the token's subject)")],
    shop: Annotated[str, typer.Option(help="shop id")],
    ttl: Annotated[int | None, typer.Option(help="lifetime in seconds "
                                            "[default: REPLYGUARD_TOKEN_TTL_S or 8 hours]")]
    = None,
) -> None:
    """Print a token signed with the gateway's secret (the token is the last word printed)."""
    settings = Settings()
    try:
        token = TokenService(load_secret(settings)).issue(role, user, shop,
                                                          ttl or settings.token_ttl_s)
    except ValueError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    typer.echo(token)

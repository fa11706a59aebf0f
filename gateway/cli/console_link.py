"""`replyguard console-link`: a ready link to the console page of a role, token included."""

from __future__ import annotations

from typing import Annotated

import typer

from gateway.auth import TokenService, UserRole, load_secret
from gateway.cli.support import EXIT_USAGE, fail
from gateway.console.links import base_url, console_link
from gateway.settings import Settings


def console_link_command(
    role: Annotated[UserRole, typer.Option(help="who the link is for")],
    user: Annotated[str, typer.Option(help="user id (the token's subject)")],
    shop: Annotated[str, typer.Option(help="shop id (* for every shop: supervisor, qa)")],
    ttl: Annotated[int | None, typer.Option(help="token lifetime in seconds "
                                            "[default: REPLYGUARD_TOKEN_TTL_S or 8 hours]")]
    = None,
    base: Annotated[str | None, typer.Option(
        "--base-url", help="where browsers reach the gateway "
                           "[default: http://REPLYGUARD_HOST:REPLYGUARD_PORT]")] = None,
) -> None:
    """Print a console link for ROLE (the token rides in the URL fragment, never sent to the
    server in a request line or kept in its logs)."""
    settings = Settings()
    try:
        token = TokenService(load_secret(settings)).issue(role, user, shop,
                                                          ttl or settings.token_ttl_s)
    except ValueError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    typer.echo(console_link(base or base_url(settings.host, settings.port), role, token))

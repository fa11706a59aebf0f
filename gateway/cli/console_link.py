"""`replyguard console-link`: a ready link to the console page of a role, token included."""

from __future__ import annotations

from typing import Annotated

import typer

from gateway.cli.options import RoleOption, ShopOption, TtlOption, UserOption
from gateway.cli.support import issue_token, load_settings


def console_link_command(
    role: RoleOption, user: UserOption, shop: ShopOption, ttl: TtlOption = None,
    base: Annotated[str | None, typer.Option(
        "--base-url", help="where browsers reach the gateway "
                           "[default: http://REPLYGUARD_HOST:REPLYGUARD_PORT]")] = None,
) -> None:
    """Print a console link for ROLE (the token rides in the URL fragment, never sent to the
    server in a request line or kept in its logs)."""
    from gateway.console.links import base_url, console_link

    settings = load_settings()
    token = issue_token(settings, role, user, shop, ttl)
    typer.echo(console_link(base or base_url(settings.host, settings.port), role, token))

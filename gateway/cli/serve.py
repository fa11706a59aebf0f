"""`replyguard serve` (the gateway) and `replyguard token` (a JWT for a client).

`serve` binds its port, then checks Redis and loads the configuration (settings, secret, log
database, lexicons, policy, tone model) before uvicorn starts, so an unusable one is one line on
stderr and exit code 3, not a traceback inside a JSON log line; the cheap checks, and their
imports, come first. In dev mode
(no REPLYGUARD_SECRET: the secret is generated in the data directory) it prints ready-to-use
tokens, so trying the gateway needs no second terminal."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Annotated

import typer

from classifiers.errors import ConfigError
from gateway.cli.options import (
    LexiconOption,
    PolicyOption,
    RoleOption,
    ShopOption,
    TtlOption,
    UserOption,
)
from gateway.cli.support import EXIT_CONFIG, fail, issue_token, load_settings
from gateway.roles import UserRole

if TYPE_CHECKING:
    from classifiers.scorer import Scorer
    from gateway.auth import TokenService
    from gateway.settings import Settings

# The users the dev-mode tokens are for: what the README's walkthrough uses.
DEV_USERS = ((UserRole.AGENT, "a1"), (UserRole.BUYER, "b1"), (UserRole.SUPERVISOR, "sup1"),
             (UserRole.QA, "qa1"))
DEV_SHOP = "s1"


def serve_command(
    host: Annotated[str | None, typer.Option(help="[default: REPLYGUARD_HOST or 127.0.0.1]")]
    = None,
    port: Annotated[int | None, typer.Option(help="[default: REPLYGUARD_PORT or 8000]")] = None,
    lexicons: LexiconOption = None,
    policy: PolicyOption = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning, error")] = "info",
) -> None:
    """Run the websocket gateway (embedded defaults: in-process state, SQLite log)."""
    overrides = {name: value for name, value in (
        ("host", host), ("port", port), ("lexicon_dir", lexicons), ("policy_file", policy))
        if value is not None}
    settings = load_settings(**overrides)
    # the port first: a taken one must not cost a migration and a retention purge
    listener = listen(settings.host, settings.port)
    if settings.port == 0:  # the system chose one: the banner's links and uvicorn need it
        settings = settings.model_copy(update={"port": listener.getsockname()[1]})
    try:
        tokens, scorer = prepare(settings)
    except BaseException:
        listener.close()
        raise
    if settings.secret is None:
        typer.echo("\n".join(dev_banner(settings, tokens)))
    from gateway import logging_setup
    from gateway.server import serve

    logging_setup.configure(log_level)
    serve(settings, scorer=scorer, log_level=log_level, listener=listener)


def prepare(settings: Settings) -> tuple[TokenService, Scorer]:
    """Everything the gateway needs that can be unusable, checked cheapest first."""
    from gateway.auth import TokenService, load_secret
    from gateway.log import StoreUnavailable, open_log

    try:
        if settings.redis_url is not None:
            check_redis(settings.redis_url)
        tokens = TokenService(load_secret(settings))
        # opened once here (URL, reachability, migrations, buyer key) so that a log the
        # gateway cannot use stops it now, in one line; the app opens its own
        key = settings.buyer_key.get_secret_value().encode() if settings.buyer_key else None
        open_log(settings.database_url, settings.data_dir,
                 hash_buyer_ids=settings.hash_buyer_ids, buyer_key=key).close_sync()
        from gateway.runtime import config_source

        scorer = config_source(settings).load()   # the slow one last
    except (ConfigError, StoreUnavailable, ValueError) as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    except OSError as exc:
        raise fail(f"data directory {settings.data_dir}: {exc.strerror or exc}",
                   EXIT_CONFIG) from None
    return tokens, scorer


def listen(host: str, port: int) -> socket.socket:
    """The gateway's listening socket, bound now and handed to uvicorn (so nobody can take the
    port in between); a port in use is one line and exit 3."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        listener = socket.socket(family, kind, proto)
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port} (REPLYGUARD_HOST/--host): "
                   f"{exc.strerror or exc}", EXIT_CONFIG) from None
    try:
        # what uvicorn sets too: a restart need not wait out the old socket's TIME_WAIT
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError as exc:
        listener.close()
        raise fail(f"cannot listen on {host}:{port} (REPLYGUARD_PORT/--port): "
                   f"{exc.strerror or exc}", EXIT_CONFIG) from None
    listener.set_inheritable(True)
    return listener


def check_redis(url: str) -> None:
    """Fail (one line naming REPLYGUARD_REDIS_URL) when the shared state cannot be reached, rather
    than in the app's startup with a traceback."""
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        client = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    except ValueError as exc:
        raise fail(f"REPLYGUARD_REDIS_URL: {exc}", EXIT_CONFIG) from None
    try:
        client.ping()
    except (RedisError, OSError) as exc:
        raise fail(f"REPLYGUARD_REDIS_URL: cannot reach Redis ({exc})", EXIT_CONFIG) from None
    finally:
        client.close()


def dev_banner(settings: Settings, tokens: TokenService) -> list[str]:
    """What `serve` prints in dev mode: where the secret is, a token per role, and a console
    link per page (the same tokens, in the URL fragment)."""
    from gateway.auth import SECRET_FILE
    from gateway.console.links import console_link

    host = "127.0.0.1" if settings.host in ("", "0.0.0.0", "::") else settings.host
    ws = f"ws://{host}:{settings.port}/ws?token="
    http = f"http://{host}:{settings.port}"
    lines = [f"dev mode: tokens are signed with the secret in {settings.data_dir / SECRET_FILE} "
             f"(key {tokens.key_id}); `replyguard token` signs more with the same "
             f"REPLYGUARD_DATA_DIR. Tokens for shop {DEV_SHOP}, valid "
             f"{settings.token_ttl_s / 3600:g} h:"]
    links = ["The console (open each link in a browser tab of its own):"]
    for role, user in DEV_USERS:
        token = tokens.issue(role, user, DEV_SHOP, settings.token_ttl_s)
        chats = role.shop_side or role is UserRole.BUYER
        lines.append(f"  {role} {user}: {ws}{token}" if chats else
                     f"  {role} {user}: curl -H 'Authorization: Bearer {token}' "
                     f"{http}/api/interceptions")
        links.append(f"  {f'{role} {user}:':<16} {console_link(http, role, token)}")
    return [*lines, *links, f"  {'HTTP API:':<16} {http}/docs"]


def token_command(role: RoleOption, user: UserOption, shop: ShopOption,
                  ttl: TtlOption = None) -> None:
    """Print a token signed with the gateway's secret (the token is the last word printed)."""
    typer.echo(issue_token(load_settings(), role, user, shop, ttl))

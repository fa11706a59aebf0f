"""`replyguard lexicon`: list and edit lexicon terms — the shared lexicon or a shop's overlay —
on this host's files, with the same validation, rollback and audit trail as the QA API
(gateway/config/lexicon_edit.py). Whoever runs it can write the files, so it acts platform-wide;
a running gateway picks the change up through its file watcher and passes it to the other
nodes. Heavy imports live inside the commands, so `--help` stays instant."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from gateway.cli.options import LexiconOption, PolicyOption
from gateway.cli.support import EXIT_CONFIG, EXIT_USAGE, fail, load_settings

if TYPE_CHECKING:
    from gateway.auth import Principal
    from gateway.config.lexicon_edit import LexiconEditor
    from gateway.config.live import ReloadEvent

lexicon_app = typer.Typer(no_args_is_help=True, help="List and edit lexicon terms, shared or "
                          "per shop, validated, audited and hot-reloaded like the QA API.")

ShopOption = Annotated[str | None, typer.Option(
    "--shop", help="a shop's overlay (lexicons/shops/SHOP/) [default: the shared lexicon]")]
Category = Annotated[str, typer.Argument(help="category (file name), or allow")]
Term = Annotated[str, typer.Argument(help="the term as written")]
UserOption = Annotated[str | None, typer.Option(
    "--user", help="who is recorded in the audit trail [default: the login name]")]


@lexicon_app.command("list")
def list_command(
    category: Annotated[str | None, typer.Argument(
        help="list this category's terms [default: the categories]")] = None,
    shop: ShopOption = None,
    contains: Annotated[str | None, typer.Option("--contains", help="terms containing this")]
    = None,
    lexicons: LexiconOption = None,
) -> None:
    """The categories with their number of terms, or one category's terms."""
    from gateway.config.lexicon_edit import LexiconFiles

    target = _shop(shop)
    editor = LexiconFiles(lexicons or load_settings().lexicon_dir)
    with _errors():
        if category is None:
            for name, path in editor.files(target).items():
                count = len(editor.terms(name, shop=target))
                typer.echo(f"{name}\t{count}\t{path.relative_to(editor.directory).as_posix()}")
            return
        for term in editor.terms(category, contains, target):
            typer.echo(f"{term.text}\tseverity={term.severity} mode={term.mode} "
                       f"variants={term.variants}\t{term.source}")


@lexicon_app.command("add")
def add_command(
    category: Category,
    term: Term,
    shop: ShopOption = None,
    severity: Annotated[int | None, typer.Option(min=1, max=3, help="1 mild … 3 severe")]
    = None,
    mode: Annotated[Literal["substring", "word", "message"] | None, typer.Option(
        help="substring, word or message")] = None,
    variants: Annotated[Literal["none", "latin", "pinyin", "initials"] | None, typer.Option(
        help="none, pinyin or initials")] = None,
    user: UserOption = None,
    lexicons: LexiconOption = None,
    policy: PolicyOption = None,
) -> None:
    """Add TERM to CATEGORY; the whole configuration must still build, or nothing changes."""
    from gateway.config.lexicon_edit import TermOptions

    options = TermOptions(severity, mode, variants)
    _edit(lexicons, policy, user, shop, lambda editor, principal, target: editor.add(
        principal, category, term, options, target))


@lexicon_app.command("remove")
def remove_command(
    category: Category,
    term: Term,
    shop: ShopOption = None,
    user: UserOption = None,
    lexicons: LexiconOption = None,
    policy: PolicyOption = None,
) -> None:
    """Remove TERM's line from CATEGORY."""
    _edit(lexicons, policy, user, shop, lambda editor, principal, target: editor.remove(
        principal, category, term, target))


@lexicon_app.command("audit")
def audit_command(
    shop: Annotated[str | None, typer.Option(
        "--shop", help="only the changes of this shop's overlay")] = None,
    limit: Annotated[int, typer.Option(min=1, help="the newest N changes")] = 100,
) -> None:
    """The audit trail of lexicon changes (API and CLI), oldest first, as JSON lines."""
    import json

    from gateway.config.lexicon_edit import AUDIT_FILE, read_audit

    path = load_settings().data_dir.expanduser() / AUDIT_FILE
    for entry in read_audit(path, limit, None if shop is None else frozenset({shop})):
        typer.echo(json.dumps(entry, ensure_ascii=False))


def _edit(lexicons: Path | None, policy: Path | None, user: str | None, shop: str | None,
          change: Callable[[LexiconEditor, Principal, str | None], Coroutine[Any, Any, ReloadEvent]]
          ) -> None:
    """Run one change on the editor and print its result."""
    target = _shop(shop)
    editor, principal = _editor(lexicons, policy, user)
    with _errors():
        event = asyncio.run(change(editor, principal, target))
    typer.echo(f"{event.result}: configuration {event.version}")


def _editor(lexicons: Path | None, policy: Path | None,
            user: str | None) -> tuple[LexiconEditor, Principal]:
    from classifiers.errors import ConfigError
    from gateway.auth import ALL_SHOPS, Principal, UserRole
    from gateway.config.lexicon_edit import AUDIT_FILE, LexiconEditor
    from gateway.config.live import ConfigSource, LiveConfig

    settings = load_settings()
    source = ConfigSource.of(settings).with_files(lexicons, policy)
    try:
        live = LiveConfig.load(source)
    except ConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    editor = LexiconEditor(live, settings.data_dir.expanduser() / AUDIT_FILE, origin="cli")
    return editor, Principal(UserRole.QA, user or getpass.getuser(), ALL_SHOPS)


def _shop(shop: str | None) -> str | None:
    from classifiers.lexicon import is_shop_name

    if shop is None or shop == "*":
        return None
    if not is_shop_name(shop):
        raise fail(f"shop {shop!r}: use 1-64 of A-Z a-z 0-9 _ . @ - (not starting with .)",
                   EXIT_USAGE)
    return shop


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """Our exceptions as a one-line message and exit code: 3 when the change does not build,
    2 for anything wrong with the request itself."""
    from classifiers.errors import ConfigError
    from gateway.errors import ConfigRejected, GatewayError

    try:
        yield
    except (ConfigError, ConfigRejected) as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    except GatewayError as exc:
        raise fail(str(exc), EXIT_USAGE) from None

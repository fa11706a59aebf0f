"""`replyguard log purge`: apply the retention period once, from the command line (the gateway
does the same daily; see gateway/log/retention.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.cli.support import EXIT_CONFIG, EXIT_USAGE, fail, load_settings

log_app = typer.Typer(no_args_is_help=True, help="Maintain the interception log.")


@log_app.command("purge")
def purge_command(
    days: Annotated[int | None, typer.Option(
        "--days", help="delete records older than this many days "
                       "[default: REPLYGUARD_RETENTION_DAYS]")] = None,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="log database [default: REPLYGUARD_DATABASE_URL or SQLite in "
                               "the data directory]")] = None,
) -> None:
    """Delete interception records older than the retention period; prints how many."""
    import asyncio

    from gateway.log import StoreUnavailable

    settings = load_settings()
    if days is not None and days <= 0:
        raise fail(f"--days {days}: give a positive number of days", EXIT_USAGE)
    keep = settings.retention_days if days is None else days
    if keep <= 0:
        raise fail("retention is 0 days (keep everything): nothing to purge; give --days N",
                   EXIT_USAGE)
    try:
        deleted = asyncio.run(_purge(database_url or settings.database_url,
                                     settings.data_dir, keep))
    except StoreUnavailable as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    typer.echo(f"purged {deleted} records older than {keep} days")


async def _purge(url: str | None, data_dir: Path, days: int) -> int:
    import asyncio

    from gateway.log import open_log
    from gateway.log.retention import cutoff

    log = await asyncio.to_thread(open_log, url, data_dir, create=False)
    try:
        return await log.purge(cutoff(days))
    finally:
        await log.close()

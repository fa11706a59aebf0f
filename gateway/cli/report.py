"""`replyguard report`: what the interception log says about a recent window.

    replyguard report --since 7d [--shop S] [--json] [--png FILE] [--database-url URL]

Interceptions by category and by agent, the most matched terms, the send-anyway and
edit-then-pass rates, and confirmed vs false-positive reviews. Reads the log the gateway
writes (REPLYGUARD_DATABASE_URL, or the SQLite file in REPLYGUARD_DATA_DIR).
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gateway.cli.support import EXIT_CONFIG, EXIT_USAGE, fail, load_settings

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from gateway.log import LogFilter, LogStats

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# CJK-capable families matplotlib may find; without one, chart labels fall back to ASCII
_CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
              "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC")
_TOP = 10


def parse_since(text: str, now: datetime) -> datetime:
    """`7d`, `24h`, `30m`, `2w` before `now`, or an ISO date/time (UTC unless it says)."""
    found = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text)
    if found:
        return now - timedelta(**{_UNITS[found[2]]: int(found[1])})
    try:
        since = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--since {text!r}: use a duration like 7d, 24h, 30m, 2w or an ISO "
                         "date like 2025-03-01") from None
    return since if since.tzinfo is not None else since.replace(tzinfo=UTC)


def report_command(
    since: Annotated[str, typer.Option(help="window start: 7d, 24h, 2w or an ISO date")] = "7d",
    shop: Annotated[str | None, typer.Option(help="only this shop")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    png: Annotated[Path | None, typer.Option(help="also write a chart to this PNG file")] = None,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="log database [default: REPLYGUARD_DATABASE_URL or SQLite in "
                               "the data directory]")] = None,
) -> None:
    """Summarise the interception log: categories, agents, terms, override and edit rates."""
    now = datetime.now(UTC)
    try:
        start = parse_since(since, now)
    except ValueError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    import asyncio

    from gateway.log import LogFilter, StoreUnavailable

    settings = load_settings()
    filters = LogFilter(since=start, shops=frozenset({shop}) if shop else None)
    try:
        stats = asyncio.run(_stats(database_url or settings.database_url, settings.data_dir,
                                   filters))
    except StoreUnavailable as exc:
        raise fail(str(exc), EXIT_CONFIG) from None
    if as_json:
        data = {"since": start.isoformat(), "until": now.isoformat(), "shop": shop,
                **stats.to_dict()}
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        from rich.console import Console

        print_report(Console(), stats, start, shop)
    if png is not None:
        try:
            write_chart(stats, png, start)
        except OSError as exc:
            raise fail(f"cannot write {png}: {exc.strerror or exc}", EXIT_USAGE) from None


async def _stats(url: str | None, data_dir: Path, filters: LogFilter) -> LogStats:
    import asyncio

    from gateway.log import open_log

    log = await asyncio.to_thread(open_log, url, data_dir, create=False)
    try:
        return await log.stats(filters)
    finally:
        await log.close()


def print_report(console: Console, stats: LogStats, start: datetime, shop: str | None) -> None:
    from rich.table import Table

    scope = f" for shop {shop}" if shop else ""
    console.print(f"[bold]{stats.total}[/] interceptions since {start:%Y-%m-%d %H:%M} UTC{scope}",
                  highlight=False)
    summary = Table("figure", "value", title="rates", title_justify="left")
    summary.add_row("send anyway after suggest-edit",
                    _rate(stats.send_anyway_rate, stats.overridden, stats.suggest_edits))
    summary.add_row("edited, then passed (of held for an edit)",
                    _rate(stats.edit_then_pass_rate, stats.edited, stats.held))
    summary.add_row("warnings acknowledged", str(stats.acknowledged))
    summary.add_row("reviewed: confirmed / false positive",
                    f"{stats.confirmed} / {stats.false_positives}")
    summary.add_row("false-positive rate (reviewed)",
                    _rate(stats.false_positive_rate, stats.false_positives,
                          stats.confirmed + stats.false_positives))
    summary.add_row("appeals (upheld / reviewed)",
                    f"{stats.appealed} ({stats.appeals_upheld} / {stats.appealed_reviewed})")
    console.print(summary)
    for title, counts in (("by category", stats.by_category), ("by agent", stats.by_user),
                          ("by tier", stats.by_tier)):
        console.print(_counts_table(title, counts))
    terms = Table("term", "category", "records", title="top matched terms", title_justify="left")
    for term, category, count in stats.top_terms[:_TOP]:
        terms.add_row(term, category, str(count))
    console.print(terms)


def _counts_table(title: str, counts: dict[str, int]) -> Table:
    from rich.table import Table

    table = Table("", "records", title=title, title_justify="left")
    for key, count in sorted(counts.items(), key=lambda kv: -kv[1])[:_TOP]:
        table.add_row(key, str(count))
    return table


def _rate(rate: float | None, part: int, whole: int) -> str:
    return "-" if rate is None else f"{rate:.1%} ({part}/{whole})"


def write_chart(stats: LogStats, path: Path, start: datetime) -> None:
    import matplotlib
    matplotlib.use("Agg")  # no display: the report runs on servers and in CI
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    cjk = next((name for name in _CJK_FONTS if name in installed), None)
    if cjk is not None:
        plt.rcParams["font.sans-serif"] = [cjk, *plt.rcParams["font.sans-serif"]]

    def label(text: str) -> str:
        return text if cjk is not None or text.isascii() else text.encode(
            "ascii", "backslashreplace").decode()

    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4.5))
    for axis, title, counts in ((left, "by category", stats.by_category),
                                (middle, "by agent", stats.by_user)):
        top = sorted(counts.items(), key=lambda kv: -kv[1])[:_TOP]
        axis.barh([label(k) for k, _ in reversed(top)], [v for _, v in reversed(top)])
        axis.set_title(title)
    days = sorted(stats.by_day.items())
    right.bar([d[5:] for d, _ in days], [v for _, v in days])
    right.set_title("by day (UTC)")
    right.tick_params(axis="x", labelrotation=45)
    figure.suptitle(f"ReplyGuard interceptions since {start:%Y-%m-%d} ({stats.total})")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)

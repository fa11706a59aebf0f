"""Interception log speed on SQLite and PostgreSQL, side by side.

    python bench/bench_log.py [--records 1000000] [--runs 7] [--postgres-url URL]
                              [--backends sqlite,postgresql]

Fills each backend with `--records` synthetic records spread over 180 days (500 shops of very
different sizes, 20 agents each, a realistic tier and category mix; bulk loaded, not timed),
then prints for each realistic supervisor filter the median time of one 50-record page through the
store API (thread hop and record decoding included), and the sustained append rate: durable
appends one at a time, durable appends from 64 concurrent conversations (group commit), and
batched appends. Without --postgres-url a throwaway server is started from Debian's binaries,
with durable settings (fsync on), so the append figures mean what they say.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, insert, text  # noqa: E402

from bench.pgserver import PostgresServer  # noqa: E402
from classifiers.results import Role  # noqa: E402
from classifiers.tiers import Tier  # noqa: E402
from gateway.log import (  # noqa: E402
    InterceptionRecord,
    LogFilter,
    Outcome,
    SqlInterceptionLog,
    new_record_id,
    open_log,
)
from gateway.log.filters import Cursor  # noqa: E402
from gateway.log.records import Appeal  # noqa: E402
from gateway.log.schema import appeals, categories, outcome_changes, records  # noqa: E402
from gateway.log.writes import (  # noqa: E402
    appeal_rows,
    category_rows,
    first_outcome_row,
    record_row,
)

END = datetime(2025, 6, 1, tzinfo=UTC)
SPAN = timedelta(days=180)
SHOPS = [f"shop-{i:03d}" for i in range(500)]
SHOP_WEIGHTS = [1 / (rank + 1) for rank in range(len(SHOPS))]   # a few big shops, a long tail
MID_SHOP = SHOPS[50]
# tier → (weight, category, outcomes)
TIERS = {
    Tier.NOTICE: (45, "perfunctory", [Outcome.DELIVERED, Outcome.ACKNOWLEDGED]),
    Tier.SUGGEST_EDIT: (25, "cold", [Outcome.OVERRIDDEN, Outcome.EDITED, Outcome.EXPIRED]),
    Tier.FORCE_EDIT: (8, "sarcasm", [Outcome.EDITED, Outcome.EXPIRED]),
    Tier.BLOCK: (12, "off_platform", [Outcome.BLOCKED, Outcome.EDITED]),
    Tier.BLOCK_WITH_WARNING: (6, "abuse", [Outcome.ACKNOWLEDGED, Outcome.BLOCKED]),
    Tier.ROUTE_TO_HUMAN: (4, "escalation", [Outcome.ROUTED]),
}
TEXTS = ["嗯", "不知道", "爱买不买，随便你", "呵呵，您说呢", "加我微信 wx123 私聊", "你是不是傻",
         "这个问题我处理不了", "亲，已经说过很多次了", "要退款找快递去", "哦", "自己看详情页",
         "投诉也没用"]
RARE_TERM = "退货地址"      # in about 1 record in 10,000
BATCH = 20_000


def synthetic(count: int, seed: int = 7) -> Iterator[InterceptionRecord]:
    rng = random.Random(seed)
    tiers = list(TIERS)
    weights = [TIERS[t][0] for t in tiers]
    step = SPAN / count
    for index in range(count):
        tier = rng.choices(tiers, weights)[0]
        _, category, outcomes = TIERS[tier]
        cats = (category, "discrimination") if tier is Tier.BLOCK_WITH_WARNING and \
            rng.random() < 0.1 else (category,)
        shop = rng.choices(SHOPS, SHOP_WEIGHTS)[0]
        body = rng.choice(TEXTS) + (f"，{RARE_TERM}" if rng.random() < 0.0001 else "")
        record_id = new_record_id()
        appealed = END - timedelta(days=1) if rng.random() < 0.005 else None
        yield InterceptionRecord(
            id=record_id, time=END - SPAN + step * index, shop=shop,
            user=f"{shop}-agent-{rng.randrange(20)}", conversation=f"c{rng.randrange(10**9)}",
            role=Role.AGENT, text=f"{body} #{index}", normalized=body, tier=tier,
            rule=category, reason=f"{category} rule", categories=cats,
            matches=({"term": body[:2], "category": category, "severity": 2, "start": 0,
                      "end": 2, "text": body[:2], "mode": "substring", "view": "base",
                      "trace": [], "evasion": False},),
            tone=None, version="bench-1", outcome=rng.choice(outcomes),
            buyer=f"b{rng.randrange(10**6)}",
            appealed_at=appealed,
            appeals=(Appeal(record_id, "买家自己要的", appealed),) if appealed else ())


def sqlite_text_index() -> tuple[str, ...]:
    """The statements of revision 0003 that create and fill SQLite's trigram index."""
    path = (Path(__file__).resolve().parent.parent / "gateway" / "log" / "migrations" /
            "versions" / "0003_sqlite_text_search.py")
    spec = importlib.util.spec_from_file_location("revision_0003", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    statements: tuple[str, ...] = module.STATEMENTS
    return statements


def bulk_load(engine: Engine, count: int) -> float:
    """Load `count` records with the indexes (and SQLite's trigram index, whose triggers would
    index row by row) dropped, then build them: the fast way in."""
    started = time.perf_counter()
    indexes = [ix for table in (records, categories, outcome_changes, appeals)
               for ix in table.indexes]
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as connection:
        for index in indexes:
            index.drop(connection)
        if sqlite:
            for statement in ("DROP TRIGGER interceptions_fts_insert",
                              "DROP TRIGGER interceptions_fts_delete",
                              "DROP TABLE interceptions_fts", "DROP TABLE interceptions_fts_map"):
                connection.execute(text(statement))
    generated = synthetic(count)
    while chunk := [r for _, r in zip(range(BATCH), generated)]:
        with engine.begin() as connection:
            connection.execute(insert(records), [record_row(r) for r in chunk])
            connection.execute(insert(categories), [c for r in chunk for c in category_rows(r)])
            connection.execute(insert(outcome_changes), [first_outcome_row(r) for r in chunk])
            appeal = [a for r in chunk for a in appeal_rows(r)]
            if appeal:
                connection.execute(insert(appeals), appeal)
    with engine.begin() as connection:
        for index in indexes:
            index.create(connection)
        if sqlite:  # revision 0003 again: table, backfill in one pass, triggers
            for statement in sqlite_text_index():
                connection.execute(text(statement))
        connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


async def page_time(log: SqlInterceptionLog, filters: LogFilter, cursor: str | None,
                    runs: int) -> tuple[float, int]:
    timings = []
    found = 0
    for _ in range(runs):
        started = time.perf_counter()
        page = await log.query(filters, cursor, limit=50)
        timings.append((time.perf_counter() - started) * 1000)
        found = len(page.items)
    return statistics.median(timings), found


async def listing(log: SqlInterceptionLog, runs: int) -> dict[str, tuple[float, int]]:
    shop = frozenset({MID_SHOP})
    day = END - timedelta(days=90)
    first = await log.query(LogFilter(shops=shop), limit=50)
    second = first.next_cursor or Cursor(END, "").encode()
    cases = {
        "newest page, no filter": (LogFilter(), None),
        "shop + tier": (LogFilter(shops=shop, tiers=frozenset({Tier.SUGGEST_EDIT})), None),
        "category (abuse)": (LogFilter(category="abuse"), None),
        "rare category (discrimination)": (LogFilter(category="discrimination"), None),
        "time range (one day)": (LogFilter(since=day, until=day + timedelta(days=1)), None),
        "shop + text contains": (LogFilter(shops=shop, text_contains="微信"), None),
        "text contains (all shops)": (LogFilter(text_contains="微信"), None),
        "rare text (all shops, 1e-4)": (LogFilter(text_contains=RARE_TERM), None),
        "shop, page 2 via cursor": (LogFilter(shops=shop), second),
        "appealed only": (LogFilter(appealed_only=True), None),
    }
    return {name: await page_time(log, f, c, runs) for name, (f, c) in cases.items()}


async def append_rates(log: SqlInterceptionLog, count: int) -> dict[str, float]:
    template = next(synthetic(1, seed=99))
    now = datetime.now(UTC)

    def fresh() -> InterceptionRecord:
        return replace(template, id=new_record_id(), time=now)

    rates = {}
    sequential = max(50, count // 20)
    started = time.perf_counter()
    for _ in range(sequential):
        await log.append(fresh(), durable=True)
    rates["durable, one at a time"] = sequential / (time.perf_counter() - started)

    async def conversation(n: int) -> None:
        for _ in range(n):
            await log.append(fresh(), durable=True)
    started = time.perf_counter()
    await asyncio.gather(*(conversation(count // 64 + 1) for _ in range(64)))
    rates["durable, 64 concurrent"] = 64 * (count // 64 + 1) / (time.perf_counter() - started)

    started = time.perf_counter()
    for _ in range(count):
        await log.append(fresh(), durable=False)
    await log.flush()
    rates["batched (+ flush)"] = count / (time.perf_counter() - started)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--appends", type=int, default=20_000,
                        help="records per append-rate measurement")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", help="an empty database to fill (default: a "
                                               "throwaway server)")
    args = parser.parse_args()
    backends = args.backends.split(",")
    results: dict[str, dict[str, tuple[float, int]]] = {}
    rates: dict[str, dict[str, float]] = {}
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-log-")))
        for backend in backends:
            if backend == "sqlite":
                url = f"sqlite:///{workdir / 'log.sqlite3'}"
            elif args.postgres_url:
                url = args.postgres_url
            else:
                server = stack.enter_context(PostgresServer.start())
                url = server.create_database("bench")
            log = open_log(url, workdir)
            try:
                seconds = bulk_load(log.engine, args.records)
                print(f"{backend}: loaded {args.records:,} records in {seconds:.0f} s",
                      flush=True)
                results[backend] = asyncio.run(listing(log, args.runs))
                rates[backend] = asyncio.run(append_rates(log, min(args.appends, args.records)))
            finally:
                log.close_sync()
    print(f"\nfiltered listing, 50-record page, median of {args.runs} runs, ms "
          f"({args.records:,} records)")
    print(f"{'filter':34}" + "".join(f"{b:>22}" for b in backends))
    for name in results[backends[0]]:
        cells = "".join(f"{results[b][name][0]:>13.1f} ({results[b][name][1]:>3} rows)"
                        for b in backends)
        print(f"{name:34}{cells}")
    print("\nappend rate, records/s")
    for name in rates[backends[0]]:
        print(f"{name:34}" + "".join(f"{rates[b][name]:>22,.0f}" for b in backends))


if __name__ == "__main__":
    main()

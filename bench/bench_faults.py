"""The fault scenarios of tests/gateway/test_faults.py at full size: two `replyguard serve` nodes
on one redis-server, 200 conversations (20 agents) at one buyer message per second each plus the
agents' replies, a fault mid-run; prints what was sent, accepted, intercepted, refused,
delivered, lost, duplicated, delivered although blocked, answered contradictorily, and which
seen interceptions are in the log (`bench/faults.py` defines each figure).

    python bench/bench_faults.py [--conversations 200] [--agents 20] [--seconds 30]
                                 [--only redis-restart,redis-restart-empty,kill-9,invalid-config]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.faults import Size, gateway_kill, invalid_config, redis_restart  # noqa: E402
from bench.redisserver import RedisServer  # noqa: E402

COLUMNS = ("sent", "accepted", "intercepted", "refused", "unanswered", "delivered", "lost",
           "duplicated", "blocked_delivered", "contradictory", "out_of_order", "durable_seen",
           "durable_logged", "reconnects")


def scenarios(size: Size) -> dict[str, Callable[[Path], Coroutine[Any, Any, dict[str, Any]]]]:
    async def restart(root: Path, persistent: bool) -> dict[str, Any]:
        with RedisServer.start(persistent=persistent) as redis:
            return await redis_restart(root, redis, size)

    async def with_redis(root: Path, run: Callable[[Path, str, Size],
                                                   Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        with RedisServer.start(persistent=True) as redis:
            return await run(root, redis.url, size)

    return {"redis-restart": lambda root: restart(root, True),
            "redis-restart-empty": lambda root: restart(root, False),
            "kill-9": lambda root: with_redis(root, gateway_kill),
            "invalid-config": lambda root: with_redis(root, invalid_config)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--rate", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    size = Size(args.conversations, args.agents, args.rate, args.seconds)
    chosen = scenarios(size)
    if args.only:
        chosen = {k: v for k, v in chosen.items() if k in args.only.split(",")}
    print(f"{size.conversations} conversations, {size.agents} agents, buyers at {size.rate}/s "
          f"each for {size.seconds:.0f} s; two nodes on one Redis")
    print("scenario".ljust(22) + "".join(c.replace("_", " ")[:12].rjust(13) for c in COLUMNS))
    for name, run in chosen.items():
        root = Path(tempfile.mkdtemp(prefix=f"bench-faults-{name}-"))
        try:
            result = asyncio.run(run(root))
        finally:
            shutil.rmtree(root, ignore_errors=True)
        print(name.ljust(22) + "".join(str(result[c]).rjust(13) for c in COLUMNS), flush=True)
        extra = {k: v for k, v in result.items() if k not in COLUMNS}
        print(" " * 22 + ", ".join(f"{k}: {v}" for k, v in extra.items()), flush=True)


if __name__ == "__main__":
    main()

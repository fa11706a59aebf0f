"""Load and soak: 1,000 concurrent conversations for 60 s through two `replyguard serve` nodes
on one redis-server (buyers and their agents on different nodes where possible). Each buyer
writes at a steady pace and its agent answers every message (one reply in five is an
off-platform one the policy blocks), so both directions cross nodes. Checked: every accepted
message delivered exactly once and in order per conversation and direction; printed: the
messages, p50/p99 from send to receipt (one monotonic clock in the client), and each node's
resident memory before and after the run. The client runs in this process, so on a small
machine it shares the cores with the nodes: figures are for comparing runs on one machine.

    python bench/bench_soak.py [--conversations 1000] [--agents 50] [--rate 0.2] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.faults import Traffic, logged, percentile, two_nodes  # noqa: E402
from bench.redisserver import RedisServer  # noqa: E402


async def soak(root: Path, conversations: int, agents: int, rate: float,
               seconds: float) -> None:
    with RedisServer.start(persistent=True) as redis:
        nodes = await asyncio.to_thread(two_nodes, root, redis.url,
                                        REPLYGUARD_PRESENCE_TTL_S="60")
        try:
            before = {n.name: n.rss_kib() for n in nodes}
            traffic = Traffic(lambda: nodes, conversations, agents, rate)
            started = time.perf_counter()
            await traffic.start()
            connected = time.perf_counter() - started
            await traffic.run(seconds)
            await traffic.settle(60)
            elapsed = time.perf_counter() - started - connected
            after = {n.name: n.rss_kib() for n in nodes}
            await traffic.close()
            summary = traffic.ledger.summary(await asyncio.to_thread(logged, nodes))
        finally:
            for node in nodes:
                node.stop()
    latencies = traffic.ledger.latencies
    print(f"{conversations} conversations ({agents} agents) on two nodes, buyers at {rate}/s "
          f"each for {seconds:.0f} s; {conversations + agents} sockets opened in "
          f"{connected:.1f} s")
    print(f"sent {summary['sent']}, accepted {summary['accepted']}, intercepted "
          f"{summary['intercepted']}, refused {summary['refused']}, unanswered "
          f"{summary['unanswered']} ({summary['sent'] / elapsed:.0f} messages/s)")
    print(f"delivered {summary['delivered']}, lost {summary['lost']}, duplicated "
          f"{summary['duplicated']}, out of order {summary['out_of_order']}, blocked "
          f"delivered {summary['blocked_delivered']}, contradictory "
          f"{summary['contradictory']}; interceptions seen {summary['durable_seen']}, "
          f"logged {summary['durable_logged']}")
    print(f"latency send → receipt: p50 {percentile(latencies, 0.5):.1f} ms, "
          f"p99 {percentile(latencies, 0.99):.1f} ms ({len(latencies)} messages)")
    for name in before:
        print(f"{name} RSS: {before[name] / 1024:.0f} MiB before, {after[name] / 1024:.0f} MiB "
              f"after (+{(after[name] - before[name]) / 1024:.0f} MiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    try:
        asyncio.run(soak(root, args.conversations, args.agents, args.rate, args.seconds))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

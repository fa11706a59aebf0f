"""Relay benchmark: what moderation costs the websocket gateway, side by side in one run.

For 1, 100 and 1,000 concurrent conversations, a real `replyguard serve` (one process, embedded
defaults) is started twice: with moderation on (the shipped lexicons, tone model and policy) and
off (`REPLYGUARD_MODERATION=false`: every message relayed unscored). A client in a separate
process connects the agents and buyers over loopback and measures:

- round-trip latency agent → buyer (send to receipt, one monotonic clock in the client), paced
  so the gateway is not saturated: p50 and p99;
- throughput: every conversation sends its next reply as soon as the previous one arrived
  (closed loop) for a fixed time: delivered messages per second;
- the gateway's CPU time (user + system, /proc) per delivered message in the closed loop, the
  figure least disturbed by other jobs on a shared machine, and the gateway's own mean scoring
  time (`replyguard_scoring_seconds`).

Replies are real service replies from ../shared/eval-data that the shipped policy delivers
untouched (tier none), so both runs deliver the same messages and the moderated run pays the
full scoring cost of each. (Replies that earn a notice are left out: the policy's repeat-offence
escalation would start holding a benchmark agent who sends dozens of them a second.) Each
conversation sends one reply a second in the paced phase — a very brisk agent — so 100
conversations are 100 messages/s and 1,000 are 1,000/s. Every size runs `--rounds` times,
moderation off and on alternating, and the medians over rounds are printed. Ratios are taken
within the run; the machine is shared and noisy.

    python bench/bench_relay.py [--conversations 1,100,1000] [--seconds 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.datasets import SERVICE_REPLIES, service_replies  # noqa: E402
from classifiers.resources import (  # noqa: E402
    default_intent_model,
    default_lexicon_dir,
    default_policy_file,
    default_tone_model,
    default_training_data,
)
from classifiers.scorer import Scorer  # noqa: E402
from classifiers.tiers import Tier  # noqa: E402
from classifiers.tone.training import read_labelled  # noqa: E402

SECRET = "bench-relay-secret-" + "x" * 32
SHOP = "bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def delivered_replies(limit: int) -> list[str]:
    """Distinct real replies the shipped policy delivers untouched (the project's own polite
    training replies where the shared data is absent)."""
    scorer = Scorer.load(default_lexicon_dir(), default_policy_file(),
                         tone_model=default_tone_model(),
                         intent_model=default_intent_model())
    if SERVICE_REPLIES["ecd_taobao"][0].exists():
        texts = sorted({t for name in SERVICE_REPLIES for t in service_replies(name)})
    else:
        texts = sorted({row.text for path in default_training_data()
                        for row in read_labelled(path) if row.label == "polite"})
    random.Random(7).shuffle(texts)
    kept = [t for t in texts if len(t) <= 500 and scorer.score(t).tier is Tier.NONE]
    return kept[:limit]


class Gateway:
    """A `replyguard serve` process on a free port, output to a file."""

    def __init__(self, moderation: bool, conversations: int) -> None:
        self.port = free_port()
        self.home = Path(tempfile.mkdtemp(prefix="bench-relay-"))
        env = {**os.environ, "REPLYGUARD_DATA_DIR": str(self.home),
               "REPLYGUARD_SECRET": SECRET, "REPLYGUARD_MODERATION": str(moderation).lower(),
               "REPLYGUARD_WATCH_CONFIG": "false", "REPLYGUARD_RATE_PER_S": "1000000",
               "REPLYGUARD_RATE_BURST": "1000000", "REPLYGUARD_PRESENCE_TTL_S": "3600"}
        self.output = (self.home / "gateway.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--port", str(self.port),
             "--log-level", "warning"], env=env, cwd=REPO, stdout=self.output,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gateway did not start: "
                                       + (self.home / "gateway.log").read_text()) from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.output.close()
        shutil.rmtree(self.home, ignore_errors=True)


# --- the client (runs in its own process) ----------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scoring_mean_us(port: int) -> float:
    """Mean of the gateway's own replyguard_scoring_seconds histogram, in µs (nan if none)."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    values = {}
    for line in text.splitlines():
        for key in ("replyguard_scoring_seconds_sum", "replyguard_scoring_seconds_count"):
            if line.startswith(key + " "):
                values[key] = float(line.split()[1])
    count = values.get("replyguard_scoring_seconds_count", 0.0)
    return values["replyguard_scoring_seconds_sum"] / count * 1e6 if count else float("nan")


async def client(port: int, conversations: int, seconds: float, interval: float,
                 texts: list[str], gateway_pid: int) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    from gateway.auth import TokenService, UserRole

    tokens = TokenService(SECRET)
    url = f"ws://127.0.0.1:{port}/ws?token="
    agent_count = max(1, min(20, conversations // 50))
    agents = [await connect(url + tokens.issue(UserRole.AGENT, f"a{i}", SHOP, 3600),
                            max_queue=None) for i in range(agent_count)]
    for agent in agents:
        await agent.send(json.dumps({"type": "presence", "status": "online"}))
    buyers = []
    for i in range(conversations):
        buyers.append(await connect(url + tokens.issue(UserRole.BUYER, f"b{i}", SHOP, 3600),
                                    max_queue=None))
    # each buyer opens its conversation; reception hands it to the least-loaded agent
    owner: dict[str, Any] = {}
    waiting = {f"{SHOP}:b{i}" for i in range(conversations)}

    all_assigned = asyncio.Event()

    async def read_assignments(agent: Any) -> None:
        while True:
            frame = json.loads(await agent.recv())
            if frame["type"] == "message" and frame.get("conversation") in waiting:
                owner[frame["conversation"]] = agent
                waiting.discard(frame["conversation"])
                if not waiting:
                    all_assigned.set()

    readers = [asyncio.create_task(read_assignments(a)) for a in agents]
    for i, buyer in enumerate(buyers):
        await buyer.send(json.dumps({"type": "message", "id": f"hello{i}", "text": "你好"}))
    await asyncio.wait_for(all_assigned.wait(), timeout=120)
    for reader in readers:  # the other agents are still waiting in recv()
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)

    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    arrived: dict[str, asyncio.Event] = {}
    counter = 0

    async def drain_agent(agent: Any) -> None:  # verdicts and notices: read, not timed
        async for _ in agent:
            pass

    async def read_buyer(buyer: Any) -> None:
        async for raw in buyer:
            frame = json.loads(raw)
            if frame["type"] == "message" and frame["id"] in sent_at:
                latencies.append(time.perf_counter() - sent_at.pop(frame["id"]))
                event = arrived.pop(frame["id"], None)
                if event is not None:
                    event.set()

    background = [asyncio.create_task(drain_agent(a)) for a in agents]
    background += [asyncio.create_task(read_buyer(b)) for b in buyers]

    async def converse(index: int, until: float, paced: bool) -> int:
        nonlocal counter
        conversation = f"{SHOP}:b{index}"
        agent = owner[conversation]
        done = 0
        rng = random.Random(index)
        if paced:  # spread the conversations over the interval
            await asyncio.sleep(rng.random() * interval)
        while time.perf_counter() < until:
            counter += 1
            message_id = f"r{counter}"
            event = asyncio.Event()
            arrived[message_id] = event
            sent_at[message_id] = time.perf_counter()
            await agent.send(json.dumps({"type": "message", "id": message_id,
                                         "conversation": conversation,
                                         "text": texts[counter % len(texts)]}))
            try:
                await asyncio.wait_for(event.wait(), timeout=30)
            except TimeoutError:
                break
            done += 1
            if paced:
                await asyncio.sleep(interval)
        return done

    # paced phase: latency without saturation
    end = time.perf_counter() + seconds
    await asyncio.gather(*(converse(i, end, True) for i in range(conversations)))
    paced = sorted(latencies)
    latencies.clear()
    # closed loop: throughput, and the gateway's CPU time per delivered message
    cpu_before = cpu_seconds(gateway_pid)
    start = time.perf_counter()
    end = start + seconds
    delivered = sum(await asyncio.gather(*(converse(i, end, False)
                                           for i in range(conversations))))
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(gateway_pid) - cpu_before
    for task in background:
        task.cancel()
    for ws in [*agents, *buyers]:
        await ws.close()

    def pick(q: float) -> float:
        return paced[min(len(paced) - 1, int(q * len(paced)))] * 1000 if paced else float("nan")

    return {"conversations": conversations, "paced_messages": len(paced),
            "p50_ms": pick(0.50), "p99_ms": pick(0.99),
            "mean_ms": statistics.fmean(paced) * 1000 if paced else float("nan"),
            "throughput": delivered / elapsed,
            "cpu_us": cpu / max(1, delivered) * 1e6, "scoring_us": scoring_mean_us(port)}


def run_client(gateway: Gateway, conversations: int, seconds: float, texts_file: Path
               ) -> dict[str, Any]:
    interval = 1.0
    port = gateway.port
    result = subprocess.run(
        [sys.executable, __file__, "--client", "--gateway-pid", str(gateway.process.pid),
         "--port", str(port), "--conversations",
         str(conversations), "--seconds", str(seconds), "--interval", str(interval),
         "--texts", str(texts_file)], cwd=REPO, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"client failed:\n{result.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", default="1,100,1000")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--interval", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--gateway-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        texts = json.loads(args.texts.read_text(encoding="utf-8"))
        result = asyncio.run(client(args.port, int(args.conversations), args.seconds,
                                    args.interval, texts, args.gateway_pid))
        print(json.dumps(result))
        return
    sizes = [int(n) for n in args.conversations.split(",")]
    scratch = Path(tempfile.mkdtemp(prefix="bench-relay-"))
    texts_file = scratch / "texts.json"
    texts_file.write_text(json.dumps(delivered_replies(20_000), ensure_ascii=False),
                          encoding="utf-8")
    print(f"relay benchmark: {args.seconds:g} s paced + {args.seconds:g} s closed loop per run, "
          f"medians of {args.rounds} rounds; gateway and client in separate processes on "
          "loopback")
    print(f"{'conv':>5} {'mode':>4} {'p50 ms':>8} {'p99 ms':>8} {'msg/s':>8} "
          f"{'CPU µs/msg':>11} {'scoring µs':>11}")
    try:
        for size in sizes:
            runs: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
            for _ in range(args.rounds):
                for moderation in (False, True):
                    gateway = Gateway(moderation, size)
                    try:
                        runs[moderation].append(run_client(gateway, size, args.seconds,
                                                           texts_file))
                    finally:
                        gateway.stop()
            medians = {mode: {key: statistics.median(r[key] for r in results)
                              for key in ("p50_ms", "p99_ms", "throughput", "cpu_us",
                                          "scoring_us")}
                       for mode, results in runs.items()}
            for moderation in (False, True):
                m = medians[moderation]
                print(f"{size:>5} {'on' if moderation else 'off':>4} {m['p50_ms']:>8.2f} "
                      f"{m['p99_ms']:>8.2f} {m['throughput']:>8.0f} {m['cpu_us']:>11.0f} "
                      f"{m['scoring_us']:>11.0f}", flush=True)
            on, off = medians[True], medians[False]
            print(f"{size:>5} cost: p50 {on['p50_ms'] - off['p50_ms']:+.2f} ms, p99 "
                  f"{on['p99_ms'] - off['p99_ms']:+.2f} ms, throughput kept "
                  f"{on['throughput'] / off['throughput']:.0%}; gateway CPU per message "
                  f"{on['cpu_us'] - off['cpu_us']:+.0f} µs", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

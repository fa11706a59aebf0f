"""Fault scenarios on real processes, and the ledger that judges them.

Several `replyguard serve` nodes share a real redis-server; simulated buyers and agents talk
through them while a fault is injected (Redis killed and restarted, a node killed with SIGKILL,
an invalid configuration written, ...). Every client behaves as a real one should: it resends a
message whose answer was an error that says "try again" (`state-unavailable`, `log-unavailable`,
`rate-limited`, `warning-unacknowledged` after it acknowledged), reconnects to another node when
its socket closes (a buyer naming the last message it received, `?after=`, so it is given what
was sent meanwhile), and resends what was left unanswered. The `Ledger` records every frame and
then counts what matters:

- sent: message ids sent (each id once, however often it was resent);
- accepted: ids whose last answer was a verdict with `delivered: true`;
- intercepted: ids whose last answer was a verdict with `delivered: false` (held or blocked);
- refused: ids whose last answer was an error (the sender knows it was not sent);
- unanswered: ids that never got an answer (their socket died and the resend failed too);
- delivered: accepted ids the recipient got (a `message` frame, or the history of `assigned`);
- lost: accepted ids the recipient never got — a silent loss;
- duplicated: ids the recipient got more than once as a `message` frame;
- blocked delivered: intercepted or refused ids the recipient got anyway;
- contradictory: an attempt answered twice (a verdict and an error for the same send);
- logged: interceptions whose verdict the sender saw, found in the interception log
  (durable = held or blocked, which must all be there; notices are batched).

`tests/gateway/test_faults.py` runs these at CI size, `bench/bench_faults.py` at full size.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.redisserver import free_port
from classifiers.resources import default_lexicon_dir, default_policy_file
from gateway.auth import TokenService, UserRole

SECRET = "faults-secret-" + "x" * 40
SHOP = "s1"
# the shipped policy delivers the first untouched and blocks the second (off-platform)
CLEAN = "亲，有货的，今天下单明天发货 编号{n}"
BLOCKED = "加我薇信聊 编号{n}"
BUYER_TEXT = "你好，这款有货吗 编号{n}"
RETRY = frozenset({"state-unavailable", "log-unavailable", "rate-limited",
                   "warning-unacknowledged", "upstream-unavailable", "internal"})
ATTEMPTS = 60
RETRY_S = 0.25


class Node:
    """One `replyguard serve` process with its own data dir and copy of the configuration;
    it can be killed and started again on the same port."""

    def __init__(self, name: str, root: Path, env: dict[str, str]) -> None:
        self.name = name
        self.home = root / name
        shutil.copytree(default_lexicon_dir(), self.home / "lexicons")
        shutil.copy(default_policy_file(), self.home / "policies.yaml")
        self.port = free_port()
        self.env = {**os.environ, "REPLYGUARD_DATA_DIR": str(self.home),
                    "REPLYGUARD_SECRET": SECRET, "REPLYGUARD_NODE_ID": name,
                    "REPLYGUARD_LEXICON_DIR": str(self.home / "lexicons"),
                    "REPLYGUARD_POLICY_FILE": str(self.home / "policies.yaml"),
                    "REPLYGUARD_RATE_PER_S": "1000", "REPLYGUARD_RATE_BURST": "1000",
                    "REPLYGUARD_RETENTION_DAYS": "0", **env}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def policy_file(self) -> Path:
        return self.home / "policies.yaml"

    @property
    def log_file(self) -> Path:
        return self.home / "node.log"

    def start(self) -> None:
        with self.log_file.open("a") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway", "serve", "--port", str(self.port)],
                env=self.env, stdout=output, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float = 300) -> None:
        """Until /readyz answers 200. Generous: two nodes start at once (imports, the scorer,
        the tone model), and on a loaded 2-core machine pinned to one core that took more than
        the 90 s this waited before (a start that logs nothing yet, then a failed fault test)."""
        started = time.monotonic()
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            exited = self.process is None or self.process.poll() is not None
            if exited or time.monotonic() > started + timeout_s:
                how = "exited" if exited else f"still starting after {timeout_s:.0f} s"
                raise RuntimeError(f"node {self.name} did not get ready ({how}):\n"
                                   + self.log_file.read_text(errors="replace")[-5000:])
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no drain, no flush."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def readyz(self) -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(f"{self.url}/readyz", timeout=5).json()
        return body

    def rss_kib(self) -> int:
        """Resident memory of the process (Linux /proc)."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def logged_texts(self) -> dict[str, str]:
        """text → outcome of every record in this node's SQLite interception log."""
        path = self.home / "interceptions.sqlite3"
        if not path.exists():
            return {}
        with sqlite3.connect(path) as db:
            return {text: outcome for text, outcome in
                    db.execute("SELECT text, outcome FROM interceptions")}


@dataclass
class Sent:
    sender: str            # address-like: buyer:b3, agent:a1
    conversation: str
    text: str
    attempts: int = 0
    answers: list[str] = field(default_factory=list)  # "verdict" / "error:<code>", in order
    verdict: dict[str, Any] | None = None
    sent_at: float = 0.0


@dataclass
class Ledger:
    sent: dict[str, Sent] = field(default_factory=dict)
    received: Counter[str] = field(default_factory=Counter)  # `message` frames at recipients
    via_history: set[str] = field(default_factory=set)
    latencies: list[float] = field(default_factory=list)
    order_violations: int = 0
    reconnects: int = 0

    def last_answer(self, message_id: str) -> str | None:
        answers = self.sent[message_id].answers
        return answers[-1] if answers else None

    def contradictions(self) -> list[tuple[str, list[str], int]]:
        """(id, answers, attempts) of every message answered more often, or otherwise, than
        it was sent."""
        return [(i, s.answers, s.attempts) for i, s in self.sent.items()
                if s.answers.count("verdict") > 1 or len(s.answers) > s.attempts
                or ("verdict" in s.answers and s.answers[-1] != "verdict")]

    def lost(self) -> list[str]:
        """'sender → conversation: id (seconds after the start)' of every accepted message its
        recipient never got, oldest first: what a loss was, to find out where it happened."""
        start = min((s.sent_at for s in self.sent.values()), default=0.0)
        return [f"{s.sender} → {s.conversation}: {i} ({s.sent_at - start:.1f} s)"
                for i, s in sorted(self.sent.items(), key=lambda item: item[1].sent_at)
                if self.last_answer(i) == "verdict" and s.verdict is not None
                and s.verdict["delivered"] and not self.received[i]
                and i not in self.via_history]

    def summary(self, logged: dict[str, str]) -> dict[str, int]:
        accepted = intercepted = refused = unanswered = 0
        lost = duplicated = blocked_delivered = 0
        seen_durable = logged_durable = seen_notice = logged_notice = 0
        for message_id, sent in self.sent.items():
            last = self.last_answer(message_id)
            got = self.received[message_id] + (message_id in self.via_history
                                               and not self.received[message_id])
            if self.received[message_id] > 1:
                duplicated += 1
            if last is None:
                unanswered += 1
            elif last == "verdict" and sent.verdict is not None:
                if sent.verdict["delivered"]:
                    accepted += 1
                    lost += not got
                else:
                    intercepted += 1
                    blocked_delivered += bool(got)
                if sent.verdict["tier"] != "none" and sent.sender.startswith("agent"):
                    if sent.verdict["delivered"]:
                        seen_notice += 1
                        logged_notice += sent.text in logged
                    else:
                        seen_durable += 1
                        logged_durable += sent.text in logged
            else:
                refused += 1
                blocked_delivered += bool(got)
        contradictory = len(self.contradictions())
        return {"sent": len(self.sent), "accepted": accepted, "intercepted": intercepted,
                "refused": refused, "unanswered": unanswered,
                "delivered": accepted - lost, "lost": lost, "duplicated": duplicated,
                "blocked_delivered": blocked_delivered, "contradictory": contradictory,
                "out_of_order": self.order_violations,
                "durable_seen": seen_durable, "durable_logged": logged_durable,
                "notices_seen": seen_notice, "notices_logged": logged_notice,
                "reconnects": self.reconnects}


class Client:
    """One chat user: one websocket at a time, to the first node of `nodes` that answers,
    moving on to the next when its socket closes. Resends what the gateway asks it to retry,
    and what was left unanswered when a socket died."""

    def __init__(self, ledger: Ledger, role: UserRole, user: str,
                 nodes: Callable[[], list[Node]],
                 on_frame: Callable[[Client, dict[str, Any]], Awaitable[None]]) -> None:
        self.ledger = ledger
        self.role = role
        self.user = user
        self.nodes = nodes
        self.on_frame = on_frame
        self.token = TokenService(SECRET).issue(role, user, SHOP, 3600)
        self.ws: ClientConnection | None = None
        self.unanswered: dict[str, dict[str, Any]] = {}  # id → frame, sent and not answered
        self.acks: set[str] = set()  # warnings acknowledged, not yet confirmed
        self.open = asyncio.Event()
        self._retrying: asyncio.Future[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._preferred = 0
        self.closed = False
        # a buyer's resume point: the id of the last message it received ('' none yet); None
        # until its first connection, which has nothing to catch up with
        self.after: str | None = None
        # a chat client sends its next message once the previous one is answered for good
        # (verdict, or an error it does not retry): that is what keeps a conversation in order
        self._turn = asyncio.Lock()

    @property
    def name(self) -> str:
        return f"{'buyer' if self.role is UserRole.BUYER else 'agent'}:{self.user}"

    async def start(self, preferred: int) -> None:
        self._preferred = preferred
        await self._connect()
        self._reader = asyncio.create_task(self._read())

    async def _connect(self) -> None:
        self.open.clear()
        while not self.closed:
            nodes = [n for n in self.nodes() if n.alive]
            for index in range(len(nodes)):
                node = nodes[(self._preferred + index) % len(nodes)]
                url = f"ws://127.0.0.1:{node.port}/ws?token={self.token}"
                if self.after is not None:
                    url += f"&after={quote(self.after)}"
                try:
                    self.ws = await connect(url, max_queue=None, open_timeout=5)
                except Exception:  # refused, reset, timed out: try the next node
                    continue
                if self.role is not UserRole.BUYER:
                    await self.ws.send(json.dumps({"type": "presence", "status": "online"}))
                elif self.after is None:
                    self.after = ""
                self.open.set()
                for frame in list(self.unanswered.values()):  # resend what got no answer
                    await self._write(frame)
                return
            await asyncio.sleep(0.2)

    async def _read(self) -> None:
        while not self.closed:
            assert self.ws is not None
            try:
                async for raw in self.ws:
                    frame: dict[str, Any] = json.loads(raw)
                    if frame["type"] == "message" and self.role is UserRole.BUYER:
                        self.after = frame["id"]
                    self._answered(frame)
                    await self.on_frame(self, frame)
            except ConnectionClosed:
                pass
            if self.closed:
                return
            self.ledger.reconnects += 1
            await self._connect()

    def _answered(self, frame: dict[str, Any]) -> None:
        kind, message_id = frame["type"], frame.get("id")
        if kind == "ok" and frame.get("action") == "ack":
            self.acks.discard(message_id or "")
            return
        if kind == "error" and message_id in self.acks and message_id not in self.unanswered:
            # the answer to the warning's `ack` (same id, sent after the verdict): ack again
            if frame["code"] in RETRY:
                asyncio.get_running_loop().call_later(
                    RETRY_S, lambda: asyncio.ensure_future(self.ack(message_id)))
            return
        if kind not in ("verdict", "error") or message_id not in self.ledger.sent:
            return
        sent = self.ledger.sent[message_id]
        if kind == "verdict":
            sent.answers.append("verdict")
            sent.verdict = frame
            if self.unanswered.pop(message_id, None) is not None:
                self._turn.release()
            return
        code = frame["code"]
        sent.answers.append(f"error:{code}")
        pending = self.unanswered.pop(message_id, None)
        if pending is None:
            return
        if code in RETRY and sent.attempts < ATTEMPTS:
            self._retrying = asyncio.ensure_future(self._resend(pending))
        else:
            self._turn.release()

    async def ack(self, message_id: str) -> None:
        """Acknowledge a block-with-warning (its error answers are told apart by `acks`)."""
        self.acks.add(message_id)
        await self._write({"type": "ack", "id": message_id})

    async def _resend(self, frame: dict[str, Any]) -> None:
        await asyncio.sleep(RETRY_S)
        await self.send(frame)

    async def send(self, frame: dict[str, Any]) -> None:
        await self.open.wait()
        if frame["type"] == "message":  # from here on a reconnect resends it, not this call
            self.ledger.sent[frame["id"]].attempts += 1
            self.unanswered[frame["id"]] = frame
        await self._write(frame)

    async def _write(self, frame: dict[str, Any]) -> None:
        try:
            assert self.ws is not None
            await self.ws.send(json.dumps(frame, ensure_ascii=False))
        except ConnectionClosed:
            pass  # the reader reconnects and resends what is unanswered

    async def message(self, message_id: str, conversation: str, text: str) -> None:
        await self._turn.acquire()
        self.ledger.sent[message_id] = Sent(self.name, conversation, text,
                                            sent_at=time.perf_counter())
        frame: dict[str, Any] = {"type": "message", "id": message_id, "text": text}
        if self.role is not UserRole.BUYER:
            frame["conversation"] = conversation
        await self.send(frame)

    async def close(self) -> None:
        self.closed = True
        if self._reader is not None:
            self._reader.cancel()
        if self.ws is not None:
            await self.ws.close()


class Traffic:
    """Buyers write at a steady pace; each agent answers every buyer message it gets, one reply
    in `blocked_every` an off-platform one the policy blocks. Buyers and agents are spread over
    the nodes so that most messages cross from one node to another."""

    def __init__(self, nodes: Callable[[], list[Node]], conversations: int, agents: int,
                 rate_per_conversation: float, *, blocked_every: int = 5) -> None:
        self.nodes = nodes
        self.ledger = Ledger()
        self.conversations = conversations
        self.rate = rate_per_conversation
        self.blocked_every = blocked_every
        self.agents = [Client(self.ledger, UserRole.AGENT, f"a{i}", nodes, self._agent_frame)
                       for i in range(agents)]
        self.buyers = [Client(self.ledger, UserRole.BUYER, f"b{i}", nodes, self._buyer_frame)
                       for i in range(conversations)]
        self._replies = 0
        self._pending_replies: set[asyncio.Future[None]] = set()
        self._last_seq: dict[tuple[str, str], int] = {}  # (recipient, sender) → last seq seen
        self._stop = asyncio.Event()

    async def start(self) -> None:
        count = len(self.nodes())
        for index, agent in enumerate(self.agents):
            await agent.start(index % count)
        for index, buyer in enumerate(self.buyers):
            await buyer.start((index + 1) % count)

    def _seen(self, recipient: str, frame: dict[str, Any]) -> None:
        message_id = frame["id"]
        self.ledger.received[message_id] += 1
        sent = self.ledger.sent.get(message_id)
        if sent is not None and self.ledger.received[message_id] == 1:
            self.ledger.latencies.append(time.perf_counter() - sent.sent_at)
            # per conversation and direction, ids carry a sequence number: in order?
            sequence = int(message_id.rsplit("-", 1)[1])
            key = (recipient, sent.sender + sent.conversation)
            if sequence < self._last_seq.get(key, -1):
                self.ledger.order_violations += 1
            self._last_seq[key] = max(sequence, self._last_seq.get(key, -1))

    async def _agent_frame(self, agent: Client, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "message" and frame["from"]["role"] == "buyer":
            self._seen(agent.name, frame)
            if self.ledger.received[frame["id"]] == 1:
                self._reply(agent, frame["conversation"])
        elif kind == "assigned":
            for item in frame["history"]:
                if item["from"]["role"] == "buyer" and item["id"] not in self.ledger.received \
                        and item["id"] not in self.ledger.via_history:
                    self.ledger.via_history.add(item["id"])
                    self._reply(agent, frame["conversation"])
        elif kind == "verdict" and "ack" in frame.get("actions", ()):
            await agent.ack(frame["id"])

    def _reply(self, agent: Client, conversation: str) -> None:
        """Queued behind the agent's unanswered message (never awaited here: the answer it
        waits for comes through this very reader)."""
        if self._stop.is_set():
            return
        self._replies += 1
        n = self._replies
        text = (BLOCKED if n % self.blocked_every == 0 else CLEAN).format(n=n)
        self._pending_replies.add(asyncio.ensure_future(
            agent.message(f"{agent.user}.{conversation}-{n}", conversation, text)))

    async def _buyer_frame(self, buyer: Client, frame: dict[str, Any]) -> None:
        if frame["type"] == "message":
            self._seen(buyer.name, frame)

    async def run(self, seconds: float) -> None:
        """Buyers write for `seconds`, each at `rate` messages per second."""
        async def write(index: int, buyer: Client) -> None:
            await asyncio.sleep(index % 10 / 10 / self.rate)
            n = 0
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                await buyer.message(f"{buyer.user}-{n}", f"{SHOP}:{buyer.user}",
                                    BUYER_TEXT.format(n=n))
                n += 1
                await asyncio.sleep(1 / self.rate)
        await asyncio.gather(*(write(i, b) for i, b in enumerate(self.buyers)))
        self._stop.set()

    async def settle(self, timeout_s: float = 20) -> None:
        """Until nothing is unanswered and nothing new arrives for a second."""
        deadline = time.monotonic() + timeout_s
        quiet_since, last = time.monotonic(), -1
        while time.monotonic() < deadline:
            self._pending_replies = {f for f in self._pending_replies if not f.done()}
            pending = sum(len(c.unanswered) for c in (*self.agents, *self.buyers)) \
                + len(self._pending_replies)
            total = sum(self.ledger.received.values()) + len(self.ledger.via_history)
            if total != last or pending:
                quiet_since, last = time.monotonic(), total
            elif time.monotonic() - quiet_since > 1.5:
                return
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        for future in self._pending_replies:
            future.cancel()
        for client in (*self.agents, *self.buyers):
            await client.close()


def logged(nodes: list[Node]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for node in nodes:
        texts.update(node.logged_texts())
    return texts


def config_versions(nodes: list[Node]) -> dict[str, str]:
    """Every live node's running configuration version, as its /readyz says."""
    return {n.name: n.readyz()["checks"]["config"]["version"] for n in nodes if n.alive}


def wait_converged(nodes: list[Node], timeout_s: float = 20) -> dict[str, Any]:
    """Until every live node runs the same version and is ready (sync subscribed); its
    /readyz body, or RuntimeError with the last bodies."""
    deadline = time.monotonic() + timeout_s
    bodies: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            bodies = {n.name: n.readyz() for n in nodes if n.alive}
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        versions = {b["checks"]["config"]["version"] for b in bodies.values()}
        if len(versions) == 1 and all(b["ready"] for b in bodies.values()):
            return bodies
        time.sleep(0.2)
    raise RuntimeError(f"configuration did not converge: {json.dumps(bodies)[:3000]}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered \
        else float("nan")


# --- scenarios ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Size:
    conversations: int
    agents: int
    rate: float          # buyer messages per second per conversation
    seconds: float       # buyers write this long


def two_nodes(root: Path, redis_url: str, **env: str) -> list[Node]:
    prefix = f"faults-{root.name}"
    common = {"REPLYGUARD_REDIS_URL": redis_url, "REPLYGUARD_REDIS_PREFIX": prefix, **env}
    nodes = [Node("node-a", root, common), Node("node-b", root, common)]
    for node in nodes:
        node.start()
    for node in nodes:
        node.wait_ready()
    return nodes


async def traffic_with(nodes: list[Node], size: Size,
                       fault: Callable[[], Awaitable[dict[str, Any]]],
                       at: float) -> tuple[dict[str, int], dict[str, Any], Traffic]:
    """Run the traffic, inject `fault` after `at` of the time, let it settle; the ledger's
    summary and what the fault reported."""
    traffic = Traffic(lambda: nodes, size.conversations, size.agents, size.rate)
    await traffic.start()
    started = time.perf_counter()
    writing = asyncio.create_task(traffic.run(size.seconds))
    await asyncio.sleep(size.seconds * at)
    report = {"fault_at_s": round(time.perf_counter() - started, 1), **await fault()}
    await writing
    await traffic.settle()
    await traffic.close()
    summary = traffic.ledger.summary(await asyncio.to_thread(logged, nodes))
    report["contradictions"] = traffic.ledger.contradictions()[:5]
    report["lost_ids"] = traffic.ledger.lost()[:10]
    return summary, report, traffic


async def add_term_and_converge(nodes: list[Node], term: str) -> dict[str, Any]:
    """A lexicon edit on the first live node; every node must run it within seconds."""
    node = next(n for n in nodes if n.alive)
    before = (await asyncio.to_thread(node.readyz))["checks"]["config"]["version"]
    with (node.home / "lexicons" / "sarcasm.txt").open("a", encoding="utf-8") as handle:
        handle.write(f"{term}\tseverity=2\n")
    await asyncio.to_thread(httpx.post, f"{node.url}/api/config/reload", timeout=30,
                            headers={"Authorization": "Bearer " + TokenService(SECRET).issue(
                                UserRole.QA, "qa1", "*", 600)})
    bodies = await asyncio.to_thread(wait_converged, nodes)
    versions = {b["checks"]["config"]["version"] for b in bodies.values()}
    return {"version_before_edit": before, "converged_version": versions.pop(),
            "policy_versions": sorted({str(b["checks"]["state"].get("policy_version"))
                                       for b in bodies.values()})}


async def redis_restart(root: Path, redis: Any, size: Size, *,
                        down_s: float = 1.0) -> dict[str, Any]:
    """Two nodes on one Redis; Redis is killed (SIGKILL) and restarted mid-traffic."""
    nodes = await asyncio.to_thread(two_nodes, root, redis.url)
    try:
        async def fault() -> dict[str, Any]:
            redis.kill()
            await asyncio.sleep(down_s)
            await asyncio.to_thread(redis.resume)
            return {"down_s": down_s}

        summary, report, _ = await traffic_with(nodes, size, fault, 1 / 3)
        report.update(await add_term_and_converge(nodes, "大聪明"))
        return {**summary, **report}
    finally:
        for node in nodes:
            node.stop()


async def gateway_kill(root: Path, redis_url: str, size: Size) -> dict[str, Any]:
    """Two nodes; node A is killed with SIGKILL after a burst; its clients move to node B."""
    nodes = await asyncio.to_thread(two_nodes, root, redis_url)
    try:
        async def fault() -> dict[str, Any]:
            nodes[0].kill()
            return {"killed": nodes[0].name}

        summary, report, _ = await traffic_with(nodes, size, fault, 1 / 2)
        return {**summary, **report}
    finally:
        for node in nodes:
            node.stop()


INVALID_POLICY = "version: 1\nrules:\n  - {id: broken, when: {roles: [agent]}, tier: nonsense}\n"


async def invalid_config(root: Path, redis_url: str, size: Size) -> dict[str, Any]:
    """Two nodes watching their files; node A's policy file is overwritten with an invalid one
    mid-traffic: A keeps its last good version (and says why), B is untouched, chat goes on; a
    valid edit afterwards reaches both."""
    nodes = await asyncio.to_thread(two_nodes, root, redis_url, REPLYGUARD_WATCH_CONFIG="true")
    good = nodes[0].policy_file.read_text(encoding="utf-8")
    try:
        async def fault() -> dict[str, Any]:
            before = await asyncio.to_thread(config_versions, nodes)
            nodes[0].policy_file.write_text(INVALID_POLICY, encoding="utf-8")
            for _ in range(100):
                body = await asyncio.to_thread(nodes[0].readyz)
                if body["checks"]["config"]["error"]:
                    break
                await asyncio.sleep(0.1)
            after = await asyncio.to_thread(config_versions, nodes)
            nodes[0].policy_file.write_text(good, encoding="utf-8")
            return {"kept_last_good": before == after,
                    "error_shown": bool(body["checks"]["config"]["error"])}

        summary, report, _ = await traffic_with(nodes, size, fault, 1 / 3)
        report.update(await add_term_and_converge(nodes, "小机灵鬼"))
        return {**summary, **report}
    finally:
        for node in nodes:
            node.stop()

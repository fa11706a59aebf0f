"""Configuration across gateway nodes, through Redis.

When a node accepts a change of its own (file edit or reload API), it publishes the whole bundle
— the policy file and every lexicon file — under one key and announces it on a channel. Every
other node writes the bundle into its own configured files (so a restart keeps it) and reloads:
it validates by building, exactly as for a local edit, and keeps its last good version if the
bundle does not build here (say, a tone label its model lacks). Each node keeps a heartbeat
record of the version it runs and its last error, which `nodes()` lists for `/readyz` and the
config API: the answer to "did the word I added reach the other nodes?".

A node that starts while the cluster already has a bundle adopts it: the cluster's newest
accepted change wins over files that were edited on one host while its node was down.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from classifiers.lexicon import SHOPS_DIR, is_shop_name
from classifiers.scorer import Scorer
from gateway.config.live import LiveConfig
from gateway.errors import StateUnavailable
from gateway.state import SharedState

log = logging.getLogger("replyguard.config_sync")

HEARTBEAT_S = 5.0
STALE_AFTER_S = 3 * HEARTBEAT_S


def lexicon_files(lexicon_dir: Path) -> list[Path]:
    """The shared lexicon files and every shop's overlay files."""
    return sorted([*lexicon_dir.glob("*.txt"), *lexicon_dir.glob(f"{SHOPS_DIR}/*/*.txt")])


def _bundle_name(name: str) -> bool:
    """`x.txt` or `shops/<shop>/x.txt`, nothing that leaves the lexicon directory."""
    parts = name.split("/")
    return (name.endswith(".txt") and not any(p.startswith(".") or not p for p in parts)
            and (len(parts) == 1 or (len(parts) == 3 and parts[0] == SHOPS_DIR
                                     and is_shop_name(parts[1]))))


def read_bundle(policy_file: Path, lexicon_dir: Path) -> dict[str, Any]:
    """The configuration files as one JSON-able bundle with a content digest."""
    lexicons = {p.relative_to(lexicon_dir).as_posix(): p.read_text(encoding="utf-8")
                for p in lexicon_files(lexicon_dir)}
    policy = policy_file.read_text(encoding="utf-8")
    digest = hashlib.sha256(json.dumps([policy, lexicons], ensure_ascii=False,
                                       sort_keys=True).encode()).hexdigest()[:16]
    return {"digest": digest, "policy": policy, "lexicons": lexicons}


def write_bundle(bundle: dict[str, Any], policy_file: Path, lexicon_dir: Path) -> bool:
    """Make the files say what the bundle says (atomic renames; unchanged files untouched).
    Returns whether anything changed."""
    wanted = bundle["lexicons"]
    bad = [name for name in wanted if not _bundle_name(name)]
    if bad:  # before writing anything
        raise ValueError(f"bad lexicon file name in bundle: {bad[0]!r}")
    changed = _write_if_different(policy_file, bundle["policy"])
    for name, text in wanted.items():
        (lexicon_dir / name).parent.mkdir(parents=True, exist_ok=True)
        changed |= _write_if_different(lexicon_dir / name, text)
    for path in lexicon_files(lexicon_dir):
        if path.relative_to(lexicon_dir).as_posix() not in wanted:
            path.unlink()
            if path.parent != lexicon_dir:  # a shop left without files: its directory too
                with contextlib.suppress(OSError):
                    path.parent.rmdir()
            changed = True
    return changed


def _write_if_different(path: Path, text: str) -> bool:
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return True


RETRY_S = 0.5


class ConfigSync:
    """Keeps this node's configuration in step with the cluster's, through any number of Redis
    disconnects: after every (re)connection it subscribes again, then reconciles — adopts a
    bundle it missed, or publishes its own when Redis lost it (a restart without persistence) or
    when a change of its own could not be published while Redis was away — and heartbeats its
    version. `healthy` is False while it is not subscribed; `/readyz` reports that."""

    def __init__(self, live: LiveConfig, redis: Redis, state: SharedState, node_id: str, *,
                 prefix: str = "replyguard") -> None:
        self.live = live
        self.redis = redis
        self.state = state
        self.node_id = node_id
        self.bundle_key = f"{prefix}:config:bundle"
        self.channel = f"{prefix}:config"
        self.nodes_key = f"{prefix}:nodes"
        self._tasks: list[asyncio.Task[None]] = []
        self._digest: str | None = None
        # A change of this node's own that Redis has not seen yet (it was away).
        self._unpublished = False
        self._subscribed = False

    @property
    def healthy(self) -> bool:
        return self._subscribed and all(not task.done() for task in self._tasks)

    async def start(self) -> None:
        """Raises StateUnavailable when Redis cannot be reached: a node does not start
        half-synced."""
        try:
            pubsub = await self._connect()
        except (RedisError, OSError) as exc:
            log.error("configuration sync cannot reach Redis: %s", exc)
            raise StateUnavailable("共享状态（Redis）暂时不可用，请稍后重试") from exc
        self.live.on_applied.append(self._on_applied)
        self._tasks = [asyncio.create_task(self._listen(pubsub)),
                       asyncio.create_task(self._heartbeat())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, RedisError):
                await task
        self._tasks = []
        self._subscribed = False
        with contextlib.suppress(RedisError, OSError):
            await self.redis.hdel(self.nodes_key, self.node_id)

    async def nodes(self) -> dict[str, dict[str, Any]]:
        """Every node's last heartbeat: version, config digest, last error, and `stale` when it
        stopped reporting."""
        now = time.time()
        result = {}
        for node, raw in (await self.redis.hgetall(self.nodes_key)).items():
            status = json.loads(raw)
            status["stale"] = now - status["time"] > STALE_AFTER_S
            result[node.decode() if isinstance(node, bytes) else str(node)] = status
        return result

    async def _connect(self) -> PubSub:
        """Subscribe, then reconcile: subscribing first means no announcement made after the
        reconciliation's read is missed."""
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            await self._reconcile()
        except BaseException:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()
            raise
        self._subscribed = True
        return pubsub

    async def _reconcile(self) -> None:
        source = self.live.source
        local = await asyncio.to_thread(read_bundle, source.policy_file, source.lexicon_dir)
        raw = await self.redis.get(self.bundle_key)
        if self._digest is None:
            self._digest = local["digest"]
        if self._unpublished and local["digest"] == self._digest:
            # this node changed while Redis was away: the newest accepted change is its own
            await self._publish(local)
        elif raw is None and await self._publish(local, only_if_absent=True):
            pass  # Redis lost the bundle (restart without persistence): this node's stands in
        else:
            raw = raw or await self.redis.get(self.bundle_key)  # another node's, put first
            if raw is not None and json.loads(raw)["digest"] != self._digest:
                await self._adopt(json.loads(raw))
        await self._heartbeat_once()

    async def _on_applied(self, scorer: Scorer, origin: str) -> None:
        if origin == "peer":
            await self._heartbeat_once()
            return
        source = self.live.source
        bundle = await asyncio.to_thread(read_bundle, source.policy_file, source.lexicon_dir)
        if bundle["digest"] == self._digest:
            return
        self._digest = bundle["digest"]
        try:
            await self._publish(bundle)
            await self._heartbeat_once()
        except (RedisError, OSError) as exc:
            # published by the reconciliation after the reconnect (or the next heartbeat)
            self._unpublished = True
            log.warning("configuration %s not published yet, Redis unavailable: %s",
                        bundle["digest"], exc)

    async def _publish(self, bundle: dict[str, Any], *, only_if_absent: bool = False) -> bool:
        """Put the bundle in Redis and announce it; with `only_if_absent`, only when no node
        did (two nodes refilling an emptied Redis must not overwrite each other's choice)."""
        digest = bundle["digest"]
        bundle = {**bundle, "node": self.node_id, "time": time.time()}
        if not await self.redis.set(self.bundle_key, json.dumps(bundle, ensure_ascii=False),
                                    nx=only_if_absent):
            return False
        self._digest = digest
        await self.redis.publish(self.channel, digest)
        self._unpublished = False
        log.info("published configuration %s", digest)
        return True

    async def _listen(self, pubsub: PubSub | None) -> None:
        """Adopt every announced bundle; on any failure start over with a new subscription, so
        sync never dies quietly."""
        while True:
            try:
                if pubsub is None:
                    pubsub = await self._connect()
                    log.info("configuration sync subscribed again")
                message = await pubsub.get_message(timeout=1.0)
                if message is None or message.get("type") != "message":
                    continue
                raw = await self.redis.get(self.bundle_key)
                if raw is not None and json.loads(raw)["digest"] != self._digest:
                    await self._adopt(json.loads(raw))
            except asyncio.CancelledError:
                if pubsub is not None:
                    with contextlib.suppress(RedisError, OSError):
                        await pubsub.aclose()
                raise
            except Exception as exc:  # whatever broke, the next round reconnects
                if self._subscribed:
                    log.error("configuration sync lost its subscription: %s", exc)
                self._subscribed = False
                if pubsub is not None:
                    with contextlib.suppress(RedisError, OSError):
                        await pubsub.aclose()
                pubsub = None
                await asyncio.sleep(RETRY_S)

    async def _adopt(self, bundle: dict[str, Any]) -> None:
        """Validate by building from a scratch copy; only a bundle that builds is written into
        this node's files (so a restart never starts from a configuration it refused)."""
        source = self.live.source
        self._digest = bundle["digest"]
        with tempfile.TemporaryDirectory(prefix="replyguard-bundle-") as scratch:
            policy, lexicons = Path(scratch) / source.policy_file.name, Path(scratch) / "lexicons"
            lexicons.mkdir()
            try:
                await asyncio.to_thread(write_bundle, bundle, policy, lexicons)
            except (OSError, ValueError) as exc:
                self.live.last_error = f"unusable configuration {bundle['digest']}: {exc}"
                log.error("%s", self.live.last_error)
                await self._heartbeat_once()
                return
            peer = source.with_files(lexicons, policy)
            event = await self.live.reload("peer", build=lambda running: peer.load(running))
        if event.result != "rejected":
            await asyncio.to_thread(write_bundle, bundle, source.policy_file, source.lexicon_dir)
        log.info("configuration %s from node %s: %s", bundle["digest"], bundle.get("node"),
                 event.result)
        await self._heartbeat_once()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                if self._unpublished and self._subscribed:
                    await self._reconcile()
                await self._heartbeat_once()
            except (RedisError, OSError, StateUnavailable) as exc:
                log.warning("heartbeat failed: %s", exc)

    async def _heartbeat_once(self) -> None:
        """This node's version in the node table, and as the cluster's policy version (which a
        Redis restart without persistence forgets)."""
        status = {"version": self.live.version, "config": self._digest,
                  "error": self.live.last_error, "time": time.time()}
        await self.redis.hset(self.nodes_key, self.node_id, json.dumps(status,
                                                                       ensure_ascii=False))
        await self.state.set_policy_version(self.live.version)

"""Configuration across nodes: the bundle that travels between them (shop overlays included, names
checked), and through a real redis-server: a change on one node is enforced by the others, a node
that cannot build it keeps its version, a late joiner adopts the cluster's, and sync outlives
Redis restarts."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from redis.asyncio import Redis

from bench.redisserver import RedisServer
from classifiers.resources import default_tone_model
from classifiers.scorer import Scorer
from classifiers.tiers import Tier
from gateway.config.live import ConfigSource, LiveConfig
from gateway.config.sync import ConfigSync, read_bundle, write_bundle
from gateway.state.redis_state import RedisState
from tests.conftest import MINI_POLICY
from tests.gateway.config.test_live import PROBE, STRICT, make_config, wait_for

T = TypeVar("T")


async def settled(sync: ConfigSync, count: int) -> dict[str, dict[str, Any]]:
    """The node table once `count` nodes report the same version or an error."""
    for _ in range(200):
        nodes = await sync.nodes()
        if len(nodes) == count and (len({s["version"] for s in nodes.values()}) == 1
                                    or any(s["error"] for s in nodes.values())):
            return nodes
        await asyncio.sleep(0.05)
    raise AssertionError(f"nodes did not settle: {nodes}")


@contextlib.asynccontextmanager
async def node(name: str, source: ConfigSource, redis_url: str,
               mini_scorer: Scorer) -> AsyncIterator[tuple[LiveConfig, ConfigSync]]:
    """One node's running configuration, kept in step with the others through Redis."""
    live = LiveConfig(source.load(reuse=mini_scorer), source)
    redis = Redis.from_url(redis_url)
    state = RedisState(redis)
    sync = ConfigSync(live, redis, state, name)
    await sync.start()
    try:
        yield live, sync
    finally:
        await sync.stop()
        await state.close()
        await redis.aclose()


def test_change_on_one_node_reaches_the_other_through_redis(
        tmp_path: Path, redis_url: str, mini_scorer: Scorer) -> None:
    """Two nodes with their own copies of the files and a real redis-server: a word added on
    node A is enforced by node B within seconds, B's files now say so, and both report the
    same version."""
    source_a, source_b = make_config(tmp_path / "a"), make_config(tmp_path / "b")

    async def main() -> None:
        async with node("node-a", source_a, redis_url, mini_scorer) as (live_a, sync_a), \
                node("node-b", source_b, redis_url, mini_scorer) as (live_b, _):
            assert live_b.current.score("你个大聪明").tier is Tier.NONE
            with (source_a.lexicon_dir / "sarcasm.txt").open("a", encoding="utf-8") as handle:
                handle.write("大聪明\tseverity=2\n")
            assert (await live_a.reload("api")).result == "applied"
            await wait_for(lambda: live_b.version == live_a.version)
            assert live_b.current.score("你个大聪明").tier is Tier.FORCE_EDIT
            # B writes its files right after the swap (and before it heartbeats the version)
            await wait_for(lambda: "大聪明" in (source_b.lexicon_dir / "sarcasm.txt").read_text(
                encoding="utf-8"))
            nodes = await settled(sync_a, 2)
            assert {n: s["version"] for n, s in nodes.items()} == \
                {"node-a": live_a.version, "node-b": live_a.version}
            assert not any(s["stale"] or s["error"] for s in nodes.values())

    asyncio.run(main())


def test_a_node_that_cannot_build_the_change_keeps_its_version(
        tmp_path: Path, redis_url: str, mini_scorer: Scorer) -> None:
    """Node B has no tone model; a policy with a tone rule, accepted on node A (which has
    one), is refused on B: B keeps its last good version, its files untouched, and reports the
    error for /readyz."""
    source_a, source_b = make_config(tmp_path / "a"), make_config(tmp_path / "b")
    source_a = ConfigSource(source_a.lexicon_dir, source_a.policy_file, default_tone_model(),
                            5000)
    tone_policy = MINI_POLICY + ("  - {id: tone, when: {roles: [agent], tone: {sarcastic: 0.9}},"
                                 " tier: notice}\n")

    async def main() -> None:
        async with node("a", source_a, redis_url, mini_scorer) as (live_a, sync_a), \
                node("b", source_b, redis_url, mini_scorer) as (live_b, _):
            good_b = live_b.version
            source_a.policy_file.write_text(tone_policy, encoding="utf-8")
            assert (await live_a.reload("api")).result == "applied"
            await wait_for(lambda: live_b.last_error is not None)
            assert live_b.version == good_b
            assert "no tone model" in (live_b.last_error or "")
            assert source_b.policy_file.read_text(encoding="utf-8") == MINI_POLICY
            nodes = await settled(sync_a, 2)
            assert nodes["b"]["version"] == good_b and nodes["b"]["error"]

    asyncio.run(main())


def test_a_node_joining_late_adopts_the_cluster_configuration(
        tmp_path: Path, redis_url: str, mini_scorer: Scorer) -> None:
    source_a, source_b = make_config(tmp_path / "a"), make_config(tmp_path / "b")
    source_a.policy_file.write_text(STRICT, encoding="utf-8")

    async def main() -> None:
        async with node("a", source_a, redis_url, mini_scorer) as (live_a, _):
            async with node("b", source_b, redis_url, mini_scorer) as (live_b, _):
                assert live_b.version == live_a.version
                assert live_b.current.score(PROBE).tier is Tier.BLOCK

    asyncio.run(main())



def add_term(source: ConfigSource, term: str) -> None:
    with (source.lexicon_dir / "sarcasm.txt").open("a", encoding="utf-8") as handle:
        handle.write(f"{term}\tseverity=2\n")


async def step(what: str, awaitable: Awaitable[T], seconds: float = 20.0) -> T:
    """One step of a fault test, bounded: a step that does not finish fails the test, naming
    the step and what every task was doing, instead of hanging the suite."""
    try:
        return await asyncio.wait_for(awaitable, seconds)
    except TimeoutError:
        stacks = io.StringIO()
        for task in asyncio.all_tasks():
            task.print_stack(limit=8, file=stacks)
        raise AssertionError(f"{what}: not done within {seconds} s\n{stacks.getvalue()}") \
            from None


def test_sync_resubscribes_and_reannounces_after_a_redis_restart(
        tmp_path: Path, restartable_redis: RedisServer, mini_scorer: Scorer) -> None:
    """Redis is killed and restarted empty (no persistence): both nodes notice (not healthy,
    so /readyz says so), subscribe again, put the configuration and the policy version back,
    and changes travel both ways afterwards; a change made while Redis was down reaches the
    other node once it is back. Every step is bounded (`step`)."""
    source_a, source_b = make_config(tmp_path / "a"), make_config(tmp_path / "b")
    url = restartable_redis.url

    async def main() -> None:
        async with node("a", source_a, url, mini_scorer) as (live_a, sync_a), \
                node("b", source_b, url, mini_scorer) as (live_b, sync_b):
            assert sync_a.healthy and sync_b.healthy
            await step("kill redis-server", asyncio.to_thread(restartable_redis.kill))
            await step("both nodes notice Redis is gone",
                       wait_for(lambda: not sync_a.healthy and not sync_b.healthy))
            add_term(source_a, "大聪明")  # accepted on A while Redis is down
            assert (await step("a change on A while Redis is down",
                               live_a.reload("api"))).result == "applied"
            await step("restart redis-server", asyncio.to_thread(restartable_redis.resume))
            await step("both nodes subscribed again",
                       wait_for(lambda: sync_a.healthy and sync_b.healthy))
            await step("A's change reaches B", wait_for(lambda: live_b.version == live_a.version))
            assert live_b.current.score("你个大聪明").tier is Tier.FORCE_EDIT
            assert await step("policy version put back",
                              sync_a.state.policy_version()) == live_a.version
            # and once more, restarted at once (not waiting for the nodes to notice): no
            # different
            await step("kill redis-server", asyncio.to_thread(restartable_redis.kill))
            await step("restart redis-server", asyncio.to_thread(restartable_redis.resume))
            await step("both nodes subscribed again",
                       wait_for(lambda: sync_a.healthy and sync_b.healthy))
            add_term(source_b, "小机灵鬼")
            assert (await step("a change on B", live_b.reload("api"))).result == "applied"
            await step("B's change reaches A", wait_for(lambda: live_a.version == live_b.version))
            assert live_a.current.score("你个小机灵鬼").tier is Tier.FORCE_EDIT
            nodes = await step("node table settles", settled(sync_a, 2))
            assert {n: s["version"] for n, s in nodes.items()} == \
                {"a": live_b.version, "b": live_b.version}

    asyncio.run(step("the whole scenario, both nodes stopped", main(), 90.0))


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*.txt"))}


def test_bundle_carries_shop_overlays_and_removes_what_a_node_no_longer_has(
        tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for root, files in ((a, {"abuse.txt": "傻逼\n", "shops/s1/abuse.txt": "拼夕夕\n",
                             "shops/s1/allow.txt": "QQ糖\n"}),
                        (b, {"abuse.txt": "傻逼\n", "shops/s2/abuse.txt": "旧词\n"})):
        for name, text in files.items():
            (root / "lexicons" / name).parent.mkdir(parents=True, exist_ok=True)
            (root / "lexicons" / name).write_text(text, encoding="utf-8")
        (root / "policies.yaml").write_text("version: 1\nrules: []\n", encoding="utf-8")
    bundle = read_bundle(a / "policies.yaml", a / "lexicons")
    assert set(bundle["lexicons"]) == {"abuse.txt", "shops/s1/abuse.txt", "shops/s1/allow.txt"}
    assert write_bundle(bundle, b / "policies.yaml", b / "lexicons")
    assert _files(b / "lexicons") == _files(a / "lexicons")
    assert not (b / "lexicons/shops/s2").exists()  # s2's overlay was removed on node A
    assert read_bundle(b / "policies.yaml", b / "lexicons")["digest"] == bundle["digest"]
    assert not write_bundle(bundle, b / "policies.yaml", b / "lexicons")


@pytest.mark.parametrize("name", ["../policies.txt", "shops/../../x.txt", "shops/s1/../a.txt",
                                  "/etc/x.txt", "shops/.hidden/a.txt", "other/s1/a.txt",
                                  "shops/s1/a.yaml"])
def test_bundle_refuses_names_outside_the_lexicon_directory(tmp_path: Path, name: str) -> None:
    (tmp_path / "lexicons").mkdir()
    bundle = {"digest": "x", "policy": "version: 1\n", "lexicons": {name: "x\n"}}
    with pytest.raises(ValueError, match="bad lexicon file name"):
        write_bundle(bundle, tmp_path / "policies.yaml", tmp_path / "lexicons")
    assert not any(tmp_path.rglob("x.txt")) and not (tmp_path / "policies.yaml").exists()

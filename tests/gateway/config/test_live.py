"""Hot reload: atomic swaps under concurrent scoring, invalid changes keep the last good version,
file watching (several nodes: test_sync.py)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from classifiers.results import Role
from classifiers.scorer import Scorer
from classifiers.tiers import Tier
from gateway.chat.moderation import Moderator
from gateway.config.live import ConfigSource, LiveConfig
from gateway.metrics import Metrics
from gateway.state.offences import LocalOffenceCounter
from tests.conftest import MINI_LEXICON, MINI_POLICY, write_mini_config

# The probe word 爱买不买 is `cold`: suggest-edit under MINI_POLICY, block under STRICT.
STRICT = MINI_POLICY.replace("categories: [cold]}, tier: suggest-edit",
                             "categories: [cold]}, tier: block")
PROBE = "爱买不买"


def make_config(root: Path) -> ConfigSource:
    lexicons, policy = write_mini_config(root)
    return ConfigSource(lexicons, policy, None, 5000)


@pytest.fixture
def source(tmp_path: Path) -> ConfigSource:
    return make_config(tmp_path / "node")


@pytest.fixture
def live(source: ConfigSource, mini_scorer: Scorer) -> LiveConfig:
    return LiveConfig(source.load(reuse=mini_scorer), source, metrics=Metrics())


def test_reload_applies_a_valid_change(live: LiveConfig, source: ConfigSource) -> None:
    before = live.version
    assert live.current.score(PROBE).tier is Tier.SUGGEST_EDIT
    source.policy_file.write_text(STRICT, encoding="utf-8")
    event = asyncio.run(live.reload("api"))
    assert (event.result, event.version) == ("applied", live.version)
    assert live.version != before
    assert live.current.score(PROBE).tier is Tier.BLOCK
    assert live.current.score(PROBE).version == live.version
    assert asyncio.run(live.reload("api")).result == "unchanged"


def test_reload_picks_up_lexicon_edits(live: LiveConfig, source: ConfigSource) -> None:
    assert live.current.score("你个大聪明").tier is Tier.NONE
    with (source.lexicon_dir / "sarcasm.txt").open("a", encoding="utf-8") as handle:
        handle.write("大聪明\tseverity=2\n")
    assert asyncio.run(live.reload("api")).result == "applied"
    assert live.current.score("你个大聪明").tier is Tier.FORCE_EDIT


@pytest.mark.parametrize(("target", "content", "error"), [
    ("policy", "version: 1\nrules: [\n", "YAML syntax error"),
    ("policy", "version: 1\nrules:\n  - {id: a, when: {categories: [cold]}, tier: loud}\n",
     "rules.0.tier"),
    ("policy", "version: 1\nrules:\n  - {id: a, when: {categories: [colt]}, tier: notice}\n",
     "unknown category 'colt'"),
    ("lexicon", "傻逼\tseverity=9\n", "severity"),
])
def test_invalid_change_keeps_the_last_good_version(live: LiveConfig, source: ConfigSource,
                                                    target: str, content: str,
                                                    error: str) -> None:
    good = live.version
    path = source.policy_file if target == "policy" else source.lexicon_dir / "abuse.txt"
    path.write_text(content, encoding="utf-8")
    event = asyncio.run(live.reload("file"))
    assert event.result == "rejected" and error in (event.error or "")
    assert live.version == good and live.last_error == event.error
    assert live.current.score(PROBE).tier is Tier.SUGGEST_EDIT
    assert live.status()["error"] == event.error
    metrics = live.metrics
    assert metrics is not None
    assert metrics.registry.get_sample_value("replyguard_config_error") == 1.0
    assert metrics.registry.get_sample_value(
        "replyguard_config_reloads_total", {"result": "rejected", "origin": "file"}) == 1.0
    # fixing the file clears the error
    source.policy_file.write_text(MINI_POLICY, encoding="utf-8")
    if target == "lexicon":
        path.write_text(MINI_LEXICON["abuse.txt"], encoding="utf-8")
    assert asyncio.run(live.reload("file")).result in ("unchanged", "applied")
    assert live.last_error is None


def test_reload_under_concurrent_scoring_is_atomic(live: LiveConfig,
                                                   source: ConfigSource) -> None:
    """Scoring never stops while the configuration flips back and forth. Every message gets
    exactly one verdict, and each verdict is wholly from one version: its tier is the tier that
    version gives the probe (a half-swapped scorer would pair one version with the other's
    tier)."""
    expected: dict[str, Tier] = {live.version: Tier.SUGGEST_EDIT}
    moderator = Moderator(live, LocalOffenceCounter())
    results: list[tuple[str, Tier]] = []
    stop = threading.Event()

    async def score_until_stopped(worker: int) -> int:
        sent = 0
        while not stop.is_set():
            outcome = await moderator.moderate(PROBE, Role.AGENT, shop=None, user=f"w{worker}")
            results.append((outcome.verdict.version, outcome.verdict.tier))
            sent += 1
            await asyncio.sleep(0)
        return sent

    async def flip(times: int) -> None:
        for index in range(times):
            text = STRICT if index % 2 == 0 else MINI_POLICY
            source.policy_file.write_text(text, encoding="utf-8")
            event = await live.reload("api")
            assert event.result == "applied"
            expected[live.version] = Tier.BLOCK if text == STRICT else Tier.SUGGEST_EDIT
        stop.set()

    async def main() -> list[int]:
        workers = [asyncio.create_task(score_until_stopped(n)) for n in range(4)]
        await flip(4)
        return list(await asyncio.gather(*workers))

    sent = asyncio.run(main())
    assert len(results) == sum(sent) > 100
    versions = {version for version, _ in results}
    assert len(versions) == 2  # both versions served traffic between swaps
    assert all(tier is expected[version] for version, tier in results)


def change_while_watching(live: LiveConfig, change: Callable[[], Awaitable[None]]) -> str:
    """Start the file watcher, make `change`, wait until the running version moves; returns
    the version before."""
    async def main() -> str:
        stop = asyncio.Event()
        watcher = asyncio.create_task(live.watch(debounce_ms=50, stop=stop))
        await asyncio.sleep(0.3)
        before = live.version
        await change()
        await wait_for(lambda: live.version != before)
        stop.set()
        await watcher
        return before

    return asyncio.run(main())


def test_watch_reloads_when_a_file_changes(live: LiveConfig, source: ConfigSource) -> None:
    async def change() -> None:
        source.policy_file.write_text(STRICT, encoding="utf-8")

    before = change_while_watching(live, change)
    assert live.version != before
    assert live.events[-1].origin == "file"
    assert live.current.score(PROBE).tier is Tier.BLOCK


def test_watch_reloads_when_a_new_shop_overlay_appears(live: LiveConfig,
                                                       source: ConfigSource) -> None:
    """A shop's first term creates its directory: the watcher follows directories made after
    it started."""
    async def change() -> None:
        overlay = source.lexicon_dir / "shops" / "s1" / "cold.txt"
        overlay.parent.mkdir(parents=True)
        await asyncio.sleep(0.2)
        overlay.write_text("拼夕夕\tseverity=3\n", encoding="utf-8")

    before = change_while_watching(live, change)
    assert live.version != before and live.events[-1].origin == "file"
    assert live.current.score("拼夕夕", shop="s1").tier is Tier.SUGGEST_EDIT
    assert live.current.score("拼夕夕", shop="s2").tier is Tier.NONE


@pytest.mark.parametrize("arrival", ["written-at-once", "moved-in-whole"])
def test_watch_applies_an_overlay_whose_directory_arrives_with_it(
        live: LiveConfig, source: ConfigSource, tmp_path: Path, arrival: str) -> None:
    """inotify watches a new directory only once its creation is seen: a file written into it
    at once, or already in it when it is moved in, gives no event of its own. The shop's
    directory appearing must be enough (two nodes missed an overlay this way)."""
    async def change() -> None:
        shop = source.lexicon_dir / "shops" / "s1"
        if arrival == "written-at-once":
            shop.mkdir(parents=True)
            (shop / "cold.txt").write_text("拼夕夕\tseverity=3\n", encoding="utf-8")
            return
        staged = tmp_path / "staged" / "s1"
        staged.mkdir(parents=True)
        (staged / "cold.txt").write_text("拼夕夕\tseverity=3\n", encoding="utf-8")
        shop.parent.mkdir()
        await asyncio.sleep(0.3)  # `shops/` is watched by now; `s1` arrives in one event
        staged.rename(shop)

    before = change_while_watching(live, change)
    assert live.version != before and live.events[-1].origin == "file"
    assert live.current.score("拼夕夕", shop="s1").tier is Tier.SUGGEST_EDIT


async def wait_for(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")

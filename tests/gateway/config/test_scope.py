"""What a configuration change touches, and the admission of a shop's own reloads: a shop may
apply changes to its overlay and its policy section, nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from classifiers.resources import default_tone_model
from classifiers.scorer import Scorer
from gateway.config.live import ConfigSource, LiveConfig
from gateway.config.scope import ChangeScope, change_scope, only_shop
from gateway.errors import Forbidden
from tests.conftest import write_mini_config

SECTION = "shops:\n  s1:\n    tiers: {notice: {duration_s: 15}}\n"


def overlay(shop: str, text: str) -> Callable[[Path, Path], None]:
    def write(lexicons: Path, _: Path) -> None:
        (lexicons / "shops" / shop).mkdir(parents=True, exist_ok=True)
        (lexicons / "shops" / shop / "cold.txt").write_text(text, encoding="utf-8")
    return write


def append(name: str, text: str) -> Callable[[Path, Path], None]:
    def write(lexicons: Path, policy: Path) -> None:
        path = policy if name == "policy" else lexicons / name
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    return write


@pytest.mark.parametrize(("change", "scope"), [
    (overlay("s1", "拼夕夕\n"), ChangeScope(False, frozenset({"s1"}))),
    (append("policy", SECTION), ChangeScope(False, frozenset({"s1"}))),
    (append("cold.txt", "拼夕夕\n"), ChangeScope(True, frozenset())),
    (append("policy", "  - {id: x, when: {categories: [cold]}, tier: notice}\n"),
     ChangeScope(True, frozenset())),
    (append("policy", "# a comment changes nothing for anyone\n"),
     ChangeScope(False, frozenset())),
])
def test_change_scope_names_what_changed(tmp_path: Path, mini_scorer: Scorer,
                                         change: Callable[[Path, Path], None],
                                         scope: ChangeScope) -> None:
    lexicons, policy = write_mini_config(tmp_path)
    overlay("s2", "旧词\n")(lexicons, policy)
    before = Scorer.load(lexicons, policy, reuse=mini_scorer)
    change(lexicons, policy)
    after = Scorer.load(lexicons, policy, reuse=before)
    assert change_scope(before, after) == scope


def test_change_scope_sees_the_tone_model_and_removed_overlays(tmp_path: Path,
                                                               mini_scorer: Scorer) -> None:
    lexicons, policy = write_mini_config(tmp_path)
    overlay("s2", "旧词\n")(lexicons, policy)
    before = Scorer.load(lexicons, policy, reuse=mini_scorer)
    with_model = Scorer.load(lexicons, policy, tone_model=default_tone_model(), reuse=before)
    assert change_scope(before, with_model).shared
    (lexicons / "shops/s2/cold.txt").unlink()
    assert change_scope(before, Scorer.load(lexicons, policy, reuse=before)) == \
        ChangeScope(False, frozenset({"s2"}))


def test_a_vetoed_reload_swaps_nothing(tmp_path: Path, mini_scorer: Scorer) -> None:
    lexicons, policy = write_mini_config(tmp_path)
    source = ConfigSource(lexicons, policy, None, 5000)
    live = LiveConfig(source.load(reuse=mini_scorer), source)
    running = live.version
    overlay("s2", "拼夕夕\n")(lexicons, policy)
    with pytest.raises(Forbidden, match="本店铺以外"):
        asyncio.run(live.reload("api", admit=only_shop("s1")))
    assert live.version == running
    event = asyncio.run(live.reload("api", admit=only_shop("s2")))
    assert event.result == "applied" and live.version != running

"""Which shops a configuration change touches, and the admission rule for a shop's own edits.

A QA token of one shop may change that shop's configuration only: its lexicon overlay
(`lexicons/shops/<shop>/`) and its section of the policy (`shops: <shop>:`). A reload it asks
for (directly, or through a lexicon edit) is compared with the running configuration before the
swap; if the files on disk hold changes to anything else — the shared lexicons, the default
policy, the tone or intent model, another shop — nothing is swapped and the caller gets 403. Only a
platform-wide token (`shop: *`) applies those.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from classifiers.lexicon import SHOPS_DIR
from classifiers.policy.schema import PolicyModel
from classifiers.scorer import Scorer
from gateway.errors import Forbidden

Admission = Callable[[Scorer, Scorer], None]


@dataclass(frozen=True, slots=True)
class ChangeScope:
    shared: bool               # shared lexicons, default policy, tone or intent model
    shops: frozenset[str]      # shops whose overlay or policy section changed


def change_scope(running: Scorer, candidate: Scorer) -> ChangeScope:
    old, new = running.lexicon, candidate.lexicon
    shared = (old.shared_digest != new.shared_digest
              or _without_shops(running.policy.model) != _without_shops(candidate.policy.model)
              or _tone_version(running) != _tone_version(candidate)
              or _intent_version(running) != _intent_version(candidate))
    overlays = {shop for shop in old.shops.keys() | new.shops.keys()
                if (old.shops[shop].digest if shop in old.shops else None)
                != (new.shops[shop].digest if shop in new.shops else None)}
    old_sections, new_sections = running.policy.model.shops, candidate.policy.model.shops
    sections = {shop for shop in old_sections.keys() | new_sections.keys()
                if old_sections.get(shop) != new_sections.get(shop)}
    return ChangeScope(shared, frozenset(overlays | sections))


def only_shop(shop: str) -> Admission:
    """An admission check that lets a change through only if it is confined to `shop`."""

    def admit(running: Scorer, candidate: Scorer) -> None:
        scope = change_scope(running, candidate)
        if scope.shared or scope.shops - {shop}:
            # which other shop is deliberately not said: that is not this caller's business
            raise Forbidden("磁盘上的配置还包含本店铺以外（共享词库、默认策略、语气模型或其他"
                            "店铺）的未生效修改，店铺令牌只能应用本店铺的修改；请由全平台"
                            "（shop: *）令牌重新加载")

    return admit


def error_for_scope(error: str | None, scope: str | None) -> str | None:
    """A configuration error as a caller confined to shop `scope` may see it: an error inside
    another shop's overlay would quote that shop's terms, so it is only said that one exists.
    `scope` None (platform-wide) sees everything."""
    if error is None or scope is None:
        return error
    marker = f"{SHOPS_DIR}/"
    at = error.find(marker)
    while at != -1:
        if not error.startswith(f"{marker}{scope}/", at):
            return "另一店铺的词库有错误（详情仅全平台令牌可见）"
        at = error.find(marker, at + 1)
    return error


def _without_shops(model: PolicyModel) -> PolicyModel:
    return model.model_copy(update={"shops": {}})


def _tone_version(scorer: Scorer) -> str | None:
    return scorer.tone.version if scorer.tone is not None else None


def _intent_version(scorer: Scorer) -> str | None:
    return scorer.intent.version if scorer.intent is not None else None

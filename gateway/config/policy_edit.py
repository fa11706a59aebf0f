"""QA edits the running policy file: read it, check a candidate (`policy check`, every problem at
its line), and apply it — written atomically, then the same hot reload as any change (with
Redis it reaches every node). A candidate with an error is refused before anything is written;
if the reload still rejects it, the old file is put back. A shop's token reads and edits its view
of the file, without other shops' sections (gateway/config/policy_view.py), and may change only
its own `shops: <shop>:` section (gateway/config/scope.py): a candidate that changes anything
else is 403 and the file stays as it was, as for a shop's lexicon edits."""

from __future__ import annotations

import asyncio
import logging

from classifiers.contacts import CATEGORY as CONTACT_CATEGORY
from classifiers.errors import PolicyError, Problem
from classifiers.policy.check import check
from gateway.auth import Principal
from gateway.config.lexicon_edit import write_atomically
from gateway.config.live import LiveConfig, ReloadEvent
from gateway.config.policy_view import merge_shop_edit, shop_view
from gateway.config.scope import only_shop
from gateway.errors import ConfigRejected, Forbidden

log = logging.getLogger("replyguard.policy_edit")

CANDIDATE_NAME = "candidate-policy.yaml"


class PolicyEditor:
    def __init__(self, live: LiveConfig) -> None:
        self.live = live
        self._lock = asyncio.Lock()

    def text(self, user: Principal) -> str:
        """The file as `user` may read it: a shop's token does not see other shops' sections."""
        text = self.live.source.policy_file.read_text(encoding="utf-8-sig")
        return text if user.shops is None else shop_view(text, user.shop)

    def check(self, text: str) -> list[Problem]:
        """Every problem of the candidate, against the running lexicons and tone model."""
        running = self.live.current
        categories = sorted({*running.lexicon.categories, CONTACT_CATEGORY})
        labels = running.tone.policy_labels_ if running.tone is not None else None
        intents = running.intent.labels_ if running.intent is not None else ()
        return check(text.encode("utf-8"), CANDIDATE_NAME, categories, labels, intents)

    async def apply(self, user: Principal, text: str) -> ReloadEvent:
        errors = [p for p in self.check(text) if p.severity == "error"]
        if errors:
            first = errors[0]
            raise PolicyError(first.message, path=CANDIDATE_NAME, line=first.line,
                              column=first.column, problems=tuple(errors))
        path = self.live.source.policy_file
        async with self._lock:
            old = path.read_text(encoding="utf-8-sig")
            if user.shops is not None:  # the shop edited its view: put it back into the file
                text = merge_shop_edit(old, text, user.shop)
            await asyncio.to_thread(write_atomically, path, text)
            admit = None if user.shops is None else only_shop(user.shop)
            try:
                event = await self.live.reload("api", admit=admit)
            except Forbidden:  # nothing was swapped; the file must not wait for a reload
                await asyncio.to_thread(write_atomically, path, old)
                raise Forbidden(f"店铺令牌只能修改策略中本店铺的部分（shops: {user.shop}:）；"
                                "默认规则、等级和其他店铺的部分由全平台（shop: *）令牌修改，"
                                "文件未改动") from None
            if event.result == "rejected":
                await asyncio.to_thread(write_atomically, path, old)
                await self.live.reload("api")
                raise ConfigRejected(f"策略未生效，已恢复原文件：{event.error}")
        log.info("policy %s by %s %s: %s", event.result, user.role, user.user, event.version)
        return event

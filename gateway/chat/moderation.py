"""Moderator: the one call the relay makes per message — score under the running configuration,
apply repeat offences and the fail mode, and say what the intervention looks like.

It computes; holding, delivering and routing are `gateway.chat.interventions`' business.
`Moderation` is complete: everything the interventions need (texts, actions, banner, route
settings) comes from the one configuration version that scored the message, read once, so a
reload while the message is being acted on cannot mix two versions.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from classifiers.errors import InputError
from classifiers.policy.decide import Decision, ShopPolicy
from classifiers.policy.schema import RouteSettings
from classifiers.results import Role, Verdict
from classifiers.scorer import Scorer
from classifiers.tiers import Tier
from gateway.metrics import Metrics
from gateway.state.offences import OffenceCounter

log = logging.getLogger("replyguard.moderation")

FAIL_CLOSED_RULE = "fail-closed"
FAIL_OPEN_RULE = "fail-open"


@dataclass(frozen=True, slots=True)
class Intervention:
    """The tier with the texts and actions the policy sets for it.

    `text` is what the sender is shown (notice banner, edit prompt, block reason, warning);
    `actions` what the sender may do: ``edit``, ``send-anyway``, ``ack``. `hold_s`: how long a
    held message (suggest-edit, force-edit) waits for the agent. `route`: the
    conversation moves to a human with these settings (a route-to-human verdict, or a bot
    reply intercepted at force-edit or above).
    """

    tier: Tier
    delivered: bool
    text: str | None = None
    actions: tuple[str, ...] = ()
    ttl_ms: int | None = None
    dismissible: bool = True
    route: RouteSettings | None = None
    hold_s: float | None = None


@dataclass(frozen=True, slots=True)
class Moderation:
    verdict: Verdict
    intervention: Intervention
    # Scoring failed and the fail mode decided (the verdict's rule is fail-open / fail-closed).
    unscored: bool = False


def bot_route(policy: ShopPolicy, role: Role, tier: Tier) -> RouteSettings | None:
    """A bot that writes something held at force-edit or above hands the buyer to a human."""
    if role is Role.BOT and tier.severity >= Tier.FORCE_EDIT.severity:
        return policy.tiers.route_to_human
    return None


def route_of(policy: ShopPolicy, role: Role, tier: Tier) -> RouteSettings | None:
    """Whether a message of `role` decided at `tier` moves its buyer to a human, and how: a
    route-to-human verdict, or a bot reply held at force-edit or above. (Upkeep reads the
    same answer back from the log to put sticky routing back.)"""
    if tier is Tier.ROUTE_TO_HUMAN:
        return policy.tiers.route_to_human
    return None if role is Role.BUYER else bot_route(policy, role, tier)


def intervention_for(policy: ShopPolicy, verdict: Verdict) -> Intervention:
    tier, tiers, reason = verdict.tier, policy.tiers, verdict.reason
    route = route_of(policy, verdict.role, tier)
    if verdict.role is Role.BUYER:
        # never held; route-to-human moves the conversation, nothing is shown to the buyer here
        return Intervention(tier, True, reason, route=route)
    if tier is Tier.NOTICE:
        return Intervention(tier, True, reason or tiers.notice.text,
                            ttl_ms=int(tiers.notice.duration_s * 1000), dismissible=False)
    if tier is Tier.SUGGEST_EDIT:
        return Intervention(tier, False, reason or tiers.suggest_edit.prompt,
                            ("edit", "send-anyway"), hold_s=tiers.suggest_edit.hold)
    if tier is Tier.FORCE_EDIT:
        return Intervention(tier, False, reason or tiers.force_edit.prompt, ("edit",),
                            route=route, hold_s=tiers.force_edit.hold)
    if tier is Tier.BLOCK:
        return Intervention(tier, False, reason or tiers.block.reason, route=route)
    if tier is Tier.BLOCK_WITH_WARNING:
        return Intervention(tier, False, reason or tiers.block_with_warning.warning,
                            ("ack", "edit"), dismissible=False, route=route)
    if tier is Tier.ROUTE_TO_HUMAN:
        return Intervention(tier, True, reason, route=route)
    return Intervention(tier, True)


class RunningConfig(Protocol):
    """Where the scorer in force is read from: `LiveConfig` (reloads) or a fixed one (replay)."""

    @property
    def current(self) -> Scorer: ...


_PASS = Intervention(Tier.NONE, True)


def offence_key(shop: str | None, user: str, escalation: str) -> str:
    """The repeat-offence counter of one sender for one escalation rule."""
    return f"{shop or '-'}\x1f{user}\x1f{escalation}"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Moderator:
    def __init__(self, config: RunningConfig, counter: OffenceCounter, *,
                 metrics: Metrics | None = None,
                 clock: Callable[[], datetime] = _utcnow, enabled: bool = True) -> None:
        """`enabled=False` passes every message untouched (verdict none, nothing scored): the
        baseline the relay benchmark compares moderation against."""
        self.config = config
        self.enabled = enabled
        self.counter = counter
        self.metrics = metrics
        self.clock = clock

    async def moderate(self, text: str, role: Role, *, shop: str | None, user: str,
                       now: datetime | None = None, context: str | None = None) -> Moderation:
        """Raises InputError for a message that cannot be scored (empty, too long, control
        characters): that is the sender's mistake, answered with an error frame, not a verdict.
        Any other failure is the fail mode's business and is counted. `context`: the buyer's
        previous message, for a shop-side reply."""
        scorer = self.config.current  # one version for the whole message, whatever reloads
        if not self.enabled:
            verdict = Verdict(text, role, Tier.NONE, None, None, (), (), scorer.version)
            return Moderation(verdict, _PASS)
        policy = scorer.policy.for_shop(shop)
        now = now or self.clock()
        if context is not None:
            try:
                scorer.check(context)
            except InputError:  # the buyer's, not the sender's, and longer than a new limit
                context = None
        try:
            verdict = scorer.score_under(policy, text, role, shop=shop, now=now, context=context)
        except InputError:
            raise
        except Exception:  # an internal failure must not take the relay down with it
            log.exception("scoring failed (shop %s, user %s, role %s)", shop, user, role)
            return self._failed(policy, text, role, scorer.version)
        if verdict.tier is not Tier.NONE:
            verdict = await self._escalate(policy, verdict, shop, user, now)
        if self.metrics is not None:
            self.metrics.scoring.observe(verdict.tier.value, role.value, verdict.timing_us / 1e6)
        if verdict.tier is Tier.NONE and role is not Role.BUYER:
            return Moderation(verdict, _PASS)
        return Moderation(verdict, intervention_for(policy, verdict))

    async def _escalate(self, policy: ShopPolicy, verdict: Verdict, shop: str | None, user: str,
                        now: datetime) -> Verdict:
        decision = Decision(verdict.tier, verdict.rule, verdict.reason)
        for escalation in policy.escalations(verdict.role, verdict.tier, verdict.categories):
            key = offence_key(shop, user, escalation.id)
            count = await self.counter.hit(key, now.timestamp(), escalation.within)
            if count >= escalation.count:
                raised = policy.escalate(decision, escalation)
                if raised is not decision and self.metrics is not None:
                    self.metrics.escalations.labels(escalation.id).inc()
                decision = raised
        if decision.escalation is None:
            return verdict
        return dataclasses.replace(verdict, tier=decision.tier, reason=decision.reason,
                                   escalation=decision.escalation)

    def _failed(self, policy: ShopPolicy, text: str, role: Role, version: str) -> Moderation:
        mode = policy.fail_mode.for_role(role)
        if self.metrics is not None:
            self.metrics.unscored.labels(str(role), mode).inc()
        if mode == "open":
            verdict = Verdict(text, role, Tier.NONE, FAIL_OPEN_RULE, None, (), (), version)
            return Moderation(verdict, Intervention(Tier.NONE, True), unscored=True)
        reason = policy.fail_mode.message
        verdict = Verdict(text, role, Tier.BLOCK, FAIL_CLOSED_RULE, reason, (), (), version)
        return Moderation(verdict, Intervention(Tier.BLOCK, False, reason,
                                                route=bot_route(policy, role, Tier.BLOCK)),
                          unscored=True)

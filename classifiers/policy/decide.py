"""The policy, compiled: `Policy.decide()` is where the tier is decided.

Evaluation order (docs/policy.md): every rule whose conditions all hold is a candidate; the most
severe tier wins; among rules of the same tier, the first in the file wins (for a shop: the
default's rules in file order, then the rules the shop adds). The decision names the rule. With
no candidate the tier is `none` and the rule is null. Repeat offences are applied after that by
the caller, who owns the counters (`ShopPolicy.escalations` / `ShopPolicy.escalate`), so this
module stays a pure function of its inputs.

Buyer messages are never held: a rule or escalation that could hold one is refused at load.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from classifiers.context import ContextSignal
from classifiers.errors import PolicyError
from classifiers.policy import loader as policy_file
from classifiers.policy.periods import BoundPeriod
from classifiers.policy.schema import (
    Conditions,
    ContextConditions,
    Escalation,
    FailMode,
    PolicyModel,
    Rule,
    TierSettings,
)
from classifiers.policy.shape import MessageShape
from classifiers.results import Match, Role
from classifiers.tiers import Tier
from classifiers.tone.classifier import ToneScores

# The intent model's scores have the tone scores' shape (classifiers/intent/classifier.py).
IntentScores = ToneScores

# An escalation "+1" never goes past this: route-to-human is routing, not a harsher penalty.
_ESCALATION_CEILING = Tier.BLOCK_WITH_WARNING


@dataclass(frozen=True, slots=True)
class Decision:
    tier: Tier
    rule: str | None
    reason: str | None
    escalation: str | None = None


NO_DECISION = Decision(Tier.NONE, None, None)


def _match_holds(when: Conditions, match: Match) -> bool:
    return (match.category in when.categories and match.view in when.views
            and when.min_severity <= match.severity <= when.max_severity
            and (when.evasion is None or when.evasion == match.evasion))


def _reaches(scores: Mapping[str, float], thresholds: Iterable[tuple[str, float]]) -> bool:
    """Whether any label's score reaches its threshold (a tone or intent condition). A loop,
    not any() over a generator: every agent message asks this for each tone rule."""
    for label, threshold in thresholds:
        if scores.get(label, 0.0) >= threshold:
            return True
    return False


class _OtherRule(NamedTuple):
    """A rule on tone, intent or message shape, checked for every message."""

    position: int  # in the policy file: ties go to the rule written first
    rule: Rule
    roles: frozenset[Role]
    thresholds: tuple[tuple[str, float], ...]
    has_shape: bool
    intent: tuple[tuple[str, float], ...] = ()
    unless_intent: tuple[tuple[str, float], ...] = ()
    single: tuple[str, float] | None = None  # `thresholds` when it holds one


class ShopPolicy:
    """One shop's effective policy (the default merged with its override), compiled."""

    def __init__(self, model: PolicyModel, shop: str | None) -> None:
        self.model = model
        self.shop = shop
        self.tiers: TierSettings = model.tiers
        self.fail_mode: FailMode = model.fail_mode
        self.escalation: tuple[Escalation, ...] = model.escalation
        self._periods = {name: period.bind(model.timezone)
                         for name, period in model.periods.items()}
        rules = [rule for rule in model.rules
                 if rule.when.shops is None or (shop is not None and shop in rule.when.shops)]
        # category -> rules that need it, in order, so a message with no hit costs nothing;
        # rules on tone or shape are checked for every message
        self._by_category: dict[str, list[tuple[int, Rule]]] = {}
        # plain values for the per-message loop (every agent message walks these rules)
        self._other: list[_OtherRule] = []
        for index, rule in enumerate(rules):
            if rule.when.tone or rule.when.intent or rule.when.unless_intent \
                    or rule.when.has_shape or rule.when.answers:
                self._other.append(_OtherRule(index, rule, frozenset(rule.when.roles),
                                              tuple(rule.when.tone.items()),
                                              rule.when.has_shape,
                                              tuple(rule.when.intent.items()),
                                              tuple(rule.when.unless_intent.items()),
                                              next(iter(rule.when.tone.items()))
                                              if len(rule.when.tone) == 1 else None))
                continue
            for category in rule.when.categories:
                self._by_category.setdefault(category, []).append((index, rule))
        # Without the buyer's message a rule with a context condition cannot apply: most
        # messages skip those rules (and the shape they would read) at once. Per role, so that
        # the per-message loop walks only the rules for the sender's role.
        without_context = [o for o in self._other if o.rule.when.context is None]
        self._others: dict[tuple[Role, bool], list[_OtherRule]] = {
            (role, known): [o for o in (self._other if known else without_context)
                            if role in o.roles]
            for role in Role for known in (False, True)}

    def decide(self, role: Role, matches: Sequence[Match], tone: ToneScores | None = None, *,
               intent: IntentScores | None = None, text: str = "",
               now: datetime | None = None,
               context: ContextSignal | None = None) -> Decision:
        """`context`: the buyer's previous message, read (None: unknown, and rules with a
        context condition do not apply)."""
        others = self._others[role, context is not None]
        if not matches and not others:
            return NO_DECISION
        shape: MessageShape | None = None  # only shape rules need it
        candidates: list[tuple[int, Rule]] = []
        for match in matches:
            for index, rule in self._by_category.get(match.category, ()):
                when = rule.when
                # The clock is read once, when a rule with a period first needs it.
                if role in when.roles and _match_holds(when, match) \
                        and (when.during is None and when.outside is None or self._periods_hold(
                            when, now := now or datetime.now(UTC))) \
                        and (when.context is None or when.context.holds(context)):
                    candidates.append((index, rule))
        scores = tone.scores if tone is not None else {}
        intents = intent.scores if intent is not None else {}
        # Rules that ask the answer model (its probability costs more than every other
        # condition together) are held back until the rest are known, and asked only when they
        # could still win: a reply another rule already holds at their tier or above is decided.
        asks_answer: list[tuple[int, Rule, ContextConditions]] = []
        for index, rule, _, thresholds, has_shape, intent_thresholds, unless, single in others:
            if single is not None:  # one tone threshold (most tone rules): no call for it
                if scores.get(single[0], 0.0) < single[1]:
                    continue
            elif thresholds and not _reaches(scores, thresholds):
                continue
            if intent_thresholds and not _reaches(intents, intent_thresholds):
                continue
            if unless and (intent is None or _reaches(intents, unless)):
                continue  # without intent scores an intent condition cannot hold
            when = rule.when
            if when.unmatched and matches:
                continue
            if when.categories and not any(_match_holds(when, m) for m in matches):
                continue
            if has_shape:
                shape = shape or MessageShape(text)
                if not self._shape_holds(when, shape):
                    continue
            if when.during is None and when.outside is None \
                    or self._periods_hold(when, now := now or datetime.now(UTC)):
                if when.answers and when.context is not None:
                    asks_answer.append((index, rule, when.context))
                elif when.context is None or when.context.holds(context):
                    candidates.append((index, rule))
        for index, rule, condition in asks_answer:
            if (not candidates or _rank((index, rule)) > _rank(max(candidates, key=_rank))) \
                    and condition.holds(context):
                candidates.append((index, rule))
        if not candidates:
            return NO_DECISION
        _, rule = max(candidates, key=_rank)
        return Decision(rule.tier, rule.id, rule.reason or None)

    def _periods_hold(self, when: Conditions, now: datetime) -> bool:
        if when.during is not None and not any(self._periods[p].contains(now)
                                               for p in when.during):
            return False
        return when.outside is None or not any(self._periods[p].contains(now)
                                               for p in when.outside)

    @staticmethod
    def _shape_holds(when: Conditions, shape: MessageShape) -> bool:
        if when.min_length is not None and shape.length < when.min_length:
            return False
        if when.max_length is not None and shape.length > when.max_length:
            return False
        if when.lone is not None and shape.lone not in when.lone:
            return False
        return when.only is None or shape.only(when.only)

    def escalations(self, role: Role, tier: Tier, categories: Sequence[str]) -> list[Escalation]:
        """The repeat-offence counters this message adds one to."""
        return [e for e in self.escalation
                if role in e.when.roles and tier.severity >= e.when.min_tier.severity
                and (not e.when.categories or any(c in e.when.categories for c in categories))]

    @staticmethod
    def escalate(decision: Decision, escalation: Escalation) -> Decision:
        """The decision after `escalation` reached its count (never lower than before)."""
        if escalation.to == "+1":
            target = Tier(list(Tier)[min(decision.tier.severity + 1,
                                         _ESCALATION_CEILING.severity)])
        else:
            target = Tier(escalation.to)
        if target.severity <= decision.tier.severity:
            return decision
        return Decision(target, decision.rule, escalation.reason or decision.reason,
                        escalation.id)

    def period(self, name: str) -> BoundPeriod:
        return self._periods[name]


class Policy:
    """A validated policy file: the default and every shop's effective policy, compiled."""

    def __init__(self, document: policy_file.PolicyDocument) -> None:
        assert document.default is not None and not document.errors
        self.document = document
        self.model: PolicyModel = document.default
        self.source = document.source
        self.digest = document.digest
        self.default = ShopPolicy(self.model, None)
        self._shops = {shop: ShopPolicy(model, shop) for shop, model in document.shops.items()}
        # shops without an override still see rules limited to them (`when.shops`)
        named = {s for rule in self.model.rules for s in rule.when.shops or ()}
        for shop in named - set(self._shops):
            self._shops[shop] = ShopPolicy(self.model, shop)

    def for_shop(self, shop: str | None) -> ShopPolicy:
        if shop is None:
            return self.default
        return self._shops.get(shop, self.default)

    @property
    def shops(self) -> list[str]:
        return sorted(self._shops)

    @property
    def categories(self) -> set[str]:
        models = [self.model, *(s.model for s in self._shops.values())]
        return {c for m in models for rule in m.rules for c in rule.when.categories}

    @property
    def tone_labels(self) -> set[str]:
        models = [self.model, *(s.model for s in self._shops.values())]
        return {label for m in models for rule in m.rules for label in rule.when.tone}

    @property
    def uses_answer(self) -> bool:
        """Whether a rule asks the answer model (`context: {unanswered: …}`)."""
        models = [self.model, *(s.model for s in self._shops.values())]
        return any(rule.when.answers for m in models for rule in m.rules)

    @property
    def intent_labels(self) -> set[str]:
        models = [self.model, *(s.model for s in self._shops.values())]
        return {label for m in models for rule in m.rules
                for label in (*rule.when.intent, *rule.when.unless_intent)}

    @classmethod
    def load(cls, path: Path | str, *, known_categories: Sequence[str] | None = None,
             known_tone_labels: Sequence[str] | None = None,
             known_intent_labels: Sequence[str] | None = None) -> Policy:
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise PolicyError(f"cannot read policy: {exc.strerror}", path=path) from None
        return cls.parse(raw, source=str(path), known_categories=known_categories,
                         known_tone_labels=known_tone_labels,
                         known_intent_labels=known_intent_labels)

    @classmethod
    def parse(cls, raw: bytes | str, *, source: str = "<policy>",
              known_categories: Sequence[str] | None = None,
              known_tone_labels: Sequence[str] | None = None,
              known_intent_labels: Sequence[str] | None = None) -> Policy:
        """Raise PolicyError carrying every error found; otherwise the compiled policy."""
        document = policy_file.validate(policy_file.read(raw, source),
                                        known_categories=known_categories,
                                        known_tone_labels=known_tone_labels,
                                        known_intent_labels=known_intent_labels)
        if document.errors or document.default is None:
            raise PolicyError.from_problems(document.problems)
        return cls(document)

    def decide(self, role: Role, matches: Sequence[Match], tone: ToneScores | None = None, *,
               intent: IntentScores | None = None, shop: str | None = None, text: str = "",
               now: datetime | None = None, context: ContextSignal | None = None) -> Decision:
        return self.for_shop(shop).decide(role, matches, tone, intent=intent, text=text,
                                          now=now, context=context)


def _rank(candidate: tuple[int, Rule]) -> tuple[int, int]:
    """The candidate that decides is the highest tier, then the first rule in the file."""
    index, rule = candidate
    return rule.tier.severity, -index

"""Warnings about a valid policy: rules that can never decide anything, and overlapping periods.

A rule is *shadowed* when an earlier rule of the same tier, or a rule of a more severe tier,
holds for every message it holds for: it can never be the deciding rule. A rule is *unreachable*
when its own conditions cannot all hold (a contact-view rule on a category that has no contact
hits, a rule limited to periods that have all ended). Overlapping periods are legal but usually
a mistake (two promotion windows typed with the same dates).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from itertools import combinations

from classifiers.contacts import CATEGORY as CONTACT_CATEGORY
from classifiers.errors import Problem
from classifiers.policy.loader import PolicyDocument
from classifiers.policy.schema import Conditions, PolicyModel, Rule


def lint(document: PolicyDocument, *, now: datetime | None = None) -> list[Problem]:
    """Append warnings to `document.problems` (a validated document) and return them."""
    if document.default is None:
        return []
    now = now or datetime.now(UTC)
    before = len(document.problems)
    _rules(document, document.default, ("rules",), now)
    for shop, model in document.shops.items():
        patched = {str(p.get("id")) for p in document.data["shops"][shop].get("rules") or ()}
        _rules(document, model, ("shops", shop, "rules"), now, only=patched)
    _periods(document, document.default)
    return document.problems[before:]


def implies(narrow: Conditions, wide: Conditions) -> bool:
    """True when `wide` holds for every message `narrow` holds for (a sufficient test)."""
    if not set(narrow.roles) <= set(wide.roles):
        return False
    if wide.shops is not None and (narrow.shops is None
                                   or not set(narrow.shops) <= set(wide.shops)):
        return False
    if wide.categories:
        if not narrow.categories or not set(narrow.categories) <= set(wide.categories):
            return False
        if not (wide.min_severity <= narrow.min_severity
                and narrow.max_severity <= wide.max_severity
                and set(narrow.views) <= set(wide.views)
                and (wide.evasion is None or wide.evasion == narrow.evasion)):
            return False
    if wide.tone:
        if not narrow.tone or any(label not in wide.tone or wide.tone[label] > threshold
                                  for label, threshold in narrow.tone.items()):
            return False
    if wide.intent:
        if not narrow.intent or any(label not in wide.intent or wide.intent[label] > threshold
                                    for label, threshold in narrow.intent.items()):
            return False
    # unless_intent: wide needs p < t_wide; narrow's p < t_narrow implies it when t_narrow <= t_wide
    if any(label not in narrow.unless_intent or narrow.unless_intent[label] > threshold
           for label, threshold in wide.unless_intent.items()):
        return False
    if wide.unmatched and not narrow.unmatched:
        return False
    if wide.min_length is not None and (narrow.min_length or 0) < wide.min_length:
        return False
    if wide.max_length is not None and (narrow.max_length is None
                                        or narrow.max_length > wide.max_length):
        return False
    if wide.only is not None and narrow.only is not wide.only \
            and not (wide.only == "punctuation-or-emoji" and narrow.only is not None):
        return False
    if wide.lone is not None and (narrow.lone is None or not set(narrow.lone) <= set(wide.lone)):
        return False
    if wide.context is not None and (
            narrow.context is None
            or (wide.context.needs_answer is not None
                and narrow.context.needs_answer != wide.context.needs_answer)
            or (wide.context.acts is not None
                and (narrow.context.acts is None
                     or not set(narrow.context.acts) <= set(wide.context.acts)))
            or (wide.context.unanswered is not None
                and (narrow.context.unanswered is None
                     or narrow.context.unanswered < wide.context.unanswered))):
        return False
    if wide.during is not None and (narrow.during is None
                                    or not set(narrow.during) <= set(wide.during)):
        return False
    return wide.outside is None or (narrow.outside is not None
                                    and set(wide.outside) <= set(narrow.outside))


def _rules(document: PolicyDocument, model: PolicyModel, at: tuple[str, ...], now: datetime,
           only: set[str] | None = None) -> None:
    periods = {name: p.bind(model.timezone) for name, p in model.periods.items()}
    located = _locator(document, at, model)
    for index, rule in enumerate(model.rules):
        if only is not None and rule.id not in only:
            continue
        for earlier_index, other in enumerate(model.rules):
            if other is rule:
                continue
            outranks = other.tier.severity > rule.tier.severity or (
                other.tier.severity == rule.tier.severity and earlier_index < index)
            if outranks and implies(rule.when, other.when):
                document.problem(located(rule, "when"),
                                 f"rule {rule.id!r} is shadowed by {other.id!r} "
                                 f"({other.tier}): it can never decide a message", "warning")
                break
        when = rule.when
        if "contact" in when.views and len(when.views) == 1 \
                and CONTACT_CATEGORY not in when.categories:
            document.problem(located(rule, "when"), f"rule {rule.id!r} is unreachable: only "
                             f"{CONTACT_CATEGORY} has contact hits", "warning")
        if when.during and all(periods[p].ended_before(now) for p in when.during):
            document.problem(located(rule, "when"), f"rule {rule.id!r} is unreachable: its "
                             f"periods ({', '.join(when.during)}) have all ended", "warning")


def _locator(document: PolicyDocument, at: tuple[str, ...],
             model: PolicyModel) -> Callable[..., tuple[int | str, ...]]:
    def located(rule: Rule, *rest: str) -> tuple[int | str, ...]:
        if at[0] == "rules":
            return ("rules", model.rules.index(rule), *rest)
        patches = document.data["shops"][at[1]].get("rules") or ()
        index = next(i for i, p in enumerate(patches) if p.get("id") == rule.id)
        return (*at, index, *rest)
    return located


def _periods(document: PolicyDocument, model: PolicyModel) -> None:
    bound = {name: p.bind(model.timezone) for name, p in model.periods.items()}
    for (a, pa), (b, pb) in combinations(bound.items(), 2):
        if pa.overlaps(pb):
            document.problem(("periods", b), f"period {b!r} overlaps period {a!r}", "warning")

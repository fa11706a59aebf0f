"""Reading `policies.yaml`: YAML → validated `PolicyModel`s (the default and one per shop), with
every problem found reported at its file:line:column, not only the first.

Shop sections are merged over the default here (`merge_shop`), then validated like a policy of
their own, so a shop override can never produce a policy the default schema would refuse.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from classifiers.errors import PolicyError, Problem
from classifiers.policy.periods import Period
from classifiers.policy.schema import Conditions, Escalation, EscalationWhen, PolicyModel, Rule
from classifiers.results import Role
from classifiers.tiers import Tier

Loc = tuple[int | str, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass
class PolicyDocument:
    """A parsed policy file: its data, its YAML node tree (for positions) and its models."""

    source: str
    digest: str
    data: dict[str, Any]
    root: yaml.Node
    default: PolicyModel | None = None
    shops: dict[str, PolicyModel] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def problem(self, loc: Loc, message: str, severity: str = "error") -> Problem:
        line, column = position(self.root, loc)
        where = ".".join(str(p) for p in loc)
        problem = Problem(f"{where}: {message}" if where else message, self.source, line, column,
                          "warning" if severity == "warning" else "error")
        self.problems.append(problem)
        return problem


def read(raw: bytes | str, source: str) -> PolicyDocument:
    """Decode and parse; raise PolicyError for what makes the file unreadable as YAML."""
    try:
        data_bytes = raw.encode() if isinstance(raw, str) else raw
    except UnicodeEncodeError as exc:  # a lone surrogate, e.g. from a JSON body's "\ud800"
        raise PolicyError(f"not valid Unicode (character {exc.start + 1})", path=source) from None
    try:
        text = data_bytes.decode("utf-8-sig")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except UnicodeDecodeError as exc:
        raise PolicyError(f"not valid UTF-8 (byte {exc.start})", path=source) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (controls)
        raise PolicyError(f"YAML does not allow character U+{exc.character:04X}"
                          if isinstance(exc.character, int) else f"YAML: {exc.reason}",
                          path=source) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise PolicyError(f"YAML syntax error: {exc.problem}", path=source,
                          line=mark.line + 1 if mark else None,
                          column=mark.column + 1 if mark else None) from None
    if not isinstance(data, dict) or root is None:
        raise PolicyError("the policy must be a YAML mapping with 'version' and 'rules'",
                          path=source, line=1)
    return PolicyDocument(source, hashlib.sha256(data_bytes).hexdigest(), data, root)


def validate(document: PolicyDocument, *, known_categories: Sequence[str] | None,
             known_tone_labels: Sequence[str] | None,
             known_intent_labels: Sequence[str] | None = None) -> PolicyDocument:
    """`known_intent_labels`: None skips the check (the scorer refuses a policy that uses
    intent without a model, with its own message)."""
    """Fill `document.default`, `document.shops` and `document.problems` (errors only; the
    warnings of `policy check` come from classifiers.policy.lint)."""
    model = _model(document, document.data, lambda loc: loc)
    if model is None:
        # Still report unknown names in what is itself well-formed.
        _check_names(document, _partial(document.data), lambda loc: loc, known_categories,
                     known_tone_labels, only_rules=None, known_intent=known_intent_labels)
        _check_disabled(document, document.data)
        return document
    document.default = model
    _check_names(document, model, lambda loc: loc, known_categories, known_tone_labels,
                 only_rules=None, known_intent=known_intent_labels)
    _check_disabled(document, document.data)
    for shop, override in model.shops.items():
        base: Loc = ("shops", shop)
        for key in override.tiers:
            if key not in ("notice", "suggest-edit", "force-edit", "block",
                           "block-with-warning", "route-to-human"):
                document.problem((*base, "tiers", key), f"unknown tier {key!r}")
        for kind in ("rules", "escalation"):
            for index, patch in enumerate(getattr(override, kind)):
                if not isinstance(patch.get("id"), str):
                    document.problem((*base, kind, index), "needs an 'id': the default's id to "
                                     "change, or a new one to add")
        if document.errors:
            continue
        merged = merge_shop(document.data, shop)
        locate = _shop_locator(document.data, shop)
        shop_model = _model(document, merged, locate)
        if shop_model is None:
            continue
        patched = {str(p["id"]) for p in override.rules}
        _check_names(document, shop_model, locate, known_categories, known_tone_labels,
                     only_rules=patched, known_intent=known_intent_labels)
        document.shops[shop] = shop_model
    return document


def _check_disabled(document: PolicyDocument, data: dict[str, Any]) -> None:
    """A shop's `disable` must name a rule or escalation of the default (read from the raw data,
    so that it is checked whatever else is wrong with the file)."""
    ids = {item.get("id") for kind in ("rules", "escalation") for item in _list(data.get(kind))
           if isinstance(item, dict)}
    shops = data.get("shops")
    for shop, override in shops.items() if isinstance(shops, dict) else ():
        disabled = override.get("disable") if isinstance(override, dict) else None
        for index, rule_id in enumerate(_list(disabled)):
            if isinstance(rule_id, str) and rule_id not in ids:
                document.problem(("shops", shop, "disable", index),
                                 f"no rule or escalation {rule_id!r} to disable")


def merge_shop(data: dict[str, Any], shop: str) -> dict[str, Any]:
    """The default policy data with shop `shop`'s override applied (data of a valid file)."""
    override = data["shops"][shop] or {}
    merged = {key: value for key, value in data.items() if key != "shops"}
    tiers = dict(data.get("tiers") or {})
    for tier, patch in (override.get("tiers") or {}).items():
        tiers[tier] = {**(tiers.get(tier) or {}), **(patch or {})}
    if tiers:
        merged["tiers"] = tiers
    if override.get("fail_mode"):
        merged["fail_mode"] = {**(data.get("fail_mode") or {}), **override["fail_mode"]}
    disabled = set(override.get("disable") or ())
    for kind in ("rules", "escalation"):
        items = [dict(item) for item in data.get(kind) or () if item.get("id") not in disabled]
        by_id = {item.get("id"): item for item in items}
        for patch in override.get(kind) or ():
            target = by_id.get(patch.get("id"))
            if target is None:
                items.append(dict(patch))
                continue
            for key, value in patch.items():
                if key == "when" and isinstance(value, dict):
                    target["when"] = {**(target.get("when") or {}), **value}
                else:
                    target[key] = value
        merged[kind] = items
    return merged


def _shop_locator(data: dict[str, Any], shop: str) -> Callable[[Loc], Loc]:
    """Map a position in the merged shop policy back to the file: a rule the shop patched or
    added points into the shop section, anything else to the shop's name."""
    override = data["shops"][shop] or {}

    def locate(loc: Loc) -> Loc:
        if len(loc) >= 2 and loc[0] in ("rules", "escalation") and isinstance(loc[1], int):
            disabled = set(override.get("disable") or ())
            items = [i for i in data.get(str(loc[0])) or () if i.get("id") not in disabled]
            patches = list(override.get(str(loc[0])) or ())
            ids = [i.get("id") for i in items] + [p.get("id") for p in patches
                                                   if p.get("id") not in
                                                   {i.get("id") for i in items}]
            rule_id = ids[loc[1]] if loc[1] < len(ids) else None
            for index, patch in enumerate(patches):
                if patch.get("id") == rule_id:
                    return ("shops", shop, str(loc[0]), index, *loc[2:])
        if loc and loc[0] in ("tiers", "fail_mode"):
            return ("shops", shop, *loc)
        return ("shops", shop)
    return locate


def _model(document: PolicyDocument, data: dict[str, Any],
           locate: Callable[[Loc], Loc]) -> PolicyModel | None:
    duplicates = _duplicate_ids(document, data, locate)
    try:
        return PolicyModel.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
            message = error["msg"].removeprefix("Value error, ")
            if not loc and duplicates and "ids must be unique" in message:
                continue   # the schema's whole-file message; each duplicate is at its own line
            document.problem(locate(loc), message)
        return None


def _duplicate_ids(document: PolicyDocument, data: dict[str, Any],
                   locate: Callable[[Loc], Loc]) -> int:
    """Report each repeated rule or escalation id at the repeat's own `id` (the schema can only
    say "somewhere in the file"), from the raw data so that it is found whatever else is wrong;
    returns how many were reported."""
    found = 0
    for kind, label in (("rules", "rule"), ("escalation", "escalation")):
        items = data.get(kind)
        first: dict[str, int] = {}
        for index, item in enumerate(items if isinstance(items, list) else ()):
            rule_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(rule_id, str):
                continue
            if rule_id in first:
                line, _ = position(document.root, locate((kind, first[rule_id], "id")))
                document.problem(locate((kind, index, "id")),
                                 f"{label} ids must be unique: {rule_id!r} is also at line {line}")
                found += 1
            else:
                first[rule_id] = index
    return found


def _partial(data: dict[str, Any]) -> PolicyModel:
    """The well-formed rules, escalations and periods of a file that failed validation as a
    whole (one at its own position that is not well-formed is a placeholder that checks
    nothing; a malformed period keeps its name, so rules naming it are not told it is unknown)."""
    rules = tuple(_valid(Rule, item, _PLACEHOLDER) for item in _list(data.get("rules")))
    escalation = tuple(_valid(Escalation, item, _NO_ESCALATION)
                       for item in _list(data.get("escalation")))
    raw_periods = data.get("periods")
    periods = {str(name): _valid(Period, item, _NO_PERIOD) for name, item in
               (raw_periods.items() if isinstance(raw_periods, dict) else ())}
    return PolicyModel.model_construct(version=1, rules=rules, periods=periods,
                                       escalation=escalation)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _valid(model: type[M], item: object, placeholder: M) -> M:
    try:
        return model.model_validate(item)
    except ValidationError:
        return placeholder


_PLACEHOLDER = Rule.model_construct(id="-", tier=Tier.NOTICE, when=Conditions.model_construct(
    roles=(), categories=(), tone={}, intent={}, unless_intent={}, during=None, outside=None))
_NO_ESCALATION = Escalation.model_construct(id="-", when=EscalationWhen.model_construct(
    roles=(), categories=()))
_NO_PERIOD = Period.model_construct()


def _check_names(document: PolicyDocument, model: PolicyModel, locate: Callable[[Loc], Loc],
                 known_categories: Sequence[str] | None, known_tone_labels: Sequence[str] | None,
                 *, only_rules: set[str] | None,
                 known_intent: Sequence[str] | None = None) -> None:
    """Names the schema cannot know: categories, tone and intent labels, periods; and the buyer
    rule."""
    def rules() -> list[tuple[int, Rule]]:
        return [(i, r) for i, r in enumerate(model.rules)
                if only_rules is None or r.id in only_rules]

    for index, rule in rules():
        at: Loc = ("rules", index, "when")
        if known_categories is not None:
            for position_, category in enumerate(rule.when.categories):
                if category not in known_categories:
                    document.problem(locate((*at, "categories", position_)),
                                     f"unknown category {category!r}; known: "
                                     f"{', '.join(sorted(known_categories))}")
        if known_tone_labels is not None:
            for label in rule.when.tone:
                if label not in known_tone_labels:
                    document.problem(locate((*at, "tone", label)),
                                     f"unknown tone label {label!r}; known: "
                                     f"{', '.join(known_tone_labels) or '(no tone model loaded)'}")
        if known_intent is not None:
            for key, label in [*(("intent", label) for label in rule.when.intent),
                               *(("unless_intent", label) for label in rule.when.unless_intent)]:
                if label not in known_intent:
                    document.problem(locate((*at, key, label)),
                                     f"unknown intent label {label!r}; known: "
                                     f"{', '.join(known_intent) or '(no intent model loaded)'}")
        for key in ("during", "outside"):
            for position_, name in enumerate(getattr(rule.when, key) or ()):
                if name not in model.periods:
                    document.problem(locate((*at, key, position_)),
                                     f"unknown period {name!r}; defined: "
                                     f"{', '.join(sorted(model.periods)) or '(none)'}")
        if Role.BUYER in rule.when.roles and rule.tier.holds_message:
            document.problem(locate(("rules", index, "tier")),
                             f"({rule.id}) tier {rule.tier} would hold a buyer's message; "
                             "buyer messages are never held")
    if only_rules is not None:
        return
    for index, escalation in enumerate(model.escalation):
        if known_categories is None:
            break
        for position_, category in enumerate(escalation.when.categories):
            if category not in known_categories:
                document.problem(locate(("escalation", index, "when", "categories", position_)),
                                 f"unknown category {category!r}; known: "
                                 f"{', '.join(sorted(known_categories))}")


def position(root: yaml.Node, loc: Loc) -> tuple[int | None, int | None]:
    """Line and column (1-based) of the YAML node at `loc`, or of its nearest existing parent."""
    node = root
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    child = value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
    return node.start_mark.line + 1, node.start_mark.column + 1

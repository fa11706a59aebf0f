"""The policy: `policies.yaml` → `Policy`, and `Policy.decide()` — where the tier is decided.

A rule names the signals it needs (sender role, lexicon categories, term severity, the view that
matched, whether the term was disguised) and the tier
it leads to. Evaluation order: every rule whose conditions hold is a candidate; the most severe
tier wins; among rules of the same tier, the first in the file wins. The verdict names the rule.
With no candidate the tier is `none` and the rule is null.

Buyer messages are never held: a rule that could hold a buyer's message is rejected when the
policy is loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from classifiers.errors import PolicyError
from classifiers.results import Match, Role
from classifiers.tiers import Tier


View = Literal["base", "pinyin", "message", "contact"]


class Conditions(BaseModel):
    """What must hold for a rule to apply. Omitted conditions always hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    roles: tuple[Role, ...] = (Role.AGENT, Role.BOT, Role.BUYER)
    categories: tuple[str, ...] = Field(default=(), min_length=1)
    min_severity: int = Field(default=1, ge=1, le=3)
    max_severity: int = Field(default=3, ge=1, le=3)
    # Which view of the message produced the hit: a term spelled as a homophone or in pinyin
    # (view "pinyin") is itself a sign of evasion and can be treated more strictly.
    views: tuple[View, ...] = ("base", "pinyin", "message", "contact")
    # Only hits whose term was disguised (separators, invisible characters, homophones, pinyin).
    evasion: bool | None = None

    @model_validator(mode="after")
    def _severity_range(self) -> Conditions:
        if self.min_severity > self.max_severity:
            raise ValueError(f"min_severity {self.min_severity} > max_severity {self.max_severity}")
        return self


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    tier: Tier
    when: Conditions
    reason: str = ""

    @field_validator("tier")
    @classmethod
    def _not_none(cls, tier: Tier) -> Tier:
        if tier is Tier.NONE:
            raise ValueError("a rule's tier cannot be 'none' (no rule means none)")
        return tier


class PolicyModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1, le=1)
    normalization: tuple[str, ...] | None = None
    rules: tuple[Rule, ...]

    @model_validator(mode="after")
    def _consistent(self) -> PolicyModel:
        ids = [rule.id for rule in self.rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"rule ids must be unique: {', '.join(duplicates)}")
        return self


@dataclass(frozen=True, slots=True)
class Decision:
    tier: Tier
    rule: str | None
    reason: str | None


NO_DECISION = Decision(Tier.NONE, None, None)


class Policy:
    """A validated policy, compiled for fast per-message decisions."""

    def __init__(self, model: PolicyModel, *, source: str = "<policy>", digest: str = "") -> None:
        self.model = model
        self.source = source
        self.digest = digest
        # category -> rules that mention it, in file order, so a message with no hit costs nothing
        self._by_category: dict[str, list[tuple[int, Rule]]] = {}
        for index, rule in enumerate(model.rules):
            for category in rule.when.categories:
                self._by_category.setdefault(category, []).append((index, rule))

    @property
    def categories(self) -> set[str]:
        return set(self._by_category)

    @classmethod
    def load(cls, path: Path | str, *, known_categories: Sequence[str] | None = None) -> Policy:
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise PolicyError(f"cannot read policy: {exc.strerror}", path=path) from None
        return cls.parse(raw, source=str(path), known_categories=known_categories)

    @classmethod
    def parse(cls, raw: bytes | str, *, source: str = "<policy>",
              known_categories: Sequence[str] | None = None) -> Policy:
        data_bytes = raw.encode() if isinstance(raw, str) else raw
        try:
            text = data_bytes.decode("utf-8-sig")
            root = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except UnicodeDecodeError as exc:
            raise PolicyError(f"not valid UTF-8 (byte {exc.start})", path=source) from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            raise PolicyError(f"YAML syntax error: {exc.problem}", path=source,
                              line=mark.line + 1 if mark else None,
                              column=mark.column + 1 if mark else None) from None
        if not isinstance(data, dict):
            raise PolicyError("the policy must be a YAML mapping with 'version' and 'rules'",
                              path=source, line=1)
        try:
            model = PolicyModel.model_validate(data)
        except ValidationError as exc:
            error = exc.errors()[0]
            line, column = _position(root, error["loc"])
            where = ".".join(str(p) for p in error["loc"])
            raise PolicyError(f"{where}: {error['msg']}" if where else error["msg"],
                              path=source, line=line, column=column) from None
        for index, rule in enumerate(model.rules):
            if known_categories is not None:
                for position, category in enumerate(rule.when.categories):
                    if category not in known_categories:
                        line, column = _position(root, ("rules", index, "when", "categories",
                                                        position))
                        raise PolicyError(
                            f"rules.{index}.when.categories: unknown category {category!r}; "
                            f"known: {', '.join(sorted(known_categories))}",
                            path=source, line=line, column=column)
            if Role.BUYER in rule.when.roles and rule.tier.holds_message:
                line, column = _position(root, ("rules", index, "tier"))
                raise PolicyError(f"rules.{index} ({rule.id}): tier {rule.tier} would hold a "
                                  "buyer's message; buyer messages are never held",
                                  path=source, line=line, column=column)
        return cls(model, source=source, digest=hashlib.sha256(data_bytes).hexdigest())

    def decide(self, role: Role, matches: Sequence[Match]) -> Decision:
        if not matches:
            return NO_DECISION
        best: tuple[int, int, Rule] | None = None
        for match in matches:
            for index, rule in self._by_category.get(match.category, ()):
                when = rule.when
                if role not in when.roles or match.view not in when.views or not (
                        when.min_severity <= match.severity <= when.max_severity) or (
                        when.evasion is not None and when.evasion != match.evasion):
                    continue
                key = (rule.tier.severity, -index)
                if best is None or key > best[:2]:
                    best = (key[0], key[1], rule)
        if best is None:
            return NO_DECISION
        rule = best[2]
        return Decision(rule.tier, rule.id, rule.reason or None)


def _position(root: Any, loc: Sequence[int | str]) -> tuple[int | None, int | None]:
    """Line and column (1-based) of the YAML node at `loc`, or of its nearest existing parent."""
    node = root
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child = value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
    if node is None:
        return None, None
    return node.start_mark.line + 1, node.start_mark.column + 1

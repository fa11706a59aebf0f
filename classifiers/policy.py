"""The policy: `policies.yaml` → `Policy`, and `Policy.decide()` — where the tier is decided.

A rule names the signals it needs (sender role, lexicon categories, term severity, the view that
matched, whether the term was disguised, tone probabilities) and the tier
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
from classifiers.tone import ToneScores

View = Literal["base", "pinyin", "message", "contact"]


class Conditions(BaseModel):
    """What must hold for a rule to apply. Omitted conditions always hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    roles: tuple[Role, ...] = (Role.AGENT, Role.BOT, Role.BUYER)
    categories: tuple[str, ...] = ()
    min_severity: int = Field(default=1, ge=1, le=3)
    max_severity: int = Field(default=3, ge=1, le=3)
    # Which view of the message produced the hit: a term spelled as a homophone or in pinyin
    # (view "pinyin") is itself a sign of evasion and can be treated more strictly.
    views: tuple[View, ...] = ("base", "pinyin", "message", "contact")
    # Only hits whose term was disguised (separators, invisible characters, homophones, pinyin).
    evasion: bool | None = None
    # Tone model probabilities: the rule holds when any listed label reaches its threshold.
    tone: dict[str, float] = Field(default_factory=dict)
    # Only messages with no lexicon or contact match at all (tone rules only).
    unmatched: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Conditions:
        if self.min_severity > self.max_severity:
            raise ValueError(f"min_severity {self.min_severity} > max_severity {self.max_severity}")
        if not self.categories and not self.tone:
            raise ValueError("a rule needs at least one signal: categories or tone")
        if self.unmatched and self.categories:
            raise ValueError("unmatched: true cannot be combined with categories")
        for label, threshold in self.tone.items():
            if not 0.0 < threshold <= 1.0:
                raise ValueError(f"tone threshold for {label!r} must be in (0, 1], "
                                 f"not {threshold}")
        return self

    def tone_holds(self, tone: ToneScores | None) -> bool:
        return tone is not None and any(
            tone.scores.get(label, 0.0) >= threshold for label, threshold in self.tone.items())

    def match_holds(self, match: Match) -> bool:
        return (match.category in self.categories and match.view in self.views
                and self.min_severity <= match.severity <= self.max_severity
                and (self.evasion is None or self.evasion == match.evasion))


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
        # category -> rules that mention it, in file order, so a message with no hit costs nothing;
        # rules on tone are checked for every message that has tone scores
        self._by_category: dict[str, list[tuple[int, Rule]]] = {}
        self._tone_rules: list[tuple[int, Rule]] = []
        for index, rule in enumerate(model.rules):
            if rule.when.tone:
                self._tone_rules.append((index, rule))
                continue
            for category in rule.when.categories:
                self._by_category.setdefault(category, []).append((index, rule))

    @property
    def categories(self) -> set[str]:
        return {c for rule in self.model.rules for c in rule.when.categories}

    @property
    def tone_labels(self) -> set[str]:
        return {label for rule in self.model.rules for label in rule.when.tone}

    @classmethod
    def load(cls, path: Path | str, *, known_categories: Sequence[str] | None = None,
             known_tone_labels: Sequence[str] | None = None) -> Policy:
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise PolicyError(f"cannot read policy: {exc.strerror}", path=path) from None
        return cls.parse(raw, source=str(path), known_categories=known_categories,
                         known_tone_labels=known_tone_labels)

    @classmethod
    def parse(cls, raw: bytes | str, *, source: str = "<policy>",
              known_categories: Sequence[str] | None = None,
              known_tone_labels: Sequence[str] | None = None) -> Policy:
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
            if known_tone_labels is not None:
                for label in rule.when.tone:
                    if label not in known_tone_labels:
                        line, column = _position(root, ("rules", index, "when", "tone", label))
                        raise PolicyError(
                            f"rules.{index}.when.tone: unknown tone label {label!r}; known: "
                            f"{', '.join(known_tone_labels) or '(no tone model loaded)'}",
                            path=source, line=line, column=column)
            if Role.BUYER in rule.when.roles and rule.tier.holds_message:
                line, column = _position(root, ("rules", index, "tier"))
                raise PolicyError(f"rules.{index} ({rule.id}): tier {rule.tier} would hold a "
                                  "buyer's message; buyer messages are never held",
                                  path=source, line=line, column=column)
        return cls(model, source=source, digest=hashlib.sha256(data_bytes).hexdigest())

    def decide(self, role: Role, matches: Sequence[Match],
               tone: ToneScores | None = None) -> Decision:
        if not matches and (tone is None or not self._tone_rules):
            return NO_DECISION
        candidates: list[tuple[int, Rule]] = []
        for match in matches:
            candidates.extend((index, rule) for index, rule in
                              self._by_category.get(match.category, ())
                              if role in rule.when.roles and rule.when.match_holds(match))
        for index, rule in self._tone_rules:
            when = rule.when
            if role not in when.roles or not when.tone_holds(tone):
                continue
            if when.unmatched and matches:
                continue
            if when.categories and not any(when.match_holds(m) for m in matches):
                continue
            candidates.append((index, rule))
        if not candidates:
            return NO_DECISION
        _, rule = max(candidates, key=lambda item: (item[1].tier.severity, -item[0]))
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

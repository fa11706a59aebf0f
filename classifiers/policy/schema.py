"""The schema of `policies.yaml` as pydantic models (documented with examples in docs/policy.md).

    PolicyModel
     ├── timezone, periods        named time windows rules can be limited to (policy/periods.py)
     ├── tiers                    per-tier settings: banner text and duration, prompts, warning,
     │                            routing (TierSettings)
     ├── fail_mode                what happens to a message whose scoring failed, per role
     ├── rules                    signals → tier (Rule, Conditions)
     ├── escalation               repeat offences: the Nth hit within a window goes up a tier
     └── shops                    per-shop overrides, merged over the rest (ShopOverride)

Models only validate; compiling them for per-message use is `classifiers.policy.decide`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from classifiers.context import Act, ContextSignal
from classifiers.policy.periods import Period, zone
from classifiers.policy.shape import Lone, Only
from classifiers.results import Role
from classifiers.tiers import Tier

View = Literal["base", "pinyin", "split", "message", "contact", "near", "invitation"]
RULE_ID = r"^[a-z0-9][a-z0-9_.-]*$"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: str | int | float) -> float:
    """'90s', '30m', '1.5h', '7d' or a number of seconds → seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration like 90s, 30m, 2h or 7d")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


# A number of seconds, or '90s', '30m', '2h', '7d'.
Duration = Annotated[float, BeforeValidator(parse_duration)]


def _not_none(message: str) -> AfterValidator:
    """A tier field where 'none' makes no sense, refused with `message`."""
    def check(tier: Tier) -> Tier:
        if tier is Tier.NONE:
            raise ValueError(message)
        return tier
    return AfterValidator(check)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ContextConditions(_Strict):
    """The buyer's previous message (classifiers/context.py). A rule with a context condition
    holds only when that message is known and matches: without it (the first message of a
    conversation, `score` without --context) the rule does not apply."""

    # The buyer asked a question, made a request or complained (true), or did not (false).
    needs_answer: bool | None = None
    # Its dialogue act is one of these.
    acts: tuple[Act, ...] | None = None
    # The answer model (classifiers/tone/answer.py) gives at least this probability that the
    # reply leaves the buyer's message unanswered; never holds without an answer model.
    unanswered: Annotated[float, Field(gt=0.0, le=1.0)] | None = None

    @model_validator(mode="after")
    def _some(self) -> ContextConditions:
        if self.needs_answer is None and self.acts is None and self.unanswered is None:
            raise ValueError("context needs needs_answer, acts or unanswered")
        if self.acts is not None and not self.acts:
            raise ValueError("context acts is empty: the rule could never apply")
        return self

    def holds(self, signal: ContextSignal | None) -> bool:
        if signal is None:
            return False
        if not ((self.needs_answer is None or signal.needs_answer == self.needs_answer)
                and (self.acts is None or signal.act in self.acts)):
            return False
        # the answer model runs last, and only here: most replies never reach it
        unanswered = signal.unanswered if self.unanswered is not None else None
        return self.unanswered is None or (unanswered is not None
                                           and unanswered >= self.unanswered)


class Conditions(_Strict):
    """What must hold for a rule to apply. Omitted conditions always hold."""

    roles: tuple[Role, ...] = (Role.AGENT, Role.BOT, Role.BUYER)
    # Only for these shops (default: every shop).
    shops: tuple[str, ...] | None = None
    categories: tuple[str, ...] = ()
    min_severity: int = Field(default=1, ge=1, le=3)
    max_severity: int = Field(default=3, ge=1, le=3)
    # Which view of the message produced the hit: a term spelled as a homophone or in pinyin
    # (view "pinyin") is itself a sign of evasion and can be treated more strictly.
    views: tuple[View, ...] = ("base", "pinyin", "split", "message", "contact", "near",
                               "invitation")
    # Only hits whose term was disguised (separators, invisible characters, homophones, pinyin).
    evasion: bool | None = None
    # Tone model probabilities: the rule holds when any listed label reaches its threshold.
    tone: dict[str, float] = Field(default_factory=dict)
    # Buyer intent probabilities (buyer messages only): holds when any listed label reaches
    # its threshold.
    intent: dict[str, float] = Field(default_factory=dict)
    # ... and the converse: holds when none of the listed labels reaches its threshold (a
    # lexicon hit that routes unless the model is sure the message is ordinary).
    unless_intent: dict[str, float] = Field(default_factory=dict)
    # Only messages with no lexicon or contact match at all (tone and shape rules).
    unmatched: bool = False
    # Message shape: characters other than whitespace, and punctuation-only / emoji-only.
    min_length: int | None = Field(default=None, ge=1)
    max_length: int | None = Field(default=None, ge=1)
    only: Only | None = None
    # A lone acknowledgement (好的亲, 嗯嗯收到) or bare answer (是的亲, 有的呢): one of these.
    lone: tuple[Lone, ...] | None = Field(default=None, min_length=1)
    # Time windows (names from `periods`): the rule holds only during / outside them.
    during: tuple[str, ...] | None = None
    outside: tuple[str, ...] | None = None
    # The buyer's previous message: whether it needed an answer, or its dialogue act.
    context: ContextConditions | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Conditions:
        if self.min_severity > self.max_severity:
            raise ValueError(f"min_severity {self.min_severity} > max_severity {self.max_severity}")
        if not (self.categories or self.tone or self.intent or self.unless_intent
                or self.has_shape or self.answers):
            raise ValueError("a rule needs at least one signal: categories, tone, intent, "
                             "unless_intent, min_length, max_length, only, lone or context "
                             "unanswered")
        if self.unmatched and self.categories:
            raise ValueError("unmatched: true cannot be combined with categories")
        if self.min_length is not None and self.max_length is not None \
                and self.min_length > self.max_length:
            raise ValueError(f"min_length {self.min_length} > max_length {self.max_length}")
        for label, threshold in self.tone.items():
            if not 0.0 < threshold <= 1.0:
                raise ValueError(f"tone threshold for {label!r} must be in (0, 1], "
                                 f"not {threshold}")
        for key in ("intent", "unless_intent"):
            for label, threshold in getattr(self, key).items():
                if not 0.0 < threshold <= 1.0:
                    raise ValueError(f"{key} threshold for {label!r} must be in (0, 1], "
                                     f"not {threshold}")
        if not self.roles:
            raise ValueError("roles is empty: the rule could never apply")
        if (self.intent or self.unless_intent) and set(self.roles) != {Role.BUYER}:
            raise ValueError("intent is scored on buyer messages only: a rule with intent or "
                             "unless_intent needs roles: [buyer]")
        return self

    @property
    def answers(self) -> bool:
        """Whether the rule asks the answer model (`context: {unanswered: …}`)."""
        return self.context is not None and self.context.unanswered is not None

    @property
    def has_shape(self) -> bool:
        return self.min_length is not None or self.max_length is not None \
            or self.only is not None or self.lone is not None


class Rule(_Strict):
    id: str = Field(pattern=RULE_ID)
    tier: Annotated[Tier, _not_none("a rule's tier cannot be 'none' (no rule means none)")]
    when: Conditions
    # Shown to the agent (banner, dialog, block reason or warning); default: the tier's text.
    reason: str = ""


class NoticeSettings(_Strict):
    text: str = "请注意回复用语，保持耐心、礼貌"
    duration_s: float = Field(default=10.0, gt=0, le=600)
    # The platform's banner cannot be closed; the field exists so that the rule is explicit.
    dismissible: Literal[False] = False


# How long a held message waits for the agent (an edit, or send-anyway) before it expires: it
# survives a reload of the agent's page or a reconnect in the meantime.
HOLD_DEFAULT_S = 1800.0


class SuggestEditSettings(_Strict):
    prompt: str = "这条消息可能让买家不满，建议修改后再发送"
    hold: Duration = Field(default=HOLD_DEFAULT_S, gt=0,
                           description="seconds (or 30m) the held message waits for the agent")


class ForceEditSettings(_Strict):
    prompt: str = "这条消息不符合客服规范，请修改后再发送"
    hold: Duration = Field(default=HOLD_DEFAULT_S, gt=0,
                           description="seconds (or 30m) the held message waits for the agent")


class BlockSettings(_Strict):
    reason: str = "消息不符合平台规则，未发送"


class WarningSettings(_Strict):
    warning: str = ("您的消息违反了平台客服规范，未发送。请阅读并确认本警告，"
                    "确认后方可在此会话中继续发送消息")


class RouteSettings(_Strict):
    buyer_hint: str = "已为您转接人工客服，请稍候"
    agent_hint: str = "该买家已转接给您，已关闭对此买家的机器人辅助回复"
    # User ids of the human agents who may take routed buyers; empty: every human agent.
    eligible_agents: tuple[str, ...] = ()
    # Later entries of the same buyer skip the bot and the queue for this long.
    sticky: Duration = Field(default=1800.0, description="seconds, or a duration like 30m")
    # With no eligible human agent online: `stay` leaves the conversation where it is (logged).
    when_offline: Literal["stay"] = "stay"


class TierSettings(_Strict):
    notice: NoticeSettings = NoticeSettings()
    suggest_edit: SuggestEditSettings = Field(default=SuggestEditSettings(), alias="suggest-edit")
    force_edit: ForceEditSettings = Field(default=ForceEditSettings(), alias="force-edit")
    block: BlockSettings = BlockSettings()
    block_with_warning: WarningSettings = Field(default=WarningSettings(),
                                                alias="block-with-warning")
    route_to_human: RouteSettings = Field(default=RouteSettings(), alias="route-to-human")


FailAction = Literal["open", "closed"]


class FailMode(_Strict):
    """When scoring itself fails: `open` delivers the message and logs it as unscored;
    `closed` holds it and tells the sender. Never a silent pass: both are counted."""

    agent: FailAction = "closed"
    bot: FailAction = "closed"
    buyer: Literal["open"] = "open"  # buyer messages are never held
    message: str = "消息暂时无法完成审核，未发送，请稍后重试"

    def for_role(self, role: Role) -> FailAction:
        return self.agent if role is Role.AGENT else self.bot if role is Role.BOT else "open"


class EscalationWhen(_Strict):
    roles: tuple[Role, ...] = (Role.AGENT, Role.BOT)
    # Hits of these categories count (default: any category).
    categories: tuple[str, ...] = ()
    # Only messages the policy put at this tier or above count.
    min_tier: Annotated[Tier, _not_none(
        "min_tier cannot be 'none': only intercepted messages count")] = Tier.NOTICE


class Escalation(_Strict):
    """The same sender's `count`-th counted message within `within` goes to `to`."""

    id: str = Field(pattern=RULE_ID)
    when: EscalationWhen = EscalationWhen()
    count: int = Field(ge=2, le=1000)
    within: Duration
    to: Annotated[Tier, _not_none("an escalation cannot lead to 'none'")] | Literal["+1"] = "+1"
    reason: str = ""

    @model_validator(mode="after")
    def _no_buyer_hold(self) -> Escalation:
        if Role.BUYER in self.when.roles and (self.to == "+1" or Tier(self.to).holds_message):
            raise ValueError("an escalation that counts buyers may only lead to notice or "
                             "route-to-human: buyer messages are never held")
        return self


class ShopOverride(_Strict):
    """A shop's differences from the default; everything it does not name is inherited.

    `rules` entries with the id of a default rule change only the fields they name (`when` key
    by key); new ids are added after the default rules. `disable` removes rules or escalations.
    """

    tiers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    fail_mode: dict[str, Any] = Field(default_factory=dict)
    disable: tuple[str, ...] = ()
    rules: tuple[dict[str, Any], ...] = ()
    escalation: tuple[dict[str, Any], ...] = ()


class PolicyModel(_Strict):
    version: int = Field(ge=1, le=1)
    timezone: str = "Asia/Shanghai"
    normalization: tuple[str, ...] | None = None
    periods: dict[str, Period] = Field(default_factory=dict)
    tiers: TierSettings = TierSettings()
    fail_mode: FailMode = FailMode()
    rules: tuple[Rule, ...]
    escalation: tuple[Escalation, ...] = ()
    shops: dict[str, ShopOverride] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        zone(name)
        return name

    @model_validator(mode="after")
    def _consistent(self) -> PolicyModel:
        for kind, ids in (("rule", [r.id for r in self.rules]),
                          ("escalation", [e.id for e in self.escalation])):
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            if duplicates:
                raise ValueError(f"{kind} ids must be unique: {', '.join(duplicates)}")
        return self

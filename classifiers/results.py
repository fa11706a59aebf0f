"""Values passed between the pipeline stages and returned to callers.

These are the stable types every later component builds on (gateway frames, log records, replay):
`Role` of the sender, `Match` (one lexicon or structural hit, spans on the ORIGINAL text),
`Verdict` (the scorer's answer for one message).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from classifiers.tiers import Tier

if TYPE_CHECKING:  # the tone classifier imports numpy; the CLI reads Role without it
    from classifiers.context import ContextSignal
    from classifiers.intent.classifier import IntentScores
    from classifiers.tone.classifier import ToneScores


class Role(StrEnum):
    """Who sent the message. Agents and bots are shop-side; buyers are never held."""

    AGENT = "agent"
    BOT = "bot"
    BUYER = "buyer"


class MatchMode(StrEnum):
    SUBSTRING = "substring"
    WORD = "word"
    MESSAGE = "message"


@dataclass(frozen=True, slots=True)
class Match:
    """One hit. `start`/`end` index the original text; `text` is `original[start:end]`.

    `view` says which view of the message matched (`base`, `pinyin`, `split` — characters
    written as their parts —, `message`, `contact`, `near`, `invitation`), and `trace` lists
    the normalisation steps that turned the original span into `term`, e.g.
    ``("薇信→微信: homophone (wei xin)",)``. `evasion` is true when the term was disguised —
    inserted separators or invisible characters, a homophone or pinyin spelling, split
    characters — rather than merely typed in another width, case or script.
    """

    term: str
    category: str
    severity: int
    start: int
    end: int
    text: str
    mode: MatchMode = MatchMode.SUBSTRING
    view: str = "base"
    trace: tuple[str, ...] = ()
    evasion: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "category": self.category,
            "severity": self.severity,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "mode": str(self.mode),
            "view": self.view,
            "trace": list(self.trace),
            "evasion": self.evasion,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """The scorer's answer for one message: the tier, the rule that decided it, and why."""

    text: str
    role: Role
    tier: Tier
    rule: str | None
    reason: str | None
    categories: tuple[str, ...]
    matches: tuple[Match, ...]
    version: str
    timing_us: float = 0.0
    normalized: str = field(default="", compare=False)
    tone: ToneScores | None = None
    # The repeat-offence rule that raised the tier, when one did (the gateway applies them).
    escalation: str | None = None
    # Buyer intent (wants_human, complaint, anger, ordinary): buyer messages only.
    intent: IntentScores | None = None
    # The buyer's previous message the reply was scored against, when it was given.
    context: ContextSignal | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "text": self.text,
            "from": str(self.role),
            "tier": str(self.tier),
            "rule": self.rule,
            "reason": self.reason,
            "categories": list(self.categories),
            "matches": [m.to_dict() for m in self.matches],
            "normalized": self.normalized,
            "version": self.version,
            "timing_us": round(self.timing_us, 1),
        }
        if self.escalation is not None:
            data["escalation"] = self.escalation
        if self.tone is not None:  # absent, not faked, when no tone model is loaded
            data["tone"] = self.tone.to_dict()
        if self.intent is not None:  # buyer messages, with an intent model loaded
            data["intent"] = self.intent.to_dict()
        if self.context is not None:
            data["context"] = self.context.to_dict()
        return data

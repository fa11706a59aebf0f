"""Replay: re-score past messages under the running and a candidate configuration and compare.

Input is an interception-log export (JSONL), a chat export (JSONL or CSV/TSV with a `text`
column), or plain text lines. Optional fields: `from`/`role`, `shop`, `user`/`agent`, `time`
(ISO 8601), `context` (the buyer's previous message; in a log export, the record's context
list, whose last message is taken when it is the buyer's, as the gateway did). Both
configurations go through the same `Moderator` as live traffic, each with its own
repeat-offence counters fed the records' times, so escalations replay as they would have
happened.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classifiers.errors import InputError
from classifiers.results import Role
from classifiers.scorer import Scorer
from classifiers.tiers import Tier
from gateway.chat.moderation import Moderator
from gateway.state.offences import LocalOffenceCounter


@dataclass(frozen=True, slots=True)
class ReplayRecord:
    line: int
    text: str
    role: Role
    shop: str | None
    user: str
    time: datetime | None = None
    context: str | None = None


@dataclass(frozen=True, slots=True)
class BadRecord:
    line: int
    error: str


@dataclass(frozen=True)
class FixedConfig:
    """A configuration that never reloads (what the Moderator reads `current` from)."""

    current: Scorer


@dataclass
class Example:
    text: str
    current_rule: str | None
    candidate_rule: str | None
    categories: tuple[str, ...]


@dataclass
class ReplayDiff:
    current_version: str
    candidate_version: str
    total: int = 0
    bad: list[BadRecord] = field(default_factory=list)
    current: Counter[Tier] = field(default_factory=Counter)
    candidate: Counter[Tier] = field(default_factory=Counter)
    moves: Counter[tuple[Tier, Tier]] = field(default_factory=Counter)
    # category -> (messages that moved to a more severe tier, to a less severe one)
    by_category: dict[str, list[int]] = field(default_factory=dict)
    examples: dict[tuple[Tier, Tier], list[Example]] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(self.moves.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "current_version": self.current_version,
            "candidate_version": self.candidate_version,
            "total": self.total,
            "changed": self.changed,
            "bad_records": [{"line": b.line, "error": b.error} for b in self.bad],
            "tiers": {str(t): {"current": self.current[t], "candidate": self.candidate[t]}
                      for t in Tier},
            "moves": [{"from": str(a), "to": str(b), "count": n,
                       "examples": [vars(e) | {"categories": list(e.categories)}
                                    for e in self.examples.get((a, b), [])]}
                      for (a, b), n in self.moves.most_common()],
            "categories": {c: {"up": up, "down": down}
                           for c, (up, down) in sorted(self.by_category.items())},
        }


async def replay(records: Iterable[ReplayRecord | BadRecord], current: Scorer,
                 candidate: Scorer, *, examples: int = 3,
                 progress: Callable[[int], None] | None = None) -> ReplayDiff:
    now = datetime.now(UTC)
    before = Moderator(FixedConfig(current), LocalOffenceCounter(), clock=lambda: now)
    after = Moderator(FixedConfig(candidate), LocalOffenceCounter(), clock=lambda: now)
    diff = ReplayDiff(current.version, candidate.version)
    for record in records:
        if progress is not None:
            progress(1)
        if isinstance(record, BadRecord):
            diff.bad.append(record)
            continue
        try:
            old = await before.moderate(record.text, record.role, shop=record.shop,
                                        user=record.user, now=record.time,
                                        context=record.context)
            new = await after.moderate(record.text, record.role, shop=record.shop,
                                       user=record.user, now=record.time,
                                       context=record.context)
        except InputError as exc:
            diff.bad.append(BadRecord(record.line, str(exc)))
            continue
        diff.total += 1
        a, b = old.verdict.tier, new.verdict.tier
        diff.current[a] += 1
        diff.candidate[b] += 1
        if a is b:
            continue
        diff.moves[(a, b)] += 1
        categories = tuple(sorted({*old.verdict.categories, *new.verdict.categories}))
        for category in categories or ("(tone/intent/shape only)",):
            counts = diff.by_category.setdefault(category, [0, 0])
            counts[0 if b.severity > a.severity else 1] += 1
        bucket = diff.examples.setdefault((a, b), [])
        if len(bucket) < examples:
            bucket.append(Example(record.text, old.verdict.rule, new.verdict.rule, categories))
    return diff


def read_records(path: Path, default_role: Role = Role.AGENT,
                 default_shop: str | None = None) -> Iterator[ReplayRecord | BadRecord]:
    """Records of a JSONL, CSV/TSV (with a `text` column) or plain text file, one at a time;
    a record that does not name its shop is `default_shop`'s (its policy section and lexicon
    overlay apply)."""
    suffix = path.suffix.lower()
    with path.open(encoding="utf-8", errors="surrogateescape", newline="") as handle:
        if suffix in (".csv", ".tsv"):
            reader = csv.DictReader(handle, delimiter="\t" if suffix == ".tsv" else ",")
            if reader.fieldnames is None or "text" not in reader.fieldnames:
                raise InputError(f"{path}: a CSV/TSV file needs a 'text' column")
            for number, row in enumerate(reader, start=2):
                yield _record(number, dict(row), default_role, default_shop)
            return
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            if suffix == ".jsonl" or line.lstrip().startswith("{"):
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield BadRecord(number, f"not valid JSON: {exc.msg}")
                    continue
                if not isinstance(data, dict):
                    yield BadRecord(number, "a JSON line must be an object")
                    continue
                yield _record(number, data, default_role, default_shop)
            else:
                yield ReplayRecord(number, line, default_role, default_shop, f"line-{number}")


def _record(line: int, data: dict[str, Any], default_role: Role,
            default_shop: str | None) -> ReplayRecord | BadRecord:
    text = data.get("text")
    if not isinstance(text, str):
        return BadRecord(line, 'needs a string "text" field')
    role_name = data.get("from") or data.get("role") or default_role.value
    try:
        role = Role(role_name)
    except ValueError:
        return BadRecord(line, f"role must be agent, bot or buyer, not {role_name!r}")
    when: datetime | None = None
    if data.get("time"):
        try:
            when = datetime.fromisoformat(str(data["time"]))
        except ValueError:
            return BadRecord(line, f"time {data['time']!r} is not ISO 8601")
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    # A record that does not say who sent it counts as its own sender, never as one agent
    # accumulating the whole file's repeat offences.
    user = data.get("user") or data.get("agent") or f"line-{line}"
    shop = data.get("shop") or default_shop
    context = _buyer_context(data.get("context"))
    if isinstance(context, BadRecord):
        return BadRecord(line, context.error)
    return ReplayRecord(line, text, role, str(shop) if shop else None, str(user), when,
                        context)


def _buyer_context(value: Any) -> str | None | BadRecord:
    """A `context` field: the buyer's message itself, or a log record's context list (the
    messages before it, oldest first), whose last message the reply answered if the buyer
    wrote it (`InterceptionRecord.answered`)."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        last = value[-1]
        text = last.get("text")
        return text if last.get("role") == Role.BUYER and isinstance(text, str) and text \
            else None
    return BadRecord(0, '"context" must be the buyer\'s message (a string) or a log '
                        "record's context list")

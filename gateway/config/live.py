"""The configuration a node runs, and hot reload.

A policy, its lexicons and the tone model together form one version (`Scorer.version`, a content
hash). `LiveConfig.current` is the scorer in force; a reload builds a complete new scorer off the
event loop, validates it by building it, and swaps the reference in one assignment. A message
takes `current` once and is scored entirely under that version, so a reload under load neither
drops nor double-scores a message. An invalid change keeps the last good version; the error is
kept for `/readyz` and the reload API, logged, and counted in metrics.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import watchfiles

from classifiers.errors import ConfigError
from classifiers.lexicon import SHOPS_DIR
from classifiers.scorer import Scorer
from gateway.metrics import Metrics

if TYPE_CHECKING:
    from gateway.settings import Settings

log = logging.getLogger("replyguard.config")


@dataclass(frozen=True)
class ConfigSource:
    """Where a configuration is read from."""

    lexicon_dir: Path
    policy_file: Path
    tone_model: Path | None
    max_chars: int
    intent_model: Path | None = None
    invitation_model: Path | None = None

    @classmethod
    def of(cls, settings: Settings) -> ConfigSource:
        return cls(settings.lexicon_dir, settings.policy_file, settings.tone_model,
                   settings.max_chars, settings.intent_model, settings.invitation_model)

    def with_files(self, lexicon_dir: Path | None = None,
                   policy_file: Path | None = None) -> ConfigSource:
        """The same models and limits over other lexicons and/or another policy (a candidate,
        a peer's bundle)."""
        return replace(self, lexicon_dir=lexicon_dir or self.lexicon_dir,
                       policy_file=policy_file or self.policy_file)

    def load(self, reuse: Scorer | None = None) -> Scorer:
        return Scorer.load(self.lexicon_dir, self.policy_file, tone_model=self.tone_model,
                           intent_model=self.intent_model,
                           invitation_model=self.invitation_model, max_chars=self.max_chars,
                           reuse=reuse)


@dataclass(frozen=True)
class ReloadEvent:
    time: float
    origin: str          # file, api, peer (another node), start
    result: str          # applied, unchanged, rejected
    version: str         # the version running after the event
    candidate: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class LiveConfig:
    def __init__(self, scorer: Scorer, source: ConfigSource, *, metrics: Metrics | None = None,
                 history: int = 50) -> None:
        self._scorer = scorer
        self.source = source
        self.metrics = metrics
        self.last_error: str | None = None
        self.events: deque[ReloadEvent] = deque(maxlen=history)
        self._lock = asyncio.Lock()
        # Called after every applied change, e.g. to publish it to the other nodes.
        self.on_applied: list[Callable[[Scorer, str], Awaitable[None]]] = []
        self._record(ReloadEvent(time.time(), "start", "applied", scorer.version))

    @classmethod
    def load(cls, source: ConfigSource, *, metrics: Metrics | None = None) -> LiveConfig:
        """Raises ConfigError: a node never starts on an invalid configuration."""
        return cls(source.load(), source, metrics=metrics)

    @property
    def current(self) -> Scorer:
        return self._scorer

    @property
    def version(self) -> str:
        return self._scorer.version

    async def reload(self, origin: str = "api",
                     build: Callable[[Scorer], Scorer] | None = None,
                     admit: Callable[[Scorer, Scorer], None] | None = None) -> ReloadEvent:
        """Build a candidate (from `source`, or with `build(running)`) and swap it in if it is
        valid and differs from the running version. `admit(running, candidate)` may veto a
        valid change by raising (gateway/config/scope.py: a shop's token applies only its own
        changes); the exception propagates and nothing is swapped."""
        async with self._lock:
            running = self._scorer
            try:
                candidate = await asyncio.to_thread(build or self.source.load, running)
            except ConfigError as exc:
                self.last_error = str(exc)
                log.error("configuration change rejected (%s), keeping %s: %s", origin,
                          self.version, exc)
                return self._record(ReloadEvent(time.time(), origin, "rejected", self.version,
                                                error=str(exc)))
            self.last_error = None
            if candidate.version == self._scorer.version:
                return self._record(ReloadEvent(time.time(), origin, "unchanged", self.version))
            if admit is not None:
                admit(running, candidate)
            previous = self._scorer.version
            self._scorer = candidate  # the swap: one reference assignment
            log.info("configuration %s → %s (%s)", previous, candidate.version, origin)
            event = self._record(ReloadEvent(time.time(), origin, "applied", candidate.version,
                                             candidate=candidate.version))
        for callback in self.on_applied:
            try:
                await callback(candidate, origin)
            except Exception:  # the swap stands; one failing listener must not stop the others
                log.exception("after applying %s (%s)", candidate.version, origin)
        return event

    async def watch(self, *, debounce_ms: int = 300,
                    stop: asyncio.Event | None = None) -> None:
        """Reload whenever the policy file or a lexicon file (shared or a shop's overlay)
        changes, until `stop` is set. The policy's directory is watched on its own, not
        recursively: it may hold much more than the configuration."""
        policy = self.source.policy_file.resolve()
        lexicons = self.source.lexicon_dir.resolve()
        shops = lexicons / SHOPS_DIR

        def is_policy(_: watchfiles.Change, path: str) -> bool:
            return Path(path) == policy

        def is_lexicon(_: watchfiles.Change, path: str) -> bool:
            p = Path(path)
            # A shop's directory (or `shops/` itself) counts too: the watch on a new directory
            # is added only once its creation is seen, so a file written into it right away
            # (or a directory moved in whole) gives no event of its own; the reload reads it.
            return (p.suffix == ".txt" and (p.parent == lexicons or p.parent.parent == shops)
                    or p == shops or p.parent == shops)

        async def follow(root: Path, relevant: Callable[[watchfiles.Change, str], bool],
                         recursive: bool) -> None:
            async for _ in watchfiles.awatch(root, watch_filter=relevant, debounce=debounce_ms,
                                             stop_event=stop, recursive=recursive):
                await self.reload("file")

        await asyncio.gather(follow(policy.parent, is_policy, False),
                             follow(lexicons, is_lexicon, True))

    def status(self) -> dict[str, Any]:
        return {"version": self.version, "error": self.last_error,
                "events": [e.to_dict() for e in list(self.events)[-10:]]}

    def _record(self, event: ReloadEvent) -> ReloadEvent:
        self.events.append(event)
        if self.metrics is not None:
            self.metrics.reloads.labels(event.result, event.origin).inc()
            self.metrics.config_version.info({"version": event.version})
            self.metrics.config_error.set(1 if event.result == "rejected" else 0)
        return event

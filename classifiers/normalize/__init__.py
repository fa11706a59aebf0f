"""Normalizer: an ordered chain of named steps, str -> NormalizedText.

Consecutive one-to-one steps (`CharMapStep`) are fused into a single translate table when the
chain is built, so the hot path is one C-level pass plus the separator step. Each step stays a
separate object that can be run and tested alone, and `explain()` re-runs them one by one on a
matched span to produce the normalisation trace.
"""

from __future__ import annotations

from collections.abc import Sequence

from classifiers.normalize.base import (
    CharMapStep,
    CompiledTable,
    NormalizedText,
    NormalizeStep,
    translated,
)

# Spans whose explanation is remembered: at most this long, at most this many at a time.
_REMEMBERED_SPAN = 16
_REMEMBERED_SPANS = 4096


class Normalizer:
    def __init__(self, steps: Sequence[NormalizeStep]) -> None:
        names = [step.name for step in steps]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"normalisation step named twice: {', '.join(sorted(duplicates))}")
        self.steps = tuple(steps)
        self._stages = self._fuse(self.steps)
        # A leading table runs on the message itself: while no character was removed, its
        # offsets are the message's own and need no NormalizedText of their own.
        first = self._stages[0] if self._stages else None
        self._leading = first if isinstance(first, CompiledTable) else None
        self._rest = self._stages[self._leading is not None:]
        self._explained: dict[str, tuple[tuple[str, str], ...]] = {}

    @staticmethod
    def _fuse(steps: Sequence[NormalizeStep]) -> list[NormalizeStep | CompiledTable]:
        stages: list[NormalizeStep | CompiledTable] = []
        pending: list[dict[int, str | None]] = []
        for step in [*steps, None]:
            if isinstance(step, CharMapStep):
                pending.append(step.table)
                continue
            if pending:
                stages.append(CompiledTable(compose_tables(pending)))
                pending = []
            if step is not None:
                stages.append(step)
        return stages

    def __call__(self, text: str) -> NormalizedText:
        if self._leading is None:
            result = NormalizedText.of(text)
        else:
            out = self._leading.translate(text)
            result = NormalizedText(out, text) if len(out) == len(text) else translated(
                NormalizedText.of(text), out, self._leading)
        for stage in self._rest:
            result = stage(result)
        return result

    def fold(self, text: str) -> str:
        """Only the one-to-one steps (width, confusables, case, script: one C-level translate
        per fused table), for text that is read rather than matched against the lexicons
        (the buyer's message a reply answers): no offsets, no deletions."""
        for stage in self._stages:
            if isinstance(stage, CompiledTable):
                text = stage.translate(text)
        return text

    def explain(self, span: str) -> list[str]:
        """What each step did to `span` (an original substring), in order."""
        return [line for _, line in self.explain_steps(span)]

    def explain_steps(self, span: str) -> list[tuple[str, str]]:
        """(step name, trace line) for each step that changed `span`. Remembered for short
        spans: every hit explains itself, and hits are the same few terms again and again
        (the steps never change once built, so neither does what they do to a span)."""
        if len(span) > _REMEMBERED_SPAN:
            return self._explain_steps(span)
        known = self._explained.get(span)
        if known is None:
            if len(self._explained) >= _REMEMBERED_SPANS:
                self._explained.clear()
            known = self._explained[span] = tuple(self._explain_steps(span))
        return list(known)

    def _explain_steps(self, span: str) -> list[tuple[str, str]]:
        lines = []
        current = NormalizedText.of(span)
        for step in self.steps:
            after = step(current)
            if after.text != current.text:
                lines.append((step.name, step.describe(current.text, after.text)))
            current = after
        return lines


def compose_tables(tables: Sequence[dict[int, str | None]]) -> dict[int, str | None]:
    """One translate table equivalent to applying `tables` in order."""
    if len(tables) == 1:
        return dict(tables[0])
    keys = set().union(*tables)
    composed: dict[int, str | None] = {}
    for code in keys:
        value: str | None = chr(code)
        for table in tables:
            if value is None:
                break
            value = table.get(ord(value), value)
        if value != chr(code):
            composed[code] = value
    return composed


__all__ = ["Normalizer", "NormalizedText", "NormalizeStep", "CharMapStep", "compose_tables"]

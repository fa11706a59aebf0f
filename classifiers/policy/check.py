"""`policy check` on a policy's text: every error and warning, each with its line and column.
Used by `replyguard policy check` (a file) and the QA policy editor (`POST /api/policy/check`)."""

from __future__ import annotations

from collections.abc import Sequence

from classifiers.errors import PolicyError, Problem
from classifiers.policy import lint as policy_lint
from classifiers.policy import loader as policy_file


def check(raw: bytes, name: str, categories: Sequence[str],
          tone_labels: Sequence[str] | None,
          intent_labels: Sequence[str] | None = None) -> list[Problem]:
    """`categories`: the lexicon categories rules may name; `tone_labels`: the tone model's
    labels (None: no tone model, so a tone condition is an error); `intent_labels` likewise for
    the buyer intent model (empty: no model, so any intent condition is an error)."""
    try:
        document = policy_file.read(raw, name)
    except PolicyError as exc:
        return list(exc.problems)
    policy_file.validate(document, known_categories=categories, known_tone_labels=tone_labels,
                         known_intent_labels=intent_labels)
    if not document.errors:
        policy_lint.lint(document)
    return document.problems

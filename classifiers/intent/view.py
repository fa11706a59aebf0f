"""What the buyer intent model reads of a normalised message: the tone model's view, titles
emptied (《消费者投诉处理实务》 names a book, not a complaint; `classifiers.tone.features`).
Training reads its rows through the same view, and the scorer builds it once for both models."""

from __future__ import annotations

from classifiers.tone.features import tone_view


def intent_view(normalized: str) -> str:
    return tone_view(normalized)

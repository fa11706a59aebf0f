"""Acceptance figures on the shared evaluation data (present in CI beside the clone)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from classifiers.results import Role
from classifiers.scorer import Scorer
from classifiers.tiers import Tier
from tests.conftest import EVAL_DATA, require_shared

SERVICE_REPLIES = {
    "ecd_taobao": ("ecd_taobao_sample/service_utterances.tsv", None),
    "jddc": ("jddc_sample/service_messages.tsv", "first_of_text"),
}


def replies(relative: str, unique_column: str | None) -> list[str]:
    path = require_shared(EVAL_DATA / relative)
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle, delimiter="\t")
                if row["text"].strip() and (unique_column is None or row[unique_column] == "1")]


@pytest.mark.parametrize("name", sorted(SERVICE_REPLIES))
def test_real_service_replies_are_rarely_held(scorer: Scorer, name: str) -> None:
    texts = replies(*SERVICE_REPLIES[name])
    held = [t for t in texts
            if scorer.score(t[:scorer.max_chars], Role.AGENT).tier.severity
            >= Tier.SUGGEST_EDIT.severity]
    assert len(held) / len(texts) <= 0.01, held[:20]

"""Readers for the shared evaluation data (../shared/eval-data): real service replies, used only
to measure false positives and speed — never for training."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

EVAL_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "eval-data"
SERVICE_REPLIES = {
    "ecd_taobao": (EVAL_DATA / "ecd_taobao_sample" / "service_utterances.tsv", None),
    "jddc": (EVAL_DATA / "jddc_sample" / "service_messages.tsv", "first_of_text"),
}


def service_replies(name: str) -> Iterator[str]:
    """Unique real agent replies of one dataset."""
    path, unique_column = SERVICE_REPLIES[name]
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if unique_column and row[unique_column] != "1":
                continue
            text = row["text"].strip()
            if text:
                yield text

"""Readers for the shared evaluation data (../shared/eval-data): real service replies, used only
to measure false positives and speed — never for training."""

from __future__ import annotations

import csv
import json
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


# Every agent message in the order it was sent, with the buyer's message before it when the
# data have one: ECD's sessions alternate buyer and service turns (role inferred, see its
# SOURCE.md) and end on the buyer turn the true response answers; JDDC keeps the agent side only,
# so its messages come without context.
DIALOGUES = {
    "ecd_taobao": EVAL_DATA / "ecd_taobao_sample" / "sessions.jsonl",
    "jddc": EVAL_DATA / "jddc_sample" / "service_messages.tsv",
}


def service_dialogues(name: str) -> Iterator[tuple[str | None, str]]:
    """(buyer's previous message or None, agent message) for every agent message as sent,
    duplicates included."""
    path = DIALOGUES[name]
    with path.open(encoding="utf-8", newline="") as handle:
        if name == "jddc":
            for row in csv.DictReader(handle, delimiter="\t"):
                text = row["text"].strip()
                if text:
                    yield None, text
            return
        for line in handle:
            session = json.loads(line)
            turns = [(t["role_inferred"], t["text"].strip()) for t in session["context"]]
            turns += [("service", c["text"].strip()) for c in session["candidates"]
                      if c["label"] == 1]
            buyer: str | None = None
            for role, text in turns:
                if role == "customer":
                    buyer = text or buyer
                elif text:
                    yield buyer, text


EVALUATION_SETS = Path(__file__).resolve().parent / "data"


def evaluation_texts() -> list[str]:
    """Every text of every evaluation file in bench/data (any `text` column): what training
    files must not contain, nor nearly."""
    return _evaluation_column("text")


def evaluation_contexts() -> list[str]:
    """Every buyer message given as `context` in an evaluation file in bench/data: what pair
    training files must not nearly contain either."""
    return _evaluation_column("context")


def _evaluation_column(column: str) -> list[str]:
    values = []
    for path in sorted(EVALUATION_SETS.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames and column in reader.fieldnames:
                values += [row[column] for row in reader if row[column]]
    return values

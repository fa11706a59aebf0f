"""Take independent writers' tone or intent files into the training data, checked.

    python bench/tone_intake.py /work/traindata/tone_T*.csv OWN.csv ...
    python bench/tone_intake.py --kind intent /work/traindata/intent_I*.csv
    python bench/tone_intake.py --kind answer /work/traindata/tone_P*.csv
    python bench/tone_intake.py --kind invitation /work/traindata/div_D*.csv

Tone: each file (`context,text,label,situation`) becomes
`classifiers/tone/data/tone_train_<name>.csv` (`tone_T1.csv` → `tone_train_T1.csv`; columns
`text,label,situation,context,source`). Intent: each file (`context,text,intent,needs_answer,
situation`) becomes `classifiers/intent/data/intent_train_<name>.csv` with the writer's columns
(`intent_I4.csv` → `intent_train_I4.csv`; the file name names the writer for
leave-one-writer-out). Invitation: each diversion file (`text,label,class`) becomes
`classifiers/invitation/data/invitation_writer_<name>.csv` (`div_D5.csv` →
`invitation_writer_D5.csv`) with the writer's columns. A row is dropped, with the reason
printed and written to the data folder's `intake_dropped.csv`, when its label is not one of the
model's, its text is empty, it repeats a text already taken (this file, an earlier one or the
project's own files of that model, compared without punctuation and spaces), or it nearly
equals a row of any evaluation file in bench/data (character-bigram Jaccard ≥ 0.6, the check
training applies against the held-out split): evaluation rows must stay unseen.

Answer (the pair files of the answer model, classifiers/tone/answer_training.py): each file
(`context,text,label,situation`) becomes `classifiers/tone/data/answer_train_<name>.csv`
(`tone_P1.csv` → `answer_train_P1.csv`, same columns and `source`). A row is a PAIR: the same
好的 is perfunctory after 这件会缩水吗 and right after 谢谢, so a repeat is a repeated
(buyer message, reply), not a repeated reply, and the short acknowledgements every writer shares
are what the model must see in both places. A pair is dropped when its buyer message nearly
equals any evaluation text or buyer message (bigram Jaccard ≥ 0.6), or its reply does and is
longer than `SHARED_REPLY` characters (a lone 好的 or 收到 belongs to nobody; a sentence does).
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.datasets import evaluation_contexts, evaluation_texts  # noqa: E402
from classifiers.intent.training import LABELS as INTENT_LABELS  # noqa: E402
from classifiers.invitation.training import LABELS as INVITATION_LABELS  # noqa: E402
from classifiers.tone.training import (  # noqa: E402
    FILE_LABELS,
    LabelledText,
    drop_leaks,
    fold,
)

ROOT = Path(__file__).resolve().parent.parent
# Replies at most this long (folded) are shared vocabulary (好的, 收到啦, 在的亲), not a row.
SHARED_REPLY = 6


@dataclass(frozen=True)
class Kind:
    data: Path
    prefix: str  # the model's files: tone_*.csv
    source: str  # a writer's file name before its name: tone_T1.csv → T1
    target: str  # the taken-in file before the writer's name: tone_train_T1.csv
    label_column: str
    labels: tuple[str, ...]
    # the columns written: the tone files get a provenance column, intent files stay as written
    columns: tuple[str, ...] | None


KINDS = {
    "tone": Kind(ROOT / "classifiers" / "tone" / "data", "tone", "tone_", "tone_train_",
                 "label", FILE_LABELS, ("text", "label", "situation", "context", "source")),
    "intent": Kind(ROOT / "classifiers" / "intent" / "data", "intent", "intent_",
                   "intent_train_", "intent", INTENT_LABELS, None),
    # the training script reads a writer's name from the file name (leave one writer out)
    "invitation": Kind(ROOT / "classifiers" / "invitation" / "data", "invitation", "div_",
                       "invitation_writer_", "label", INVITATION_LABELS, None),
}


def _target(kind: Kind, path: Path) -> Path:
    return kind.data / f"{kind.target}{path.stem.removeprefix(kind.source)}.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kind", choices=[*sorted(KINDS), "answer"], default="tone")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    if args.kind == "answer":
        answer_intake(args.files)
        return
    kind = KINDS[args.kind]
    evaluation = [LabelledText(t, "polite") for t in evaluation_texts()]
    taken = set()
    for path in sorted(kind.data.glob(f"{kind.prefix}_*.csv")):
        if path.name not in {_target(kind, f).name for f in args.files}:
            with path.open(encoding="utf-8", newline="") as handle:
                taken |= {fold(r["text"]) for r in csv.DictReader(handle)}
    dropped: list[tuple[str, int, str, str]] = []
    for path in args.files:
        kept: list[dict[str, str]] = []
        with path.open(encoding="utf-8", newline="") as handle:
            candidates = list(csv.DictReader(handle))
        # one pass over the evaluation rows for the whole file
        clean = {r.text for r in drop_leaks([LabelledText(row.get("text") or "", "polite")
                                            for row in candidates], evaluation)[0]}
        for line, row in enumerate(candidates, start=2):
            text = (row.get("text") or "").strip()
            label = (row.get(kind.label_column) or "").strip()
            reason = ""
            if not text:
                reason = "empty text"
            elif label not in kind.labels:
                reason = f"label {label!r}"
            elif fold(text) in taken:
                reason = "duplicate text"
            elif (row.get("text") or "") not in clean:
                reason = "near an evaluation row (bigram Jaccard >= 0.6)"
            if reason:
                dropped.append((path.name, line, reason, text))
                continue
            taken.add(fold(text))
            if kind.columns is None:
                kept.append({**row, "text": text})
            else:
                kept.append({"text": text, "label": label,
                             "situation": row.get("situation", ""),
                             "context": row.get("context", ""),
                             "source": f"writer:{path.stem}"})
        out = _target(kind, path)
        columns = kind.columns or (tuple(candidates[0]) if candidates else ("text",))
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(kept)
        print(f"{path.name}: {len(kept)} rows -> {out.relative_to(ROOT)}")
    log = kind.data / "intake_dropped.csv"
    previous = []
    if log.exists():
        with log.open(encoding="utf-8", newline="") as handle:
            names = {p.name for p in args.files}
            previous = [r for r in csv.DictReader(handle) if r["file"] not in names]
    with log.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["file", "line", "reason", "text"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(previous)
        for name, line, reason, text in dropped:
            writer.writerow({"file": name, "line": line, "reason": reason, "text": text})
            print(f"  dropped {name}:{line} ({reason}): {text}")


def answer_intake(files: list[Path]) -> None:
    data = KINDS["tone"].data
    evaluation = [LabelledText(t, "polite") for t in [*evaluation_texts(),
                                                      *evaluation_contexts()]]
    dropped: list[dict[str, str]] = []
    # pairs already taken from other writers' pair files: a repeat is dropped as in one file
    taken: set[tuple[str, str]] = set()
    for path in sorted(data.glob("answer_train_*.csv")):
        if path.stem.removeprefix("answer_train_") not in {f.stem.removeprefix("tone_")
                                                           for f in files}:
            with path.open(encoding="utf-8", newline="") as handle:
                taken |= {(fold(r["context"]), fold(r["text"])) for r in csv.DictReader(handle)}
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        near_replies = _near(evaluation, [r.get("text") or "" for r in rows])
        near_contexts = _near(evaluation, [r.get("context") or "" for r in rows])
        kept = []
        for line, row in enumerate(rows, start=2):
            context, text = (row.get("context") or "").strip(), (row.get("text") or "").strip()
            label = (row.get("label") or "").strip()
            reason = ""
            if not text or not context:
                reason = "empty text or context"
            elif label not in ("perfunctory", "polite"):
                reason = f"label {label!r}"
            elif (fold(context), fold(text)) in taken:
                reason = "duplicate pair"
            elif row.get("context") in near_contexts:
                reason = "buyer message near an evaluation row (bigram Jaccard >= 0.6)"
            elif len(fold(text)) > SHARED_REPLY and row.get("text") in near_replies:
                reason = "reply near an evaluation row (bigram Jaccard >= 0.6)"
            if reason:
                dropped.append({"file": path.name, "line": str(line), "reason": reason,
                                "text": f"{context} → {text}"})
                continue
            taken.add((fold(context), fold(text)))
            kept.append({"text": text, "label": label, "situation": row.get("situation", ""),
                         "context": context, "source": f"writer:{path.stem}"})
        out = data / f"answer_train_{path.stem.removeprefix('tone_')}.csv"
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, ["text", "label", "situation", "context", "source"])
            writer.writeheader()
            writer.writerows(kept)
        print(f"{path.name}: {len(kept)} pairs -> {out.relative_to(ROOT)}")
    # earlier files' drops stay in the log: a new writer is taken in alone
    log = data / "answer_intake_dropped.csv"
    previous = []
    if log.exists():
        with log.open(encoding="utf-8", newline="") as handle:
            names = {p.name for p in files}
            previous = [r for r in csv.DictReader(handle) if r["file"] not in names]
    with log.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["file", "line", "reason", "text"])
        writer.writeheader()
        writer.writerows([*previous, *dropped])
    for row in dropped:
        print(f"  dropped {row['file']}:{row['line']} ({row['reason']}): {row['text']}")


def near_pairs(rows: list[dict[str, str]], evaluation: list[LabelledText]) -> list[bool]:
    """For each pair (`context`, `text`), whether it is too near the evaluation rows: its buyer
    message nearly equals an evaluation text or buyer message, or its reply does and is longer
    than a shared acknowledgement (`evaluation` holds both)."""
    replies = _near(evaluation, [r.get("text") or "" for r in rows])
    contexts = _near(evaluation, [r.get("context") or "" for r in rows])
    return [r.get("context") in contexts or (len(fold(r.get("text") or "")) > SHARED_REPLY
                                             and r.get("text") in replies) for r in rows]


def _near(evaluation: list[LabelledText], texts: list[str]) -> set[str]:
    """The texts that nearly equal an evaluation row."""
    kept = {r.text for r in drop_leaks([LabelledText(t, "polite") for t in texts],
                                       evaluation)[0]}
    return {t for t in texts if t not in kept}


if __name__ == "__main__":
    main()

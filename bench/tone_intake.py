"""Take independent writers' tone or intent files into the training data, checked.

    python bench/tone_intake.py /work/traindata/tone_T*.csv OWN.csv ...
    python bench/tone_intake.py --kind intent /work/traindata/intent_I*.csv

Tone: each file (`context,text,label,situation`) becomes
`classifiers/tone/data/tone_train_<name>.csv` (`tone_T1.csv` → `tone_train_T1.csv`; columns
`text,label,situation,context,source`). Intent: each file (`context,text,intent,needs_answer,
situation`) becomes `classifiers/intent/data/intent_train_<name>.csv` with the writer's columns
(`intent_I4.csv` → `intent_train_I4.csv`; the file name names the writer for
leave-one-writer-out). A row is dropped, with the reason printed and written to the data
folder's `intake_dropped.csv`, when its label is not one of the model's, its text is empty, it
repeats a text already taken (this file, an earlier one or the project's own files of that
model, compared without punctuation and spaces), or it nearly equals a row of any evaluation
file in bench/data (character-bigram Jaccard ≥ 0.6, the check training applies against the
held-out split): evaluation rows must stay unseen.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.datasets import evaluation_texts  # noqa: E402
from classifiers.intent.training import LABELS as INTENT_LABELS  # noqa: E402
from classifiers.tone.training import (  # noqa: E402
    FILE_LABELS,
    LabelledText,
    drop_leaks,
    fold,
)

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Kind:
    data: Path
    prefix: str  # tone_ → tone_train_
    label_column: str
    labels: tuple[str, ...]
    # the columns written: the tone files get a provenance column, intent files stay as written
    columns: tuple[str, ...] | None


KINDS = {
    "tone": Kind(ROOT / "classifiers" / "tone" / "data", "tone", "label", FILE_LABELS,
                 ("text", "label", "situation", "context", "source")),
    "intent": Kind(ROOT / "classifiers" / "intent" / "data", "intent", "intent", INTENT_LABELS,
                   None),
}


def _target(kind: Kind, path: Path) -> Path:
    return kind.data / f"{kind.prefix}_train_{path.stem.removeprefix(kind.prefix + '_')}.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kind", choices=sorted(KINDS), default="tone")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
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
            writer = csv.DictWriter(handle, columns)
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
        writer = csv.DictWriter(handle, ["file", "line", "reason", "text"])
        writer.writeheader()
        writer.writerows(previous)
        for name, line, reason, text in dropped:
            writer.writerow({"file": name, "line": line, "reason": reason, "text": text})
            print(f"  dropped {name}:{line} ({reason}): {text}")


if __name__ == "__main__":
    main()

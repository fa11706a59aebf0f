"""A new evaluation round joins bench/data: copy its files in, then drop every training row of
the tone, intent and invitation models that nearly equals one of its rows (bigram Jaccard, the
same test the training-data tests enforce), logging each to the model's intake_dropped.csv.

    python bench/eval_intake.py ROUND_FILE.csv ... --reason "judgement round 3" [--apply]

Without `--apply` it only lists what would be dropped. The models must be retrained after an
`--apply` (`replyguard train …`, `python -m classifiers.invitation.training`). The tone held-out
split and the probe files are left as they are; the intent held-out rows are cleaned too (the
intent tests require it).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.datasets import EVALUATION_SETS, evaluation_contexts, evaluation_texts  # noqa: E402
from bench.tone_intake import near_pairs  # noqa: E402
from classifiers.tone.training import LabelledText, drop_leaks  # noqa: E402

TRAINING_FOLDERS = ("classifiers/tone/data", "classifiers/intent/data",
                    "classifiers/invitation/data")
DROP_LOG = "intake_dropped.csv"


def training_files() -> list[Path]:
    files = []
    for folder in TRAINING_FOLDERS:
        for path in sorted((ROOT / folder).glob("*.csv")):
            # the tone held-out split is the original data's, kept comparable across rounds; the
            # intent held-out rows are the project's own and must not echo a round either
            if path.name.endswith(DROP_LOG) or "probe" in path.name \
                    or path.name.startswith("tone_heldout"):
                continue
            files.append(path)
    return files


def intake(files: list[Path], reason: str, apply: bool) -> int:
    for source in files:
        target = EVALUATION_SETS / source.name
        if target.exists() and target.read_bytes() != source.read_bytes():
            raise SystemExit(f"{target} exists with other contents: not overwritten")
        if apply:
            shutil.copyfile(source, target)
    evaluation = [LabelledText(text, "-") for text in evaluation_texts()]
    if not apply:  # the new rounds are not in bench/data yet: look at them too
        for source in files:
            with source.open(encoding="utf-8", newline="") as handle:
                evaluation += [LabelledText(r["text"], "-") for r in csv.DictReader(handle)
                               if r.get("text")]
    contexts = [LabelledText(text, "-") for text in evaluation_contexts()]
    if not apply:
        for source in files:
            with source.open(encoding="utf-8", newline="") as handle:
                contexts += [LabelledText(r["context"], "-") for r in csv.DictReader(handle)
                             if r.get("context")]
    total = 0
    for path in training_files():
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            fields, rows = reader.fieldnames, list(reader)
        if not fields or "text" not in fields:
            continue
        labelled = [LabelledText(row["text"], "-") for row in rows]
        if path.name.startswith("answer_train_"):
            # pairs of the answer model: judged as pairs (bench/tone_intake.py --kind answer)
            flags = near_pairs(rows, [*evaluation, *contexts])
            kept = [item for item, near_one in zip(labelled, flags) if not near_one]
            near = len(labelled) - len(kept)
        else:
            kept, near = drop_leaks(labelled, evaluation)
        if not near:
            continue
        keep = {id(item) for item in kept}
        dropped = [(line, row) for line, (row, item) in enumerate(zip(rows, labelled), start=2)
                   if id(item) not in keep]
        total += near
        print(f"{path.relative_to(ROOT)}: {near} near an evaluation row, e.g. "
              + " | ".join(row["text"][:24] for _, row in dropped[:5]))
        if not apply:
            continue
        with path.open("w", encoding="utf-8", newline="") as handle:
            rewriter = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
            rewriter.writeheader()
            rewriter.writerows(row for row, item in zip(rows, labelled) if id(item) in keep)
        log = path.parent / DROP_LOG
        new = not log.exists()
        with log.open("a", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            if new:
                writer.writerow(["file", "line", "reason", "text"])
            writer.writerows([path.name, line, f"near an evaluation row ({reason})", row["text"]]
                             for line, row in dropped)
    print(f"{total} training rows {'dropped' if apply else 'would be dropped'}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="the new round's CSV files")
    parser.add_argument("--reason", required=True, help="the round, for the drop log")
    parser.add_argument("--apply", action="store_true", help="copy and drop (default: list)")
    arguments = parser.parse_args()
    missing = [str(path) for path in arguments.files if not path.is_file()]
    if missing:
        raise SystemExit(f"no such file: {', '.join(missing)}")
    intake(arguments.files, arguments.reason, arguments.apply)


if __name__ == "__main__":
    main()

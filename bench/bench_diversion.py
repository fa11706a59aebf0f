"""Diversion and evasion evaluation rounds: every row of bench/data/diversion_r*.csv scored as an
agent's message, per round and class, beside the previous release measured in the same run.

    python bench/bench_diversion.py [--baseline REV | --no-baseline] [--round N] [--misses]

For violation classes the figure is "caught" (tier other than none); for benign look-alikes it
is "flagged" (tier other than none), the false alarm. Both also get the share held at
suggest-edit or stronger, and the tier distribution. The sets were written by people who never
saw the lexicons or rules; they are evaluation data only, never a source of terms or tests.
`--misses` lists the rows the current code gets wrong (for studying a FROZEN round's classes of
failure; never for the latest round before it has been measured).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline import PREVIOUS_RELEASE, checkout, run_python  # noqa: E402
from classifiers.resources import (  # noqa: E402
    default_intent_model,
    default_invitation_model,
    default_lexicon_dir,
    default_policy_file,
    default_tone_model,
)
from classifiers.results import Role  # noqa: E402
from classifiers.scorer import Scorer  # noqa: E402
from classifiers.tiers import Tier  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
_ROUND = re.compile(r"diversion_r(\d+)_")
TIER_ORDER = [tier.value for tier in sorted(Tier, key=lambda t: t.severity)]
HELD = {t.value for t in Tier if t.severity >= Tier.SUGGEST_EDIT.severity}


@dataclass(frozen=True)
class Row:
    round: int
    source: str
    text: str
    violation: bool
    cls: str


def load_rows(only_round: int | None) -> list[Row]:
    rows = []
    for path in sorted(DATA.glob("diversion_r*.csv")):
        match = _ROUND.match(path.name)
        if match is None or (only_round is not None and int(match.group(1)) != only_round):
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle):
                rows.append(Row(int(match.group(1)), path.stem, record["text"],
                                record["expected"] == "violation", record["class"]))
    return rows


def current_tiers(rows: list[Row]) -> list[str]:
    scorer = Scorer.load(default_lexicon_dir(), default_policy_file(),
                         tone_model=default_tone_model(),
                         intent_model=default_intent_model(),
                         invitation_model=default_invitation_model())
    return [str(scorer.score(row.text, Role.AGENT).tier) for row in rows]


def baseline_tiers(rev: str, rows: list[Row]) -> list[str]:
    """The release's own `replyguard score --jsonl`, with its own lexicons, policy and model."""
    lines = "".join(json.dumps({"text": row.text, "from": "agent"}, ensure_ascii=False) + "\n"
                    for row in rows)
    with checkout(rev) as tree:
        out = run_python(tree, ["-m", "gateway", "score", "--jsonl", "--from", "agent"], lines)
    results = [json.loads(line) for line in out.splitlines() if line.strip()]
    if len(results) != len(rows):
        raise RuntimeError(f"baseline scored {len(results)} of {len(rows)} rows")
    return [str(r.get("tier", "error")) for r in results]


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def distribution(tiers: list[str]) -> str:
    counts = Counter(tiers)
    return " ".join(f"{t}:{counts[t]}" for t in TIER_ORDER if counts[t])


def report(rows: list[Row], columns: dict[str, list[str]]) -> None:
    groups: dict[tuple[int, bool, str], list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        groups[(row.round, row.violation, row.cls)].append(index)
    for round_ in sorted({r.round for r in rows}):
        print(f"\nround {round_}  (violations: caught = tier not none; benign: flagged = tier "
              "not none; held = suggest-edit or stronger)")
        header = f"  {'class':28} {'n':>4}"
        for name in columns:
            header += f"  {name + ' any':>14} {'held':>6}"
        print(header)
        for violation in (True, False):
            total: dict[str, list[int]] = defaultdict(list)
            for (r, v, cls), indices in sorted(groups.items()):
                if r != round_ or v != violation:
                    continue
                line = f"  {cls:28} {len(indices):4}"
                for name, tiers in columns.items():
                    line += _cells(tiers, indices)
                    total[name].extend(indices)
                print(line)
            label = "all violations" if violation else "all benign"
            count = len(next(iter(total.values()), []))
            print(f"  {label:28} {count:4}" + "".join(
                _cells(columns[name], total[name]) for name in columns))
        for name, tiers in columns.items():
            print(f"  tiers, {name}:")
            for (r, _, cls), indices in sorted(groups.items()):
                if r == round_:
                    print(f"    {cls:28} {distribution([tiers[i] for i in indices])}")


def _cells(tiers: list[str], indices: list[int]) -> str:
    flagged = sum(tiers[i] != "none" for i in indices)
    held = sum(tiers[i] in HELD for i in indices)
    return f"  {percent(flagged, len(indices)):>14} {percent(held, len(indices)):>6}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default=PREVIOUS_RELEASE,
                        help=f"git revision measured beside this tree [default {PREVIOUS_RELEASE}]")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--round", type=int, help="only this round")
    parser.add_argument("--misses", action="store_true",
                        help="list rows the current code gets wrong")
    args = parser.parse_args()
    rows = load_rows(args.round)
    if not rows:
        sys.exit("no diversion_r*.csv rows found in bench/data")
    columns: dict[str, list[str]] = {}
    if not args.no_baseline:
        columns[args.baseline] = baseline_tiers(args.baseline, rows)
    columns["current"] = current_tiers(rows)
    print(f"{len(rows)} rows from {len({r.source for r in rows})} files")
    report(rows, columns)
    if args.misses:
        tiers = columns["current"]
        print("\nwrong now:")
        for row, tier in zip(rows, tiers, strict=True):
            if (tier != "none") != row.violation:
                print(f"  [{row.cls}] {tier}: {row.text}")


if __name__ == "__main__":
    main()

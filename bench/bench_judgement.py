"""Judgement evaluation rounds (tone, perfunctory in context, buyer intent): every row of
bench/data/judgement_r*.csv scored as sent, per round, side and class, beside the previous
release measured in the same run.

    python bench/bench_judgement.py [--baseline REV | --no-baseline] [--round N] [--misses]

Rows carry `side` (agent or buyer), `context` (the other party's previous message), `text`,
`expected` (violation or benign) and `class`. An agent-side violation is caught when its tier is
not none; an agent-side benign reply is flagged when it is. A buyer-side "violation" is a buyer
who should reach a human: caught when the tier is route-to-human; a benign buyer message is
flagged when it is routed. Both trees are driven through `replyguard score --jsonl` with their
own lexicons, policy and models, each line carrying `context`; a release that does not know the
field ignores it. The sets were written by people who never saw the training rows, lexicons or
rules; they are evaluation data only, never trained on, never a source of rules or tests.
`--misses` lists the rows the current code gets wrong (only for a round already measured and
opened for study).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline import REPO, checkout, run_python  # noqa: E402
from bench.bench_diversion import distribution, percent  # noqa: E402
from classifiers.tiers import Tier  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
# The release the judgement work (issue 16) started from.
JUDGEMENT_RELEASE = "de47197"
_ROUND = re.compile(r"judgement_r(\d+)_")
HELD = {t.value for t in Tier if Tier.SUGGEST_EDIT.severity <= t.severity
        < Tier.ROUTE_TO_HUMAN.severity}
SIDES = ("agent", "buyer")


@dataclass(frozen=True)
class Row:
    round: int
    source: str
    side: str
    context: str
    text: str
    violation: bool
    cls: str


def load_rows(only_round: int | None, data: Path = DATA) -> list[Row]:
    rows = []
    for path in sorted(data.glob("judgement_r*.csv")):
        match = _ROUND.match(path.name)
        if match is None or (only_round is not None and int(match.group(1)) != only_round):
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle):
                if record["side"] not in SIDES:
                    raise ValueError(f"{path.name}: side {record['side']!r}")
                rows.append(Row(int(match.group(1)), path.stem, record["side"],
                                record["context"].strip(), record["text"],
                                record["expected"] == "violation", record["class"]))
    return rows


def tiers_of(tree: Path, rows: list[Row]) -> list[str]:
    """The tree's own `replyguard score --jsonl`, one line per row."""
    lines = []
    for row in rows:
        line: dict[str, str] = {"text": row.text, "from": row.side}
        if row.context:
            line["context"] = row.context
        lines.append(json.dumps(line, ensure_ascii=False) + "\n")
    out = run_python(tree, ["-m", "gateway", "score", "--jsonl"], "".join(lines))
    results = [json.loads(line) for line in out.splitlines() if line.strip()]
    if len(results) != len(rows):
        raise RuntimeError(f"{tree} scored {len(results)} of {len(rows)} rows")
    return [str(r.get("tier", "error")) for r in results]


def hit(row: Row, tier: str) -> bool:
    """Caught (violation) or flagged (benign)."""
    if row.side == "buyer":
        return tier == Tier.ROUTE_TO_HUMAN.value
    return tier != Tier.NONE.value


def _cells(rows: list[Row], tiers: list[str], indices: list[int]) -> str:
    caught = sum(hit(rows[i], tiers[i]) for i in indices)
    held = sum(tiers[i] in HELD for i in indices)
    return f"  {percent(caught, len(indices)):>14} {percent(held, len(indices)):>6}"


def report(rows: list[Row], columns: dict[str, list[str]]) -> None:
    groups: dict[tuple[int, str, bool, str], list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        groups[(row.round, row.side, row.violation, row.cls)].append(index)
    for round_ in sorted({r.round for r in rows}):
        for side in SIDES:
            what = ("caught/flagged = tier not none" if side == "agent"
                    else "caught/flagged = routed to a human")
            print(f"\nround {round_}, {side} side ({what}; held = suggest-edit to "
                  "block-with-warning)")
            header = f"  {'class':24} {'n':>4}"
            for name in columns:
                header += f"  {name + ' hit':>14} {'held':>6}"
            print(header)
            for violation in (True, False):
                total: list[int] = []
                for (r, s, v, cls), indices in sorted(groups.items()):
                    if r != round_ or s != side or v != violation:
                        continue
                    print(f"  {cls:24} {len(indices):4}" + "".join(
                        _cells(rows, tiers, indices) for tiers in columns.values()))
                    total.extend(indices)
                if total:
                    label = "all violations" if violation else "all benign"
                    print(f"  {label:24} {len(total):4}" + "".join(
                        _cells(rows, tiers, total) for tiers in columns.values()))
            for name, tiers in columns.items():
                print(f"  tiers, {name}:")
                for (r, s, _, cls), indices in sorted(groups.items()):
                    if r == round_ and s == side:
                        print(f"    {cls:24} {distribution([tiers[i] for i in indices])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default=JUDGEMENT_RELEASE,
                        help="git revision measured beside this tree "
                             f"[default {JUDGEMENT_RELEASE}]")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--round", type=int, help="only this round")
    parser.add_argument("--data", type=Path, default=DATA,
                        help="folder holding judgement_r*.csv [default bench/data]")
    parser.add_argument("--misses", action="store_true",
                        help="list rows the current code gets wrong")
    args = parser.parse_args()
    rows = load_rows(args.round, args.data)
    if not rows:
        sys.exit(f"no judgement_r*.csv rows found in {args.data}")
    columns: dict[str, list[str]] = {}
    if not args.no_baseline:
        with checkout(args.baseline) as tree:
            columns[args.baseline] = tiers_of(tree, rows)
    columns["current"] = tiers_of(REPO, rows)
    print(f"{len(rows)} rows from {len({r.source for r in rows})} files")
    report(rows, columns)
    if args.misses:
        tiers = columns["current"]
        print("\nwrong now:")
        for row, tier in zip(rows, tiers, strict=True):
            if hit(row, tier) != row.violation:
                print(f"  [{row.side}/{row.cls}] {tier}: {row.context} → {row.text}")


if __name__ == "__main__":
    main()

"""How long `replyguard` commands take, process start to exit, side by side with an older checkout.

    python bench/bench_cli.py [--runs 7] [--baseline DIR]

Each command runs `--runs` times as a fresh `python -m gateway` process (what the `replyguard`
script runs); the figure is the median wall time, with the median CPU time (user + system) of
the child beside it, which a busy shared machine disturbs less. With `--baseline DIR` (e.g. a
`git worktree add /tmp/before main~2`) the same commands run from that checkout too, interleaved
run by run with this one, so both see the same load; the baseline runs with this checkout's
virtualenv, its own sources first on the path.

Every command runs in a throwaway data directory (one per checkout: a newer checkout migrates
the log an older one cannot read) and never contacts a server: `--help`,
`token`, `policy check` on the shipped policy, `score` of one message (which loads the whole
pipeline: the lower bound of a command that scores) and `log purge` on an empty SQLite log.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
COMMANDS: dict[str, list[str]] = {
    "--help": ["--help"],
    "token": ["token", "--role", "agent", "--user", "a1", "--shop", "s1"],
    "policy --help": ["policy", "--help"],
    "policy check": ["policy", "check"],
    "score": ["score", "在吗", "--json"],
    "log purge": ["log", "purge", "--days", "30"],
}


def run_once(checkout: Path, args: list[str], data_dir: str) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one command, which must succeed."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "REPLYGUARD_DATA_DIR": data_dir}
    env.pop("REPLYGUARD_SECRET", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "gateway", *args], cwd=checkout, env=env,
                          capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: replyguard {' '.join(args)} failed "
                         f"({done.returncode}):\n{done.stderr.decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", type=Path, help="an older checkout to compare with")
    args = parser.parse_args()
    checkouts = {"this": HERE}
    if args.baseline is not None:
        checkouts = {"baseline": args.baseline.resolve(), **checkouts}
    with tempfile.TemporaryDirectory() as scratch:
        data_dirs = {label: f"{scratch}/{label}" for label in checkouts}
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for name, command in COMMANDS.items():
            for label, checkout in checkouts.items():  # warm the file cache and .pyc files
                run_once(checkout, command, data_dirs[label])
            for _ in range(args.runs):
                for label, checkout in checkouts.items():
                    times.setdefault((name, label), []).append(
                        run_once(checkout, command, data_dirs[label]))
    print(f"median of {args.runs} runs, wall / CPU seconds (load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    header = "".join(f"{label:>20}" for label in checkouts)
    print(f"{'replyguard …':<16}{header}")
    for name in COMMANDS:
        cells = []
        for label in checkouts:
            runs = times[(name, label)]
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            cells.append(f"{wall:>9.2f} / {cpu:<8.2f}")
        print(f"{name:<16}" + "".join(f"{cell:>20}" for cell in cells))


if __name__ == "__main__":
    main()

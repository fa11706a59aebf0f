"""What the conversation context costs: the full scorer (normalise + automata + contacts + tone +
policy) per agent message without and with the buyer's previous message, beside a release's full
scorer on the same messages, each in its own process on one core, alternating.

    python bench/bench_context.py [--baseline REV] [--before REV] [--rounds 6] [--passes 3]

Messages: every ECD agent message as sent with the buyer turn before it (real service traffic,
used for speed and false positives only), repeated to 20,000. Each process reports the CPU time
of its fastest pass (time.process_time: on a shared machine wall time measures the neighbours);
`--before REV` adds that tree with context, to measure a change of the context path side by side;
the medians over the rounds and the ratios are printed. Also the cost of reading a context by
itself (fold + dialogue act), paid only when a rule with a context condition is reached.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline import REPO, checkout, environment, with_kernel  # noqa: E402
from bench.datasets import service_dialogues  # noqa: E402

RELEASE = "de47197"
MESSAGES = 20_000

# Run inside a tree (its modules first on the path): the fastest pass over the pairs, in µs per
# message; `context` says whether the buyer's message is passed (a release without the
# keyword gets the message alone).
_TIMING = """
import json, sys, time
from classifiers.resources import default_lexicon_dir, default_policy_file, default_tone_model
from classifiers.results import Role
from classifiers.scorer import Scorer
pairs = json.loads(open(sys.argv[1], encoding="utf-8").read())
with_context, passes = sys.argv[2] == "1", int(sys.argv[3])
import classifiers.resources as resources
# each tree's models: the intent and invitation models where the tree has them (its policy's
# buyer rules need the intent model)
models = {name: getattr(resources, f"default_{name}")() for name in ("intent_model",
          "invitation_model") if hasattr(resources, f"default_{name}")}
scorer = Scorer.load(default_lexicon_dir(), default_policy_file(), tone_model=default_tone_model(),
                     **models)
score = scorer.score
def run():
    if with_context:
        for context, text in pairs:
            score(text, Role.AGENT, context=context)
    else:
        for _, text in pairs:
            score(text, Role.AGENT)
run()
fastest = float("inf")
for _ in range(passes):
    started = time.process_time()
    run()
    fastest = min(fastest, time.process_time() - started)
print(f"{fastest / len(pairs) * 1e6:.3f}")
"""


def timed(tree: Path, pairs_file: Path, context: bool, passes: int) -> float:
    command = [sys.executable, "-c", _TIMING, str(pairs_file), "1" if context else "0",
               str(passes)]
    if hasattr(os, "sched_getaffinity"):
        core = sorted(os.sched_getaffinity(0))[0]
        command = ["taskset", "-c", str(core), *command]
    result = subprocess.run(command, cwd=tree, env=environment(tree), capture_output=True,
                            text=True, check=True, timeout=3600)
    return float(result.stdout.strip())


def reading_cost() -> float:
    """µs to read one buyer message (normalise + act), over every ECD buyer turn."""
    from classifiers.context import DialogueActs
    from classifiers.normalize import Normalizer
    from classifiers.registry import DEFAULT_STEPS, NORMALIZE_STEPS

    normalizer = Normalizer([NORMALIZE_STEPS[name]() for name in DEFAULT_STEPS])
    reader = DialogueActs()
    contexts = [c for c, _ in service_dialogues("ecd_taobao") if c] * 20
    fastest = float("inf")
    for _ in range(3):
        started = time.process_time()
        for context in contexts:
            reader.act(normalizer.fold(context))
        fastest = min(fastest, time.process_time() - started)
    return fastest / len(contexts) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", metavar="REV", default=RELEASE)
    parser.add_argument("--before", metavar="REV",
                        help="also time this revision with context (before a change)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    pairs = list(service_dialogues("ecd_taobao"))
    pairs = (pairs * (MESSAGES // len(pairs) + 1))[:MESSAGES]
    print(f"reading a buyer message (fold + dialogue act): {reading_cost():.2f} µs")
    with contextlib.ExitStack() as stack:
        scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-context-"))
        release = stack.enter_context(checkout(args.baseline))
        with_kernel(release)
        pairs_file = Path(scratch) / "pairs.json"
        pairs_file.write_text(json.dumps(pairs, ensure_ascii=False), encoding="utf-8")
        runs: dict[str, list[float]] = {}
        trees = [(f"release {args.baseline}", release, False),
                 ("this tree, no context", REPO, False), ("this tree, with context", REPO, True)]
        if args.before is not None:
            before = stack.enter_context(checkout(args.before))
            with_kernel(before)
            trees.append((f"{args.before}, with context", before, True))
        for round_ in range(args.rounds):
            # a different order each round: no variant always runs in the same neighbour's wake
            shift = round_ % len(trees)
            for label, tree, context in trees[shift:] + trees[:shift]:
                runs.setdefault(label, []).append(timed(tree, pairs_file, context,
                                                        args.passes))
        runs = {label: runs[label] for label, _, _ in trees}
    medians = {label: statistics.median(values) for label, values in runs.items()}
    base = medians[f"release {args.baseline}"]
    print(f"full scorer per agent message ({len(pairs):,} ECD messages as sent, median of "
          f"{args.rounds} processes, fastest of {args.passes} passes each):")
    for label, value in medians.items():
        print(f"  {label:28} {value:7.2f} µs  ({value / base:.3f}× the release)")


if __name__ == "__main__":
    main()

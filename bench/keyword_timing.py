"""One timed pass of the keyword path over a file of messages, for side-by-side runs of two
checkouts (bench_scorer.py --baseline). Run with the checkout to measure first on PYTHONPATH;
it uses only what every release has: `Scorer.load(lexicons, policy)` and `score(text, role)`.

    PYTHONPATH=TREE python bench/keyword_timing.py TREE MESSAGES_FILE [PASSES] [--full]

With `--full`, the whole scorer instead: the tree's policy as it is (tone rules included) and
its shipped tone model (classifiers/tone/model).

Prints one line: the µs per message of the fastest of PASSES timed passes (default 3), after a
warm-up over 2,000 messages. Time is this process's CPU time (time.process_time), and the
fastest pass is kept: on a shared machine wall time mostly measures the other processes.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import yaml


def main() -> None:
    full = "--full" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--full"]
    tree, messages_file = Path(args[0]), Path(args[1])
    passes = int(args[2]) if len(args) > 2 else 3
    from classifiers.results import Role
    from classifiers.scorer import Scorer

    if full:
        # the whole scorer: the tree's own models (a release without an intent model has none)
        intent = tree / "classifiers" / "intent" / "model"
        models = {"intent_model": intent} if intent.exists() else {}
        scorer = Scorer.load(tree / "lexicons", tree / "policies.yaml",
                             tone_model=tree / "classifiers" / "tone" / "model", **models)
    else:
        policy = yaml.safe_load((tree / "policies.yaml").read_text(encoding="utf-8"))
        policy["rules"] = [rule for rule in policy["rules"]
                           if not {"tone", "intent", "unless_intent"} & set(rule["when"])]
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".yaml",
                                         delete=False) as handle:
            yaml.safe_dump(policy, handle, allow_unicode=True)
        scorer = Scorer.load(tree / "lexicons", handle.name)
        Path(handle.name).unlink()
    messages = messages_file.read_text(encoding="utf-8").split("\n")
    score = scorer.score
    for text in messages[:2000]:
        try:
            score(text, Role.AGENT)
        except Exception:  # noqa: BLE001 - a bad message is an error result, still timed
            pass
    fastest = float("inf")
    for _ in range(passes):
        started = time.process_time()
        for text in messages:
            try:
                score(text, Role.AGENT)
            except Exception:  # noqa: BLE001
                pass
        fastest = min(fastest, time.process_time() - started)
    print(f"{fastest / len(messages) * 1e6:.3f}")


if __name__ == "__main__":
    main()

"""One timed pass of the keyword path (or, with `--full`, the full scorer) over a file of
messages, for side-by-side runs of two checkouts (bench_scorer.py --baseline). Run with the
checkout to measure first on PYTHONPATH; it uses only what every release has:
`Scorer.load(lexicons, policy, tone_model=…)` and `score(text, role)`. The full scorer is the
tree's shipped policy with its tone model, and its invitation model when the tree has one.

    PYTHONPATH=TREE python bench/keyword_timing.py TREE MESSAGES_FILE [PASSES] [--full]

A tree checked out for the comparison borrows this tree's compiled kernels (the tone kernel,
the keyword scanner) where their source is the same, and compiles its own otherwise
(bench/baseline.py `with_kernel`);
`--no-invitation` leaves the invitation model out, for its own cost within one tree.

Prints one line: the µs per message of the fastest of PASSES timed passes (default 3), after a
warm-up over 2,000 messages. Time is this process's CPU time (time.process_time), and the
fastest pass is kept: on a shared machine wall time mostly measures the other processes.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml


def main() -> None:
    full = "--full" in sys.argv
    invitation_wanted = "--no-invitation" not in sys.argv
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    tree, messages_file = Path(args[0]), Path(args[1])
    passes = int(args[2]) if len(args) > 2 else 3
    from classifiers.results import Role
    from classifiers.scorer import Scorer

    if full:
        # The models a tree ships beside the tone model (a release may have none of them).
        extra: dict[str, Any] = {}
        intent = tree / "classifiers" / "intent" / "model"
        if intent.is_dir():
            extra["intent_model"] = intent
        invitation = tree / "classifiers" / "invitation" / "model"
        if invitation.is_dir() and invitation_wanted:
            extra["invitation_model"] = invitation
        scorer = Scorer.load(tree / "lexicons", tree / "policies.yaml",
                             tone_model=tree / "classifiers" / "tone" / "model", **extra)
    else:
        scorer = keyword_scorer(tree, Scorer)
    timed(scorer, messages_file.read_text(encoding="utf-8").split("\n"), passes, Role.AGENT)


def model_free(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The policy rules (as read from YAML) that need no model: without tone, intent and
    unless_intent conditions and without the answer model's `context: {unanswered: …}`."""
    return [rule for rule in rules
            if not {"tone", "intent", "unless_intent"} & set(rule["when"])
            and "unanswered" not in (rule["when"].get("context") or {})]


def keyword_scorer(tree: Path, scorer_class: Any) -> Any:
    policy = yaml.safe_load((tree / "policies.yaml").read_text(encoding="utf-8"))
    policy["rules"] = model_free(policy["rules"])
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".yaml",
                                     delete=False) as handle:
        yaml.safe_dump(policy, handle, allow_unicode=True)
    scorer = scorer_class.load(tree / "lexicons", handle.name)
    Path(handle.name).unlink()
    return scorer


def timed(scorer: Any, messages: list[str], passes: int, role: Any) -> None:
    score = scorer.score
    for text in messages[:2000]:
        try:
            score(text, role)
        except Exception:  # noqa: BLE001 - a bad message is an error result, still timed
            pass
    fastest = float("inf")
    for _ in range(passes):
        started = time.process_time()
        for text in messages:
            try:
                score(text, role)
            except Exception:  # noqa: BLE001
                pass
        fastest = min(fastest, time.process_time() - started)
    print(f"{fastest / len(messages) * 1e6:.3f}")


if __name__ == "__main__":
    main()

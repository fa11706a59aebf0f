"""False-positive rate on real service replies: the share of ordinary agent messages that the
shipped lexicons, tone model and default policy would hold (suggest-edit or stronger), with what
was flagged.

    python bench/false_positives.py [--show 40] [--model DIR] [--policy FILE]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.datasets import SERVICE_REPLIES, service_replies  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show", type=int, default=30, help="flagged examples to print")
    parser.add_argument("--model", type=Path, default=default_tone_model(),
                        help="tone model directory [default: the shipped model]")
    parser.add_argument("--policy", type=Path, default=default_policy_file(),
                        help="policy file [default: the shipped policies.yaml]")
    args = parser.parse_args()
    scorer = Scorer.load(default_lexicon_dir(), args.policy, tone_model=args.model,
                         intent_model=default_intent_model(),
                         invitation_model=default_invitation_model())
    for name in SERVICE_REPLIES:
        tiers: Counter[str] = Counter()
        terms: Counter[str] = Counter()
        flagged = []
        total = by_tone = 0
        for text in service_replies(name):
            total += 1
            verdict = scorer.score(text, Role.AGENT)
            tiers[verdict.tier] += 1
            by_tone += (verdict.rule or "").startswith("tone-")
            if verdict.tier.severity >= Tier.SUGGEST_EDIT.severity:
                flagged.append(verdict)
                terms.update(f"{m.category}:{m.term}" for m in verdict.matches)
        held = len(flagged)
        print(f"{name}: {total} unique replies; suggest-edit or stronger: {held} "
              f"({100 * held / total:.2f}%); notice: {tiers[Tier.NOTICE]} "
              f"({100 * tiers[Tier.NOTICE] / total:.2f}%); decided by a tone rule at any tier: "
              f"{by_tone} ({100 * by_tone / total:.2f}%)")
        print("  by tier:", dict(tiers.most_common()))
        print("  top terms:", terms.most_common(15))
        for verdict in flagged[:args.show]:
            tone = (f" tone {verdict.tone.label} {verdict.tone.scores[verdict.tone.label]:.2f}"
                    if verdict.tone else "")
            print(f"    [{verdict.tier}] {verdict.text[:70]!r} <- "
                  f"{[(m.term, m.text) for m in verdict.matches]}{tone}")


if __name__ == "__main__":
    main()

"""False-positive rate on real service replies: the share of ordinary agent messages that the
shipped lexicons, tone model and default policy would intercept, with what was flagged.

Two measures per dataset:
- every message as sent, duplicates included, with the buyer's message before it as context
  where the data have one (`bench.datasets.service_dialogues`), at `notice` or above and at
  `suggest-edit` or above, beside a previous release scored in the same run (a git worktree,
  `bench/baseline.py`; a release without context support gets the messages alone), and which
  rules fired;
- the unique replies (each text once, without context), with the flagged ones.

    python bench/false_positives.py [--baseline REV | --no-baseline] [--show 30] [--model DIR]
        [--policy FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline import checkout, run_python  # noqa: E402
from bench.datasets import SERVICE_REPLIES, service_dialogues, service_replies  # noqa: E402
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

# The release issue 16 (tone, buyer intent, context) started from.
RELEASE = "de47197"
NOTICE = Tier.NOTICE.severity
SUGGEST = Tier.SUGGEST_EDIT.severity
SEVERITY = {str(tier): tier.severity for tier in Tier}


def release_verdicts(rev: str, pairs: list[tuple[str | None, str]]
                     ) -> tuple[list[tuple[str, str | None]], bool]:
    """(tier, rule) of each (context, text) under release `rev`, through its `score --jsonl`
    command, and whether that release read the contexts (one that has no `--context` option is
    given the messages alone)."""
    with checkout(rev) as tree:
        reads_context = "--context" in run_python(tree, ["-m", "gateway", "score", "--help"])
        lines = []
        for context, text in pairs:
            line = {"text": text}
            if reads_context and context is not None:
                line["context"] = context
            lines.append(json.dumps(line, ensure_ascii=False) + "\n")
        out = run_python(tree, ["-m", "gateway", "score", "--jsonl", "--from", "agent"],
                         "".join(lines))
    results = [json.loads(line) for line in out.splitlines()]
    return [(r["tier"], r["rule"]) for r in results], reads_context


def rates(verdicts: list[tuple[str, str | None]]) -> tuple[str, str]:
    total = len(verdicts)
    notice = sum(SEVERITY[t] >= NOTICE for t, _ in verdicts)
    suggest = sum(SEVERITY[t] >= SUGGEST for t, _ in verdicts)
    return (f"{notice:5d} ({100 * notice / total:5.2f}%)",
            f"{suggest:5d} ({100 * suggest / total:5.2f}%)")


def rules_fired(verdicts: list[tuple[str, str | None]]) -> list[tuple[str, int]]:
    return Counter(f"{r} [{t}]" for t, r in verdicts if SEVERITY[t] >= NOTICE).most_common(12)


def context_rules(scorer: Scorer) -> frozenset[str]:
    """The ids of the default policy's rules with a context condition: they can fire only on a
    reply whose buyer message is known."""
    return frozenset(rule.id for rule in scorer.policy.model.rules
                     if rule.when.context is not None)


def replies_with_context(pairs: list[tuple[str | None, str]],
                         verdicts: list[tuple[str, str | None]], rules: frozenset[str]) -> str:
    """Notice-or-above shares over the replies that have a buyer message (the only ones the
    context rules can judge, so their thresholds are chosen on this share, not on a whole that
    is mostly replies without one): every rule, and the context rules alone."""
    kept = [v for (context, _), v in zip(pairs, verdicts, strict=True) if context is not None]
    if not kept:
        return "no reply has a buyer message"
    notice = sum(SEVERITY[t] >= NOTICE for t, _ in kept)
    by_context = sum(SEVERITY[t] >= NOTICE and r in rules for t, r in kept)
    return (f"{len(kept)} replies with a buyer message: notice or above {notice} "
            f"({100 * notice / len(kept):.2f}%), of which by a context rule {by_context} "
            f"({100 * by_context / len(kept):.2f}%)")


def as_sent(scorer: Scorer, baseline: str | None) -> None:
    print("Every agent message as sent, duplicates included, with the buyer's previous message "
          "as context where the data have it")
    everything: dict[str, list[tuple[str, str | None]]] = {}
    rules = context_rules(scorer)
    print(f"context rules (this tree's policy): {', '.join(sorted(rules))}")
    for name in SERVICE_REPLIES:
        pairs = list(service_dialogues(name))
        with_context = sum(context is not None for context, _ in pairs)
        ours: list[tuple[str, str | None]] = []
        for context, text in pairs:
            verdict = scorer.score(text, Role.AGENT, context=context)
            ours.append((str(verdict.tier), verdict.rule))
        print(f"\n{name}: {len(pairs)} messages, {with_context} with the buyer's message")
        print(f"  {'':16} {'notice or above':>18} {'suggest-edit or above':>22}")
        columns = [("this tree", ours)]
        if baseline is not None:
            verdicts, reads_context = release_verdicts(baseline, pairs)
            label = f"release {baseline}" + ("" if reads_context else " (no context)")
            columns.insert(0, (label, verdicts))
        for label, verdicts in columns:
            notice, suggest = rates(verdicts)
            print(f"  {label:16} {notice:>18} {suggest:>22}")
            everything.setdefault(label, []).extend(verdicts)
        for label, verdicts in columns:
            print(f"  rules at notice or above, {label}: {rules_fired(verdicts)}")
        if with_context:
            for label, verdicts in columns:
                print(f"  {label}, {replies_with_context(pairs, verdicts, rules)}")
    print(f"\nall: {len(everything['this tree'])} messages")
    for label, verdicts in everything.items():
        notice, suggest = rates(verdicts)
        print(f"  {label:16} {notice:>18} {suggest:>22}")


def unique(scorer: Scorer, show: int) -> None:
    print("\nUnique replies (each text once, no context)")
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
            if verdict.tier.severity >= SUGGEST:
                flagged.append(verdict)
                terms.update(f"{m.category}:{m.term}" for m in verdict.matches)
        held = len(flagged)
        print(f"{name}: {total} unique replies; suggest-edit or stronger: {held} "
              f"({100 * held / total:.2f}%); notice: {tiers[Tier.NOTICE]} "
              f"({100 * tiers[Tier.NOTICE] / total:.2f}%); decided by a tone rule at any tier: "
              f"{by_tone} ({100 * by_tone / total:.2f}%)")
        print("  by tier:", dict(tiers.most_common()))
        print("  top terms:", terms.most_common(15))
        for verdict in flagged[:show]:
            tone = (f" tone {verdict.tone.label} {verdict.tone.scores[verdict.tone.label]:.2f}"
                    if verdict.tone else "")
            print(f"    [{verdict.tier}] {verdict.text[:70]!r} <- "
                  f"{[(m.term, m.text) for m in verdict.matches]}{tone}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show", type=int, default=30, help="flagged examples to print")
    parser.add_argument("--model", type=Path, default=default_tone_model(),
                        help="tone model directory [default: the shipped model]")
    parser.add_argument("--baseline", metavar="REV", default=RELEASE,
                        help=f"release to measure beside this tree [default: {RELEASE}]")
    parser.add_argument("--no-baseline", action="store_true", help="this tree only")
    parser.add_argument("--policy", type=Path, default=default_policy_file(),
                        help="policy file [default: the shipped policies.yaml]")
    args = parser.parse_args()
    scorer = Scorer.load(default_lexicon_dir(), args.policy, tone_model=args.model,
                         intent_model=default_intent_model(),
                         invitation_model=default_invitation_model())
    as_sent(scorer, None if args.no_baseline else args.baseline)
    unique(scorer, args.show)


if __name__ == "__main__":
    main()

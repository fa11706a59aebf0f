"""The buyer intent model: how its settings are chosen (leave one writer out), and what it costs.

    python bench/bench_intent.py [--select] [--cost] [--messages 20000]

`--select` scores every training writer's rows with models fitted on the other writers' rows,
for each setting of the grid below, and applies the default policy's two buyer rules to the
probabilities: `buyer-intent` (any of wants_human, complaint, anger ≥ T, or — form "sum" — the
three together ≥ T, i.e. ordinary < 1 - T) and `buyer-escalation`
(an escalation-lexicon hit, or buyer-abusive's abuse/discrimination hit at severity ≥ 2, unless
ordinary ≥ U; U = none: the lexicon hit routes without the model; U = off: no lexicon rule).
The lexicon hits come from the shipped lexicons and do not depend on the model.

The rule, fixed before any figure was looked at: among the settings whose ordinary messages
are routed ≤ 2%, the one routing the most escalations (wants_human, complaint, anger); if no
setting reaches 2%, the one routing the fewest ordinary messages among those routing ≥ 90% of
escalations; failing that, the highest escalations routed − ordinary routed. Ties: the smaller
C, then pruning, then the higher T and the lower U (fewer rules firing).

`--cost` times, on one pinned core in one process: the intent model alone per message, and the
full scorer (normalise + automata + contacts + tone + intent + policy) on buyer messages with
and without the intent model, alternating, medians of 5.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.keyword_timing import model_free  # noqa: E402
from classifiers.intent.classifier import IntentClassifier  # noqa: E402
from classifiers.intent.training import (  # noqa: E402
    LABELS,
    ORDINARY,
    drop_duplicates,
    leave_one_writer_out,
    read_intent,
    reading_terms,
    row_writer,
    sklearn_probabilities,
)
from classifiers.intent.training_settings import INTENT_SETTINGS, ROUTE_LABELS  # noqa: E402
from classifiers.intent.view import intent_view  # noqa: E402
from classifiers.lexicon import Lexicon  # noqa: E402
from classifiers.policy.decide import Policy  # noqa: E402
from classifiers.resources import (  # noqa: E402
    default_intent_model,
    default_intent_training_data,
    default_lexicon_dir,
    default_policy_file,
    default_tone_model,
)
from classifiers.results import Role  # noqa: E402
from classifiers.scorer import Scorer  # noqa: E402
from classifiers.segmentation import WordSegmenter  # noqa: E402
from classifiers.tone.classifier import ToneClassifier  # noqa: E402
from classifiers.tone.training import LabelledText  # noqa: E402

C_GRID = (1.0, 2.0, 4.0, 8.0, 16.0)
PRUNE_GRID = ((6_000, 2_000), (None, None))
T_GRID = (0.4, 0.5, 0.6, 0.7, 0.8)
FORMS = ("any", "sum")
U_GRID: tuple[float | str, ...] = ("off", "none", 0.6, 0.7, 0.8, 0.9)
ROUTING_CATEGORIES = {"escalation"}
ABUSE_CATEGORIES = {"abuse", "discrimination"}


def lexicon_hits(scorer: Scorer, rows: list[LabelledText]) -> list[bool]:
    """Whether the default policy's lexicon buyer rules would see a hit in each row."""
    flags = []
    for row in rows:
        verdict = scorer.score(row.text, Role.BUYER)
        flags.append(any(m.category in ROUTING_CATEGORIES or (
            m.category in ABUSE_CATEGORIES and m.severity >= 2) for m in verdict.matches))
    return flags


def routed(scores: dict[str, float], hit: bool, t: float, u: float | str,
           form: str = "any") -> bool:
    if form == "sum" and sum(scores[label] for label in ROUTE_LABELS) >= t:
        return True
    if form == "any" and any(scores[label] >= t for label in ROUTE_LABELS):
        return True
    if u == "off" or not hit:
        return False
    return u == "none" or scores[ORDINARY] < float(u)


def select() -> None:
    rows, _ = drop_duplicates(r for path in default_intent_training_data()
                              for r in read_intent(path))
    print(f"{len(rows)} training rows, writers "
          f"{', '.join(sorted({row_writer(r) for r in rows}))}")
    keyword = Scorer.load(default_lexicon_dir(), keyword_policy())
    hits = dict(zip((r.source for r in rows), lexicon_hits(keyword, rows)))
    normalizer = keyword.normalizer
    segmenter = WordSegmenter()
    results = []
    for c, (keep_chars, keep_words) in itertools.product(C_GRID, PRUNE_GRID):
        settings = dataclasses.replace(INTENT_SETTINGS, C=c, keep_char_features=keep_chars,
                                       keep_words=keep_words)
        truth, scores, _ = leave_one_writer_out(
            rows, lambda t: intent_view(normalizer(t).text), segmenter.words, settings,
            sklearn_probabilities, reading_terms(keyword.lexicon))
        # leave_one_writer_out returns rows writer by writer: the same order as this
        ordered = [r for w in sorted({row_writer(r) for r in rows})
                   for r in rows if row_writer(r) == w]
        flags = [hits[r.source] for r in ordered[:len(truth)]]
        for form, t, u in itertools.product(FORMS, T_GRID, U_GRID):
            decisions = [routed(s, f, t, u, form) for s, f in zip(scores, flags)]
            esc = [d for d, y in zip(decisions, truth) if y != ORDINARY]
            ordinary = [d for d, y in zip(decisions, truth) if y == ORDINARY]
            per = {label: sum(d for d, y in zip(decisions, truth) if y == label)
                   / max(1, truth.count(label)) for label in LABELS}
            results.append((c, keep_chars is not None, t, u, sum(esc) / len(esc),
                            sum(ordinary) / len(ordinary), per, form))
    for c, pruned, t, u, routed_escalations, routed_ordinary, per, form in results:
        print(f"C={c:<4} pruned={pruned!s:<5} {form} T={t} U={u!s:<4} escalations routed "
              f"{routed_escalations:6.1%} ordinary routed {routed_ordinary:5.1%}  "
              + " ".join(f"{k} {v:.0%}" for k, v in per.items()))
    chosen = choose(results)
    print("chosen:", chosen[:6], chosen[7])


def choose(results: list[tuple]) -> tuple:  # type: ignore[type-arg]
    def tie(r: tuple) -> tuple:  # type: ignore[type-arg]
        c, pruned, t, u = r[:4]
        return (c, not pruned, -t, 2.0 if u == "none" else -1.0 if u == "off" else float(u))
    within = [r for r in results if r[5] <= 0.02]
    if within:
        return min(within, key=lambda r: (-r[4], tie(r)))
    high = [r for r in results if r[4] >= 0.90]
    if high:
        return min(high, key=lambda r: (r[5], tie(r)))
    return min(results, key=lambda r: (-(r[4] - r[5]), tie(r)))


def keyword_policy() -> Path:
    """The default policy without its tone and intent rules, as a file (for the lexicon hits)."""
    import tempfile

    import yaml

    data = yaml.safe_load(default_policy_file().read_text(encoding="utf-8"))
    data["rules"] = model_free(data["rules"])
    handle = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8")
    with handle:
        yaml.safe_dump(data, handle, allow_unicode=True)
    Policy.load(handle.name)
    return Path(handle.name)


def cost(count: int) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    texts = [r.text for path in default_intent_training_data() for r in read_intent(path)]
    messages = list(itertools.islice(itertools.cycle(texts), count))
    lexicons, policy = default_lexicon_dir(), default_policy_file()
    with_intent = Scorer.load(lexicons, policy, tone_model=default_tone_model(),
                              intent_model=default_intent_model())
    without = Scorer(Lexicon.load(lexicons), Policy.load(
        keyword_policy_with_tone(), known_tone_labels=with_intent.tone.policy_labels_
        if with_intent.tone is not None else None),
        tone=ToneClassifier.from_directory(default_tone_model()), reuse=with_intent)
    model = IntentClassifier.from_directory(default_intent_model())
    normalized = [with_intent.normalizer(m).text for m in messages]

    def per_message(function, items) -> float:  # type: ignore[no-untyped-def]
        started = time.process_time()
        for item in items:
            function(item)
        return (time.process_time() - started) / len(items) * 1e6

    runs: dict[str, list[float]] = {"intent model alone": [], "full scorer, no intent": [],
                                    "full scorer with intent": []}
    for _ in range(5):
        runs["intent model alone"].append(per_message(model.predict, normalized))
        runs["full scorer, no intent"].append(
            per_message(lambda m: without.score(m, Role.BUYER), messages))
        runs["full scorer with intent"].append(
            per_message(lambda m: with_intent.score(m, Role.BUYER), messages))
    medians = {name: statistics.median(values) for name, values in runs.items()}
    for name, value in medians.items():
        print(f"{name:<26} {value:7.1f} µs/buyer message (median of 5, {count:,} messages)")
    with_model, without_model = medians["full scorer with intent"], \
        medians["full scorer, no intent"]
    print(f"intent adds {with_model - without_model:.1f} µs per buyer message "
          f"({with_model / without_model:.2f}×); "
          "agent and bot messages are not scored for intent")


def keyword_policy_with_tone() -> Path:
    """The default policy without its intent rules (buyer-escalation as it was: lexicon only)."""
    import tempfile

    import yaml

    data = yaml.safe_load(default_policy_file().read_text(encoding="utf-8"))
    # A rule whose only signal is the model (buyer-intent) goes; another loses its intent
    # condition (buyer-abusive routes on its lexicon hit alone, as before the model).
    data["rules"] = [rule for rule in data["rules"]
                     if set(rule["when"]) - {"roles", "intent", "unless_intent"}]
    for rule in data["rules"]:
        rule["when"].pop("unless_intent", None)
        rule["when"].pop("intent", None)
    handle = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8")
    with handle:
        yaml.safe_dump(data, handle, allow_unicode=True)
    return Path(handle.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--select", action="store_true", help="leave-one-writer-out grid")
    parser.add_argument("--cost", action="store_true", help="time the model and the scorer")
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    if args.select:
        select()
    if args.cost or not args.select:
        cost(args.messages)


if __name__ == "__main__":
    main()

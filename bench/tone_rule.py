"""Steps 2 and 3 of the round-5 threshold rule (docs/tone.md, "Issue 16, round 5"): the model
notice rules' thresholds raised, each in its own population, until real replies are within
budget, never below the recall floor on the studied judgement rounds.

    python bench/tone_rule.py --start cold=0.5,cold_unanswered=0.4,perfunctory=0.5,\
abusive=0.5,unanswered=0.7 [--main-model DIR --main-policy FILE] [--json OUT]

Every message (ECD and JDDC as sent with their buyer messages; the agent rows of judgement
rounds 1-4 with theirs) is scored once by a policy without the five model notice rules
(`tone-cold`, `tone-cold-unanswered`, `tone-perfunctory`, `unanswered`, `tone-abusive-likely`),
keeping its tier, the tone model's probabilities, whether the lexicon matched, the buyer
message's act and the answer model's probability; the rules are then applied at any
thresholds without scoring again. The budgets and floors are main's: the same measure with
main's models and the thresholds of main's policy file.

Only totals per rule group are printed for real replies; their rows are never shown.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_judgement import load_rows  # noqa: E402
from bench.datasets import SERVICE_REPLIES, service_dialogues  # noqa: E402
from classifiers.context import Act  # noqa: E402
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

# rule id -> the threshold name (bench/tone_select.py's names, plus the answer model's)
MODEL_RULES = {"tone-cold": "cold", "tone-cold-unanswered": "cold_unanswered",
               "tone-perfunctory": "perfunctory", "unanswered": "unanswered",
               "tone-abusive-likely": "abusive"}
CONTEXT_RULES = ("cold_unanswered", "perfunctory", "unanswered")
CONTEXT_FREE_RULES = ("cold", "abusive")
GRID = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
PERFUNCTORY_ACTS = (Act.QUESTION, Act.POLAR, Act.COMPLAINT)
FLOOR_CLASSES = ("abusive", "cold", "perfunctory")
TARGET = 0.9


@dataclass
class Scored:
    """Per message: the tier without the model notice rules, and what those rules read."""
    rest: np.ndarray  # severity
    p: dict[str, np.ndarray]
    unmatched: np.ndarray
    needs_answer: np.ndarray
    perfunctory_gate: np.ndarray
    unanswered: np.ndarray  # NaN without a buyer message
    has_context: np.ndarray
    origin: np.ndarray  # ecd_taobao, jddc, round1 ...
    cls: np.ndarray  # judgement class ('' for real replies)


def thresholds_of(policy: Path) -> dict[str, float]:
    rules = {r["id"]: r for r in yaml.safe_load(policy.read_text(encoding="utf-8"))["rules"]}
    out = {}
    for rule_id, name in MODEL_RULES.items():
        when = rules[rule_id]["when"]
        out[name] = float(when["context"]["unanswered"] if name == "unanswered"
                          else next(iter(when["tone"].values())))
    return out


def score_cached(model: Path, policy: Path, cache: Path | None) -> Scored:
    """`score_all`, kept in `cache` (npz) for the next run with the same models and messages."""
    if cache is not None and cache.exists():
        saved = np.load(cache)
        return Scored(**{k: saved[k] for k in saved.files if not k.startswith("p_")},
                      p={k[2:]: saved[k] for k in saved.files if k.startswith("p_")})
    scored = score_all(model, policy)
    if cache is not None:
        arrays: dict[str, Any] = {k: v for k, v in vars(scored).items() if k != "p"}
        arrays.update({f"p_{k}": v for k, v in scored.p.items()})
        np.savez_compressed(cache, **arrays)
    return scored


def score_all(model: Path, policy: Path) -> Scored:
    data = yaml.safe_load(policy.read_text(encoding="utf-8"))
    data["rules"] = [r for r in data["rules"] if r["id"] not in MODEL_RULES]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False,
                                     encoding="utf-8") as handle:
        yaml.safe_dump(data, handle, allow_unicode=True)
    scorer = Scorer.load(default_lexicon_dir(), handle.name, tone_model=model,
                         intent_model=default_intent_model(),
                         invitation_model=default_invitation_model())
    items: list[tuple[str, str, str | None, str]] = []
    for name in SERVICE_REPLIES:
        items += [(name, "", context, text) for context, text in service_dialogues(name)]
    items += [(f"round{r.round}", r.cls if r.violation else f"benign:{r.cls}",
               r.context or None, r.text) for r in load_rows(None) if r.side == "agent"]
    rest, unmatched, needs, gate, unanswered = [], [], [], [], []
    p: dict[str, list[float]] = {}
    for _, _, context, text in items:
        verdict = scorer.score(text, Role.AGENT, context=context)
        rest.append(verdict.tier.severity)
        unmatched.append(not verdict.matches)
        assert verdict.tone is not None
        for label, value in verdict.tone.scores.items():
            p.setdefault(label, []).append(value)
        signal = verdict.context
        needs.append(signal is not None and signal.needs_answer)
        gate.append(signal is not None and signal.act in PERFUNCTORY_ACTS)
        probability = signal.unanswered if signal is not None else None
        unanswered.append(np.nan if probability is None else probability)
    return Scored(np.array(rest), {k: np.array(v) for k, v in p.items()}, np.array(unmatched),
                  np.array(needs), np.array(gate), np.array(unanswered),
                  np.array([c is not None for _, _, c, _ in items]),
                  np.array([o for o, _, _, _ in items]), np.array([c for _, c, _, _ in items]))


def fires(s: Scored, name: str, t: float) -> np.ndarray:
    """The messages the model rule `name` puts a notice on at threshold `t`."""
    if name == "cold":
        return np.asarray(s.p["cold"] >= t, dtype=bool)
    if name == "cold_unanswered":
        return np.asarray((s.p["cold"] >= t) & s.needs_answer, dtype=bool)
    if name == "perfunctory":
        return np.asarray((s.p["perfunctory"] >= t) & s.perfunctory_gate, dtype=bool)
    if name == "abusive":
        return np.asarray((s.p["abusive"] >= t) & s.unmatched, dtype=bool)
    return np.asarray(np.nan_to_num(s.unanswered, nan=-1.0) >= t, dtype=bool)


@dataclass
class Measure:
    context_notices: int  # ECD replies with a buyer message: any context model rule
    context_free_notices: int  # all real replies: tone-cold or tone-abusive-likely
    per_rule: dict[str, int]  # each model rule alone, in its own population
    recall: dict[str, float]  # rounds 1-4 pooled, caught at any tier
    benign: float
    per_round: dict[str, dict[str, float]]  # caught (benign: flagged) per round and class
    real_notice: float  # all real replies, notice or above, every rule
    real_suggest: float
    ecd_context_notice: float  # ECD replies with a buyer message, notice or above, every rule


def measure(s: Scored, thresholds: dict[str, float]) -> Measure:
    hit = {name: fires(s, name, t) for name, t in thresholds.items()}
    real = np.isin(s.origin, list(SERVICE_REPLIES))
    ecd_ctx = (s.origin == "ecd_taobao") & s.has_context
    context_any = np.logical_or.reduce([hit[n] for n in CONTEXT_RULES])
    free_any = np.logical_or.reduce([hit[n] for n in CONTEXT_FREE_RULES])
    per_rule = {n: int(np.sum(hit[n] & (ecd_ctx if n in CONTEXT_RULES else real)))
                for n in thresholds}
    notice = (s.rest >= Tier.NOTICE.severity) | context_any | free_any
    rounds = np.char.startswith(s.origin.astype(str), "round")
    recall = {c: float(notice[rounds & (s.cls == c)].mean())
              for c in (*FLOOR_CLASSES, "sarcastic")}
    benign = rounds & np.char.startswith(s.cls.astype(str), "benign:")
    per_round = {}
    for round_ in sorted({str(o) for o in s.origin[rounds]}):
        here = s.origin == round_
        per_round[round_] = {c: round(float(notice[here & (s.cls == c)].mean()), 3)
                             for c in (*FLOOR_CLASSES, "sarcastic")}
        per_round[round_]["benign"] = round(float(notice[here & benign].mean()), 3)
    return Measure(int(np.sum(context_any & ecd_ctx)), int(np.sum(free_any & real)), per_rule,
                   recall, float(notice[benign].mean()), per_round, float(notice[real].mean()),
                   float((s.rest[real] >= Tier.SUGGEST_EDIT.severity).mean()),
                   float(notice[ecd_ctx].mean()))


def apply_rule(s: Scored, start: dict[str, float], budget: Measure, floor: dict[str, float]
               ) -> tuple[dict[str, float], list[str]]:
    """Step 2 with step 3's floor: raise, one grid step at a time, the rule of an over-budget
    group that adds the most notices, unless that drops a class below its floor."""
    thresholds = dict(start)
    log: list[str] = []
    groups = ((CONTEXT_RULES, "context_notices"), (CONTEXT_FREE_RULES, "context_free_notices"))
    for names, field in groups:
        blocked: set[str] = set()
        while True:
            now = measure(s, thresholds)
            if getattr(now, field) <= getattr(budget, field):
                log.append(f"{field}: {getattr(now, field)} <= {getattr(budget, field)}: holds")
                break
            candidates = sorted((n for n in names if n not in blocked
                                 and thresholds[n] < GRID[-1]),
                                key=lambda n: -now.per_rule[n])
            if not candidates:
                log.append(f"{field}: {getattr(now, field)} > {getattr(budget, field)}: "
                           "no admissible raise; budget not met")
                break
            name = candidates[0]
            raised = dict(thresholds, **{name: next(t for t in GRID if t > thresholds[name])})
            after = measure(s, raised)
            low = [c for c in FLOOR_CLASSES if after.recall[c] < floor[c] - 1e-9]
            if low:
                blocked.add(name)
                below = ", ".join(f"{c} {after.recall[c]:.3f} < {floor[c]:.3f}" for c in low)
                log.append(f"{name} {thresholds[name]} -> {raised[name]} not taken: {below}")
                continue
            log.append(f"{name} {thresholds[name]} -> {raised[name]} "
                       f"({field} {getattr(now, field)} -> {getattr(after, field)})")
            thresholds = raised
    return thresholds, log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--start", required=True,
                        help="step 1's thresholds, e.g. cold=0.5,cold_unanswered=0.4,"
                             "perfunctory=0.5,abusive=0.5,unanswered=0.7")
    parser.add_argument("--model", type=Path, default=default_tone_model())
    parser.add_argument("--policy", type=Path, default=default_policy_file())
    parser.add_argument("--main-model", type=Path, required=True,
                        help="main's tone model directory (with its answer model)")
    parser.add_argument("--main-policy", type=Path, required=True)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--cache", type=Path,
                        help="directory for the scored messages (main.npz, this.npz)")
    args = parser.parse_args()
    start = {k: float(v) for k, v in (item.split("=") for item in args.start.split(","))}
    if set(start) != set(MODEL_RULES.values()):
        parser.error(f"--start needs {', '.join(MODEL_RULES.values())}")
    main_thresholds = thresholds_of(args.main_policy)
    cache = args.cache
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    budget = measure(score_cached(args.main_model, args.main_policy,
                                  cache / "main.npz" if cache else None), main_thresholds)
    floor = {c: min(TARGET, budget.recall[c]) for c in FLOOR_CLASSES}
    scored = score_cached(args.model, args.policy, cache / "this.npz" if cache else None)
    chosen, log = apply_rule(scored, start, budget, floor)
    report = {"main_thresholds": main_thresholds, "main": vars(budget), "floor": floor,
              "start": start, "start_measure": vars(measure(scored, start)), "steps": log,
              "chosen": chosen, "chosen_measure": vars(measure(scored, chosen)),
              "this_model_at_main_thresholds": vars(measure(scored, main_thresholds))}
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()

"""Choose the tone model's settings and the policy's tone thresholds on data it never trained on
and that is not an evaluation round (docs/tone.md, "Choosing settings").

    python bench/tone_select.py [--config NAME ...] [--writers GLOB] [--json OUT]

For every candidate configuration (feature budget, C), it measures:

- leave-one-writer-out (LOWO): for each independent writer's file (`tone_train_T*.csv`), a model
  trained on everything else (the other writers, the project's files, COLD train/dev) scores that
  writer's rows;
- the held-out split (`tone_heldout.csv`), the sincere probe and the COLD-style selection set
  (bench/data), scored by the model trained on all training rows.

A reply counts as caught/flagged when the lexicon path of the default policy (its rules without
the tone rules, with the buyer's message the reply answers as context where the row has one)
gives any tier, or the tone model's probability of a violation label reaches that label's
threshold as the policy's tone-* rules apply it: abusive only without a lexicon match (like
tone-abusive), perfunctory only after a buyer message that asked or complained (acts question,
polar, complaint: tone-perfunctory), cold at one threshold after a buyer message that needs an
answer (tone-cold-unanswered) and at another anywhere (tone-cold). Thresholds are chosen per
configuration by the rule in docs/tone.md: on the pooled selection rows, the smallest summed miss
rate of the four violation classes with benign replies flagged at most `--benign-budget`.
`--at cold=0.9,cold_unanswered=0.6,...` scores fixed thresholds instead of choosing; `--hold
sarcastic=0.9` keeps a threshold another branch owns out of the choice. `--fixed-features`
(docs/tone.md, "round 5") fits the model on everything first and gives each left-out model that
model's kept features, one fit instead of two, `--jobs` at a time: leaving out 18 writers then
takes about half an hour on the shared machine instead of well over an hour.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.keyword_timing import model_free  # noqa: E402
from classifiers.context import NEEDS_ANSWER, Act, DialogueActs  # noqa: E402
from classifiers.lexicon import Lexicon  # noqa: E402
from classifiers.policy.decide import Policy  # noqa: E402
from classifiers.resources import (  # noqa: E402
    default_cold_splits,
    default_heldout_data,
    default_lexicon_dir,
    default_policy_file,
    default_training_data,
)
from classifiers.results import Role  # noqa: E402
from classifiers.scorer import Scorer  # noqa: E402
from classifiers.segmentation import WordSegmenter  # noqa: E402
from classifiers.tiers import Tier  # noqa: E402
from classifiers.tone.features import tone_view  # noqa: E402
from classifiers.tone.training import (  # noqa: E402
    LabelledText,
    build_pipeline,
    drop_leaks,
    read_cold,
    read_labelled,
)
from classifiers.tone.training_settings import TrainingSettings  # noqa: E402

BENCH_DATA = Path(__file__).resolve().parent / "data"
VIOLATIONS = ("cold", "perfunctory", "sarcastic", "abusive")
# The thresholds chosen: one per tone-* notice rule (cold_unanswered: tone-cold-unanswered).
THRESHOLD_NAMES = ("cold", "cold_unanswered", "perfunctory", "sarcastic", "abusive")
GRID = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
# The context acts of the tone-perfunctory rule in policies.yaml (a buyer who asked or complained;
# a request is rightly answered by 好的).
PERFUNCTORY_ACTS = frozenset({Act.QUESTION, Act.POLAR, Act.COMPLAINT})
CONFIGS: dict[str, TrainingSettings] = {
    "shipped-8k-3k": TrainingSettings(),
    "wide-20k-6k": TrainingSettings(keep_char_features=20_000, keep_words=6_000),
    "all-features": TrainingSettings(keep_char_features=None, keep_words=None),
    "wide-20k-6k-C8": TrainingSettings(keep_char_features=20_000, keep_words=6_000, C=8.0),
}


@dataclass
class Corpus:
    rows: list[LabelledText]
    texts: list[str]  # normalised
    segments: list[list[str]]


def _lexicon_tiers(texts: Sequence[str], contexts: Sequence[str | None] | None = None
                   ) -> list[Tier]:
    """The default policy's tier for each agent reply (answering `contexts`, the buyer's
    messages, where known), from its rules without the tone rules."""
    data = yaml.safe_load(default_policy_file().read_text(encoding="utf-8"))
    # agent replies: the buyer-only intent rules never apply, and need the intent model
    # (and the answer model's rule, which needs the tone model's directory: scored apart)
    data["rules"] = model_free(data["rules"])
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False,
                                     encoding="utf-8") as handle:
        yaml.safe_dump(data, handle, allow_unicode=True)
    lexicon = Lexicon.load(default_lexicon_dir())
    policy = Policy.load(handle.name,
                         known_categories=sorted({*lexicon.categories, "off_platform"}))
    scorer = Scorer(lexicon, policy)
    contexts = contexts if contexts is not None else [None] * len(texts)
    return [scorer.score(t, Role.AGENT, context=c).tier for t, c in zip(texts, contexts,
                                                                          strict=True)]


def _acts(contexts: Sequence[str | None]) -> np.ndarray:
    """The dialogue act of each buyer message ('' where there is none), as the scorer reads it."""
    from classifiers.normalize import Normalizer
    from classifiers.registry import DEFAULT_STEPS, NORMALIZE_STEPS

    fold = Normalizer([NORMALIZE_STEPS[name]() for name in DEFAULT_STEPS]).fold
    return np.array([str(DialogueActs.act(fold(c))) if c else "" for c in contexts])


def _contexts(rows: Sequence[LabelledText]) -> list[str | None]:
    """The buyer's message each row answers, from its file's `context` column (None without)."""
    by_file: dict[str, dict[int, str]] = {}
    out: list[str | None] = []
    for row in rows:
        name, _, line = row.source.rpartition(":")
        if name not in by_file:
            path = default_training_data()[0].parent / name
            table: dict[int, str] = {}
            if path.exists():
                with path.open(encoding="utf-8", newline="") as handle:
                    table = {n: (r.get("context") or "").strip()
                             for n, r in enumerate(csv.DictReader(handle), start=2)}
            by_file[name] = table
        out.append(by_file[name].get(int(line)) or None if line.isdigit() else None)
    return out


def _fit(corpus: Corpus, keep: np.ndarray, settings: TrainingSettings):  # type: ignore[no-untyped-def]
    from collections import Counter

    counts: Counter[str] = Counter()
    for i in np.flatnonzero(keep):
        counts.update(corpus.segments[i])
    words = [w for w, c in counts.most_common(settings.max_words) if c >= settings.min_df]
    texts = [corpus.texts[i] for i in np.flatnonzero(keep)]
    labels = [corpus.rows[i].label for i in np.flatnonzero(keep)]
    weights = np.array([corpus.rows[i].weight for i in np.flatnonzero(keep)])
    from classifiers.tone.training import strongest_features

    pipeline = build_pipeline(words, settings)
    pipeline.fit(texts, labels, classifier__sample_weight=weights)
    kept = strongest_features(pipeline, settings)
    if kept is not None:
        pipeline = build_pipeline(words, settings, kept)
        pipeline.fit(texts, labels, classifier__sample_weight=weights)
    return pipeline


def _refit(corpus: Corpus, keep: np.ndarray, full):  # type: ignore[no-untyped-def]
    """A model on the rows `keep` with the features of `full` (the model trained on every row):
    the TF-IDF weights and a fresh regression fit on those rows. Not warm-started from `full`'s
    coefficients: lbfgs stops within its tolerance near that start, which keeps what `full`
    learnt from the left-out rows (docs/tone.md, "round 5")."""
    import copy

    from sklearn.base import clone

    pipeline = copy.deepcopy(full)
    pipeline.set_params(classifier=clone(full.named_steps["classifier"]))
    chosen = np.flatnonzero(keep)
    pipeline.fit([corpus.texts[i] for i in chosen], [corpus.rows[i].label for i in chosen],
                 classifier__sample_weight=np.array([corpus.rows[i].weight for i in chosen]))
    return pipeline


# What a forked worker of `_lowo_fixed` reads (set before the pool forks; never patched by tests).
_SHARED: dict[str, Any] = {}


def _lowo_one(writer: str) -> tuple[str, dict[str, np.ndarray], float]:
    t0 = time.time()
    corpus, full, writer_of, idx = (_SHARED["corpus"], _SHARED["full"], _SHARED["writer_of"],
                                    _SHARED["rows"][writer])
    pipeline = _refit(corpus, writer_of != writer, full)
    return writer, _probabilities(pipeline, [corpus.texts[i] for i in idx]), time.time() - t0


def _lowo_fixed(corpus: Corpus, full, writer_of: np.ndarray,  # type: ignore[no-untyped-def]
               writer_rows: dict[str, list[int]], jobs: int) -> dict[str, dict[str, np.ndarray]]:
    """Each writer's rows scored by `_refit` without that writer, `jobs` fits at a time."""
    import multiprocessing

    _SHARED.update(corpus=corpus, full=full, writer_of=writer_of, rows=writer_rows)
    out: dict[str, dict[str, np.ndarray]] = {}
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for writer, p, seconds in pool.imap_unordered(_lowo_one, list(writer_rows)):
            print(f"  fixed-feature LOWO {writer}: {seconds:.0f}s", flush=True)
            out[writer] = p
    return out


def _probabilities(pipeline, texts: Sequence[str]) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    proba = pipeline.predict_proba(list(texts))
    return {str(label): proba[:, i] for i, label in enumerate(pipeline.classes_)}


def _gates(acts: np.ndarray) -> dict[str, np.ndarray]:
    return {"perfunctory": np.isin(acts, [str(a) for a in PERFUNCTORY_ACTS]),
            "unanswered": np.isin(acts, [str(a) for a in NEEDS_ANSWER])}


def _flags(p: dict[str, np.ndarray], lexicon: np.ndarray, thresholds: dict[str, float],
           gates: dict[str, np.ndarray]) -> np.ndarray:
    flagged = lexicon.copy()
    for name, value in thresholds.items():
        flagged |= _hit(p, gates, lexicon, name, value)
    return flagged


def _hit(p: dict[str, np.ndarray], gates: dict[str, np.ndarray], lexicon: np.ndarray,
         name: str, t: float) -> np.ndarray:
    """The rows the tone rule `name` flags at threshold `t`, as the policy applies it."""
    if name == "cold_unanswered":
        return np.asarray((p["cold"] >= t) & gates["unanswered"], dtype=bool)
    if name == "perfunctory":
        return np.asarray((p["perfunctory"] >= t) & gates["perfunctory"], dtype=bool)
    if name == "abusive":
        return np.asarray((p["abusive"] >= t) & ~lexicon, dtype=bool)
    return np.asarray(p[name] >= t, dtype=bool)


def _choose(p: dict[str, np.ndarray], y: np.ndarray, lexicon: np.ndarray,
            gates: dict[str, np.ndarray], budget: float, fixed: dict[str, float] | None = None
            ) -> tuple[float, dict[str, float], dict[str, float], float] | None:
    """The thresholds with the smallest summed miss rate of the four violation classes whose
    benign rows are flagged at most `budget` (ties: the first in grid order, lowest first);
    those in `fixed` are not chosen but held at the value given."""
    fixed = fixed or {}
    benign = y == "polite"
    grids = [(fixed[name],) if name in fixed else GRID for name in THRESHOLD_NAMES]
    hits = {name: {t: _hit(p, gates, lexicon, name, t) for t in grid}
            for name, grid in zip(THRESHOLD_NAMES, grids, strict=True)}
    best: tuple[float, dict[str, float], dict[str, float], float] | None = None
    for combo in itertools.product(*grids):
        thresholds = dict(zip(THRESHOLD_NAMES, combo, strict=True))
        if thresholds["cold_unanswered"] > thresholds["cold"]:
            continue  # the context gate only ever lowers the threshold
        flagged = lexicon.copy()
        for name, value in thresholds.items():
            flagged |= hits[name][value]
        fp = float(flagged[benign].mean())
        if fp > budget:
            continue
        caught = {label: float(flagged[y == label].mean()) for label in VIOLATIONS}
        miss = sum(1 - c for c in caught.values())
        if best is None or miss < best[0] - 1e-9:
            best = (miss, thresholds, caught, fp)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", action="append", choices=sorted(CONFIGS))
    parser.add_argument("--writers", default="tone_train_T*.csv",
                        help="glob (in classifiers/tone/data) of the independent writers' files")
    parser.add_argument("--benign-budget", type=float, default=0.025)
    parser.add_argument("--at", help="score these thresholds instead of choosing, e.g. "
                        "cold=0.9,cold_unanswered=0.9,perfunctory=0.9,sarcastic=0.8,abusive=0.7")
    parser.add_argument("--hold", default="",
                        help="thresholds held, not chosen, e.g. sarcastic=0.9 (another "
                             "branch's rule)")
    parser.add_argument("--load", type=Path,
                        help="re-score the rows a --save run wrote (no fitting)")
    parser.add_argument("--no-lowo", action="store_true")
    parser.add_argument("--fixed-features", action="store_true",
                        help="leave-one-writer-out models keep the full model's features "
                             "(one fit each instead of two; docs/tone.md, round 5)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel --fixed-features fits")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--save", type=Path,
                        help="write the pooled selection rows' probabilities, labels, lexicon "
                             "flags and origins (npz) of the last configuration")
    args = parser.parse_args()
    at = None
    if args.at:
        at = {k: float(v) for k, v in (item.split("=") for item in args.at.split(","))}
        if set(at) != set(THRESHOLD_NAMES):
            parser.error(f"--at needs exactly {', '.join(THRESHOLD_NAMES)}")
    hold = {k: float(v) for k, v in (item.split("=") for item in args.hold.split(",") if item)}
    if set(hold) - set(THRESHOLD_NAMES):
        parser.error(f"--hold takes {', '.join(THRESHOLD_NAMES)}")
    if args.load:
        saved = np.load(args.load)
        p_all = {k.removeprefix("p_"): saved[k] for k in saved.files if k.startswith("p_")}
        print(json.dumps(_summary(p_all, saved["y"], saved["lexicon"], saved["acts"],
                                  saved["origin"], args.benign_budget, at, hold),
                         ensure_ascii=False, indent=1))
        return
    started = time.time()
    from classifiers.normalize import Normalizer
    from classifiers.registry import DEFAULT_STEPS, NORMALIZE_STEPS

    normalizer = Normalizer([NORMALIZE_STEPS[name]() for name in DEFAULT_STEPS])
    segmenter = WordSegmenter()
    settings0 = TrainingSettings()
    files = default_training_data()
    writer_files = sorted(p for p in files if p.match(args.writers))
    rows: list[LabelledText] = []
    for path in files:
        rows += read_labelled(path, settings0.neutral_weight)
    for path in default_cold_splits():
        rows += read_cold(path, settings0.cold_weight, settings0.cold_safe_weight)
    held = read_labelled(default_heldout_data())
    rows, _ = drop_leaks(rows, held)
    texts = [tone_view(normalizer(r.text).text) for r in rows]
    segments = [[w for w in segmenter.words(t) if 2 <= len(w) <= 6 and any(c.isalnum() for c in w)]
                for t in texts]
    corpus = Corpus(rows, texts, segments)
    writer_of = np.array([r.source.split(":")[0] for r in rows])
    print(f"{len(rows)} training rows; writers: {[p.name for p in writer_files]} "
          f"({time.time() - started:.0f}s)", flush=True)

    probe = read_labelled(BENCH_DATA / "tone_sincere_probe.csv")
    select: list[tuple[str, int]] = []
    with (BENCH_DATA / "cold_style_select.csv").open(encoding="utf-8", newline="") as handle:
        select = [(r["text"], int(r["label"])) for r in csv.DictReader(handle)]
    sets: dict[str, list[LabelledText]] = {"heldout": held, "probe": probe}
    norm_sets = {name: [tone_view(normalizer(r.text).text) for r in s]
                 for name, s in sets.items()}
    lex_sets = {name: np.array([t != Tier.NONE for t in _lexicon_tiers([r.text for r in s])])
                for name, s in sets.items()}
    writer_rows = {p.name: [i for i, w in enumerate(writer_of) if w == p.name]
                   for p in writer_files}
    writer_contexts = {name: _contexts([rows[i] for i in idx])
                       for name, idx in writer_rows.items()}
    writer_lex = {name: np.array([t != Tier.NONE for t in
                                  _lexicon_tiers([rows[i].text for i in idx],
                                                 writer_contexts[name])])
                  for name, idx in writer_rows.items()}
    writer_acts = {name: _acts(contexts) for name, contexts in writer_contexts.items()}
    select_texts = [tone_view(normalizer(t).text) for t, _ in select]
    select_true = np.array([y for _, y in select])

    report: dict[str, object] = {}
    for name in args.config or ["shipped-8k-3k"]:
        settings = replace(CONFIGS[name])
        # every row's prediction on a model that did not train on it (LOWO) or on all rows
        pooled_p: dict[str, list[np.ndarray]] = {}
        pooled_y: list[str] = []
        pooled_lex: list[np.ndarray] = []
        pooled_acts: list[np.ndarray] = []
        origin: list[str] = []
        t0 = time.time()
        pipeline = _fit(corpus, np.ones(len(rows), dtype=bool), settings)
        print(f"  {name} full fit: {time.time() - t0:.0f}s", flush=True)
        fixed = (_lowo_fixed(corpus, pipeline, writer_of, writer_rows, args.jobs)
                if args.fixed_features and not args.no_lowo else {})
        if not args.no_lowo:
            for writer, idx in writer_rows.items():
                t0 = time.time()
                p = fixed[writer] if writer in fixed else _probabilities(
                    _fit(corpus, writer_of != writer, settings), [texts[i] for i in idx])
                for label, v in p.items():
                    pooled_p.setdefault(label, []).append(v)
                pooled_y += [rows[i].label for i in idx]
                pooled_lex.append(writer_lex[writer])
                pooled_acts.append(writer_acts[writer])
                origin += [f"lowo:{writer}"] * len(idx)
                print(f"  {name} LOWO {writer}: {time.time() - t0:.0f}s", flush=True)
        for set_name, s in sets.items():
            p = _probabilities(pipeline, norm_sets[set_name])
            for label, v in p.items():
                pooled_p.setdefault(label, []).append(v)
            pooled_y += [r.label for r in s]
            pooled_lex.append(lex_sets[set_name])
            pooled_acts.append(np.array([""] * len(s)))  # no buyer message: no context rule
            origin += [set_name] * len(s)
        heldout_pred = np.array(pipeline.predict(norm_sets["heldout"]))
        heldout_true = np.array([r.label for r in held])
        f1s = []
        for label in sorted(set(heldout_true)):
            tp = np.sum((heldout_pred == label) & (heldout_true == label))
            prec = tp / max(1, np.sum(heldout_pred == label))
            rec = tp / max(1, np.sum(heldout_true == label))
            f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
        sp = _probabilities(pipeline, select_texts)
        select_acc = float(np.mean((sp["abusive"] >= 0.5) == (select_true == 1)))
        p_all = {label: np.concatenate(v) for label, v in pooled_p.items()}
        y = np.array(pooled_y)
        lex = np.concatenate(pooled_lex)
        acts = np.concatenate(pooled_acts)
        if args.save:
            arrays: dict[str, Any] = {"y": y, "lexicon": lex, "origin": np.array(origin),
                                      "acts": acts,
                                      **{f"p_{label}": v for label, v in p_all.items()}}
            np.savez_compressed(args.save, **arrays)
        result: dict[str, object] = {
            "heldout_macro_f1": float(np.mean(f1s)), "select_accuracy": select_acc,
            **_summary(p_all, y, lex, acts, np.array(origin), args.benign_budget, at, hold),
        }
        report[name] = result
        print(json.dumps({name: result}, ensure_ascii=False, indent=1), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"done in {time.time() - started:.0f}s")


def _summary(p: dict[str, np.ndarray], y: np.ndarray, lexicon: np.ndarray, acts: np.ndarray,
             origin: np.ndarray, budget: float, at: dict[str, float] | None,
             hold: dict[str, float] | None = None) -> dict[str, object]:
    """Thresholds (chosen, or `at`), caught per class and benign flagged, pooled and per
    origin."""
    gates = _gates(acts)
    result: dict[str, object] = {
        "rows": {label: int(np.sum(y == label)) for label in (*VIOLATIONS, "polite")}}
    if at is None:
        best = _choose(p, y, lexicon, gates, budget, hold)
        if best is None:
            return result
        thresholds = best[1]
    else:
        thresholds = at
    flagged = _flags(p, lexicon, thresholds, gates)
    caught = {label: round(float(flagged[y == label].mean()), 3) for label in VIOLATIONS}
    per_origin = {}
    for o in sorted(set(origin)):
        m = origin == o
        per_origin[str(o)] = {label: round(float(flagged[m & (y == label)].mean()), 3)
                              for label in (*VIOLATIONS, "polite") if np.any(m & (y == label))}
    lowo = np.char.startswith(origin.astype(str), "lowo:")
    per_origin["lowo (all writers)"] = {
        label: round(float(flagged[lowo & (y == label)].mean()), 3)
        for label in (*VIOLATIONS, "polite") if np.any(lowo & (y == label))}
    result.update(thresholds=thresholds, caught=caught,
                  benign_flagged=round(float(flagged[y == "polite"].mean()), 4),
                  summed_miss=round(sum(1 - c for c in caught.values()), 3),
                  per_origin=per_origin)
    return result


if __name__ == "__main__":
    main()

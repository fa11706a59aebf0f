"""Scorer speed, automata build cost, and the houbb/sensitive-word peer, side by side in one run.

    python bench/bench_scorer.py [--messages 50000] [--repeats 5] [--no-peer] [--baseline REV]
        [--full] [--shops 1000] [--shop-terms 100]

Prints, for the same realistic messages on one core: ReplyGuard's keyword path (normalise +
automata + contacts + policy) in messages/s and µs/message (median of the repeats), the peer's
µs/call, their ratio, both engines' flag rates on the real service replies, and automata build
time and memory for the shipped lexicons and for a synthetic 100,000-term lexicon.

`--baseline REV` also measures the keyword path of git revision REV (a worktree in a temporary
directory) and of this tree, each in its own process on the same core, alternating process by
process; each process reports the CPU time of its fastest of three passes
(bench/keyword_timing.py), and the medians over the processes and their ratio are printed. The
checkout borrows this tree's compiled kernels (tone kernel, keyword scanner) where their source
is the same and compiles its own otherwise (bench/baseline.py `with_kernel`): before stop 19 it
got only the tone kernel, and only with `--full`, so a revision with the scanner (kwspeed9 on)
was timed on pyahocorasick. `--full` does the same for the whole scorer (each tree's tone
model, its intent and invitation models when it has them, and every policy rule), and this tree
without its invitation model.

Shop overlays (`--shops N`, default 1,000 shops of 100 deny + 100 allow terms): the keyword path
without overlays, for a shop without one while N other shops have one, and for a shop with
one, measured in alternating rounds in this one run; and what the overlays cost to build, to
reload with one shop changed, and in memory.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline import (  # noqa: E402
    PREVIOUS_RELEASE,
    REPO,
    checkout,
    environment,
    with_kernel,
)
from bench.datasets import EVAL_DATA, SERVICE_REPLIES, service_replies  # noqa: E402
from bench.keyword_timing import model_free  # noqa: E402
from classifiers.lexicon import Lexicon, ShopLexicon, Term  # noqa: E402
from classifiers.policy.decide import Policy  # noqa: E402
from classifiers.resources import default_lexicon_dir, default_policy_file  # noqa: E402
from classifiers.results import Role  # noqa: E402
from classifiers.scorer import Scorer  # noqa: E402
from classifiers.tiers import Tier  # noqa: E402

PEER = EVAL_DATA.parent / "peers" / "houbb-sensitive-word" / "houbb-sensitive-word.jar"
DATA = Path(__file__).resolve().parent.parent / "classifiers" / "tone" / "data"


def realistic_messages(count: int) -> list[str]:
    """Every real service reply in the shared samples (JDDC all rows, ECD, STC-3) plus the
    project's own labelled replies, cycled up to `count`."""
    texts: list[str] = []
    for name in SERVICE_REPLIES:
        texts.extend(service_replies(name))
    with (EVAL_DATA / "stc3_weibo_helpdesk" / "helpdesk_utterances.tsv").open(
            encoding="utf-8", newline="") as handle:
        texts.extend(r["text"] for r in csv.DictReader(handle, delimiter="\t") if r["text"].strip())
    for path in sorted(DATA.glob("tone_*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            texts.extend(r["text"] for r in csv.DictReader(handle) if r["text"].strip())
    texts = [t.replace("\n", " ") for t in texts]
    unique = len(set(texts))
    random.Random(7).shuffle(texts)
    out = (texts * (count // len(texts) + 1))[:count]
    print(f"messages: {len(out):,} ({unique:,} unique, mean {statistics.mean(map(len, out)):.1f} "
          "chars)")
    return out


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bench_scorer(scorer: Scorer, messages: list[str], repeats: int) -> float:
    score = scorer.score
    for text in messages[:2000]:
        score(text)
    per_message = []
    for _ in range(repeats):
        started = time.perf_counter()
        for text in messages:
            try:
                score(text, Role.AGENT)
            except Exception:  # noqa: BLE001 - a bad message is an error result, still timed
                pass
        per_message.append((time.perf_counter() - started) / len(messages) * 1e6)
    median = statistics.median(per_message)
    print(f"replyguard keyword path: median {median:.2f} µs/message = {1e6 / median:,.0f} "
          f"messages/s (runs: {', '.join(f'{x:.2f}' for x in per_message)})")
    return median


def bench_peer(messages: list[str], count: int) -> float | None:
    java = shutil.which("java")
    if not java or not PEER.exists():
        print("peer: java or the houbb/sensitive-word jar not available, skipped")
        return None
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as f:
        f.write("\n".join(messages) + "\n")
        lines = f.name
    command = [java, "-cp", str(PEER), "Runner", "--bench", lines, str(count)]
    if shutil.which("taskset"):
        command = ["taskset", "-c", str(sorted(os.sched_getaffinity(0))[0]), *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    os.unlink(lines)
    print("houbb/sensitive-word (default config, same messages, same core):",
          " ".join(line for line in result.stdout.splitlines() if "median" in line))
    match = re.search(r"median_us_per_call\s+([0-9.]+)", result.stdout)
    return float(match.group(1)) if match else None


def flag_rates(scorer: Scorer, peer: bool) -> None:
    for name in SERVICE_REPLIES:
        texts = list(service_replies(name))
        verdicts = [scorer.score(t, Role.AGENT) for t in texts]
        held = sum(v.tier.severity >= Tier.SUGGEST_EDIT.severity for v in verdicts)
        any_hit = sum(v.tier is not Tier.NONE for v in verdicts)
        line = (f"{name}: {len(texts):,} replies; replyguard flags {any_hit} "
                f"({100 * any_hit / len(texts):.2f}%) any tier, {held} "
                f"({100 * held / len(texts):.2f}%) suggest-edit or stronger")
        if peer and shutil.which("java") and PEER.exists():
            result = subprocess.run(["java", "-cp", str(PEER), "Runner"],
                                    input="\n".join(t.replace("\n", " ") for t in texts) + "\n",
                                    capture_output=True, text=True, timeout=600, check=False)
            hits = sum(json.loads(line)["hit"] for line in result.stdout.splitlines()
                       if line.strip())
            line += f"; houbb flags {hits} ({100 * hits / len(texts):.2f}%)"
        print(line)


def bench_build(label: str, lexicon: Lexicon, scorer: Scorer) -> None:
    from classifiers.automaton import KeywordMatcher

    before = rss_kib()
    started = time.perf_counter()
    matcher = KeywordMatcher(lexicon, scorer.normalizer, scorer.matcher.pinyin,
                             scorer.matcher.segmenter).build()
    elapsed = time.perf_counter() - started
    grown = rss_kib() - before
    keys = sum(len(a) for a in (matcher.base_automaton_, matcher.variant_automaton_,
                                matcher.context_automaton_, matcher.allow_automaton_))
    print(f"automata build, {label}: {len(lexicon.terms):,} terms ({keys:,} keys) in "
          f"{elapsed * 1000:,.0f} ms; process RSS +{grown / 1024:.1f} MiB")


def synthetic_lexicon(size: int) -> Lexicon:
    rng = random.Random(42)
    common = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
    terms: set[str] = set()
    while len(terms) < size:
        terms.add("".join(rng.choice(common) + chr(rng.randint(0x4E00, 0x9FA5))
                          for _ in range(rng.randint(1, 3))))
    return Lexicon(tuple(Term(t, "abuse", 2, source=f"synthetic:{i}")
                         for i, t in enumerate(sorted(terms))), ())


def bench_against(rev: str, messages: list[str], repeats: int, full: bool = False) -> None:
    """Keyword path (or with `full`, the whole scorer: its models and every policy rule) of
    `rev` and of this tree, alternating process by process."""
    timing = Path(__file__).resolve().parent / "keyword_timing.py"
    what = "full scorer" if full else "keyword path"
    with tempfile.TemporaryDirectory() as scratch, checkout(rev) as tree:
        with_kernel(tree)  # the keyword path too runs a compiled scanner since kwspeed9
        lines = Path(scratch) / "messages.txt"
        lines.write_text("\n".join(messages), encoding="utf-8")
        runs: dict[str, list[float]] = {rev: [], "current": []}
        trees: list[tuple[str, Path, list[str]]] = [(rev, tree, []), ("current", REPO, [])]
        if full:
            # The invitation model's own cost: this tree with and without it.
            runs["current without the invitation model"] = []
            trees.append(("current without the invitation model", REPO, ["--no-invitation"]))
        for _ in range(repeats):
            for name, root, extra in trees:
                result = subprocess.run([sys.executable, str(timing), str(root), str(lines),
                                         "3", *(["--full"] if full else []), *extra],
                                        env=environment(root), capture_output=True, text=True,
                                        timeout=3600, check=True)
                runs[name].append(float(result.stdout.split()[-1]))
    medians = {name: statistics.median(values) for name, values in runs.items()}
    for name, values in runs.items():
        print(f"{what}, {name}: median {medians[name]:.2f} µs/message "
              f"(runs: {', '.join(f'{x:.2f}' for x in values)})")
    if full:
        plain = medians["current without the invitation model"]
        print(f"full scorer: the invitation model adds {medians['current'] - plain:.2f} µs/message "
              f"({medians['current'] / plain:.2f}×)")
    print(f"{what} ratio: current / {rev} = {medians['current'] / medians[rev]:.2f}× "
          "per message (target ≤ 1.3×)")


def with_overlays(plain: Scorer, messages: list[str], shops: int, terms: int) -> Lexicon:
    """The shared lexicon plus `shops` synthetic overlays, named shop0, shop1, …: each `terms`
    deny terms (one in ten with pinyin variants) and `terms` allow phrases. Ten of each are
    taken from the messages, so an overlay hits as a shop's product names would: deny terms are
    three-character pieces of messages, allow phrases cover a shared hit (as QQ糖 covers qq)."""
    rng = random.Random(11)
    common = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
    pieces, covers = [], []
    for text in messages[:20000]:
        start = rng.randrange(max(1, len(text) - 3))
        piece = text[start:start + 3]
        if len(piece) == 3 and all("\u4e00" <= c <= "\u9fa5" for c in piece):
            pieces.append(piece)
        for match in plain.score(text, Role.AGENT).matches:
            if match.view == "base" and match.end < len(text) and match.category != "contact":
                covers.append(text[match.start:match.end + 1])

    def word() -> str:
        return "".join(rng.choice(common) + chr(rng.randint(0x4E00, 0x9FA5))
                       for _ in range(rng.randint(1, 2)))

    overlays = {}
    for index in range(shops):
        name = f"shop{index}"
        deny = set(rng.sample(pieces, min(10, len(pieces))))
        allow = set(rng.sample(covers, min(10, len(covers))))
        while len(deny) < terms:
            deny.add(word())
        while len(allow) < terms:
            allow.add(word())
        overlays[name] = ShopLexicon(
            name,
            tuple(Term(t, "off_platform", 2, variants="pinyin" if n % 10 == 0 else "none",
                       source=f"shops/{name}/off_platform.txt:{n + 1}")
                  for n, t in enumerate(sorted(deny))),
            tuple(Term(t, "allow", source=f"shops/{name}/allow.txt:{n + 1}")
                  for n, t in enumerate(sorted(allow))),
            f"synthetic-{index}")
    lexicon = plain.lexicon
    return dataclasses.replace(lexicon, shops=overlays, digest=f"{lexicon.digest}+{shops}")


def bench_overlays(plain: Scorer, messages: list[str], repeats: int, shops: int,
                   terms: int) -> None:
    lexicon = with_overlays(plain, messages, shops, terms)
    before = rss_kib()
    started = time.perf_counter()
    scorer = Scorer(lexicon, plain.policy, reuse=plain)
    built = time.perf_counter() - started
    grown = rss_kib() - before
    changed = dict(lexicon.shops)
    changed["shop0"] = dataclasses.replace(changed["shop0"], digest="changed")
    started = time.perf_counter()
    Scorer(dataclasses.replace(lexicon, shops=changed), plain.policy, reuse=scorer)
    reload = time.perf_counter() - started
    print(f"shop overlays: {shops:,} shops × ({terms} deny + {terms} allow) terms built in "
          f"{built:,.2f} s, process RSS +{grown / 1024:.1f} MiB; a reload with one shop "
          f"changed {reload * 1000:,.0f} ms (unchanged overlays reused)")
    bench_overlay_files(lexicon)
    cases = {"no overlays (shop=None)": (plain, None),
             f"a shop without overlay, {shops:,} others with one": (scorer, "no-overlay"),
             "a shop with an overlay": (scorer, "shop0")}
    # Blocks of messages in rotating order, and each round's times compared within the
    # round: on a shared machine, drift then hits the three cases alike.
    block = 250
    rounds: list[dict[str, float]] = []
    for _ in range(repeats):
        spent = dict.fromkeys(cases, 0.0)
        for number, first in enumerate(range(0, len(messages), block)):
            chunk = messages[first:first + block]
            order = list(cases.items())
            order = order[number % 3:] + order[:number % 3]
            for label, (which, shop) in order:
                score = which.score
                started = time.perf_counter()
                for text in chunk:
                    try:
                        score(text, Role.AGENT, shop=shop)
                    except Exception:  # noqa: BLE001 - a bad message is an error result, timed
                        pass
                spent[label] += time.perf_counter() - started
        rounds.append({label: t / len(messages) * 1e6 for label, t in spent.items()})
    base_label = next(iter(cases))
    for label in cases:
        median = statistics.median(r[label] for r in rounds)
        ratio = statistics.median(r[label] / r[base_label] for r in rounds)
        print(f"keyword path, {label}: median {median:.2f} µs/message, {ratio:.3f}× no "
              f"overlays (median of per-round ratios; rounds: "
              f"{', '.join(f'{r[label]:.2f}' for r in rounds)})")
    sample = messages[:5000]
    moved = sum(scorer.score(t, Role.AGENT, shop="shop0").tier
                is not plain.score(t, Role.AGENT).tier for t in sample)
    print(f"shop0's overlay changed the tier of {moved} of {len(sample):,} messages")


def bench_overlay_files(lexicon: Lexicon) -> None:
    """Reading the overlays from files: every shop's, and again after one shop's file changed
    (a reload: unchanged overlays are not parsed again)."""
    with tempfile.TemporaryDirectory(prefix="bench-overlays-") as scratch:
        root = Path(scratch)
        shutil.copytree(default_lexicon_dir(), root, dirs_exist_ok=True)
        for name, overlay in lexicon.shops.items():
            (root / "shops" / name).mkdir(parents=True)
            for file, entries in (("off_platform.txt", overlay.terms),
                                  ("allow.txt", overlay.allow)):
                (root / "shops" / name / file).write_text("".join(
                    f"{t.text}\tvariants={t.variants}\n" for t in entries), encoding="utf-8")
        started = time.perf_counter()
        first = Lexicon.load(root)
        cold = time.perf_counter() - started
        with (root / "shops" / "shop0" / "allow.txt").open("a", encoding="utf-8") as handle:
            handle.write("新加的商品名\n")
        started = time.perf_counter()
        Lexicon.load(root, first)
        again = time.perf_counter() - started
    print(f"shop overlay files: all read and parsed {cold * 1000:,.0f} ms; after one shop's "
          f"file changed {again * 1000:,.0f} ms (the others' parses reused)")


def keyword_scorer() -> Scorer:
    """The shipped lexicons and the default policy's keyword rules, without the tone model:
    the keyword path (normalise + automata + contacts + policy)."""
    data = yaml.safe_load(default_policy_file().read_text(encoding="utf-8"))
    data["rules"] = model_free(data["rules"])
    keyword_policy = Policy.parse(yaml.safe_dump(data, allow_unicode=True),
                                  source=f"{default_policy_file()} (without tone rules)")
    return Scorer(Lexicon.load(default_lexicon_dir()), keyword_policy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--baseline", metavar="REV", nargs="?", const=PREVIOUS_RELEASE,
                        help="also measure git revision REV side by side "
                             f"[default when given without REV: {PREVIOUS_RELEASE}]")
    parser.add_argument("--full", action="store_true",
                        help="with --baseline, also time the whole scorer (its models and every "
                             "policy rule) of both trees side by side")
    parser.add_argument("--shops", type=int, default=1000,
                        help="shops with an overlay (0: skip the overlay figures)")
    parser.add_argument("--shop-terms", type=int, default=100,
                        help="deny terms and allow phrases per shop overlay")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    started = time.perf_counter()
    scorer = keyword_scorer()
    print(f"scorer load (lexicons + policy + jieba + tables): "
          f"{time.perf_counter() - started:.2f} s")
    messages = realistic_messages(args.messages)
    ours = bench_scorer(scorer, messages, args.repeats)
    if args.baseline:
        bench_against(args.baseline, messages, args.repeats)
        if args.full:
            bench_against(args.baseline, messages, args.repeats, full=True)
    if not args.no_peer:
        theirs = bench_peer(messages, args.messages * 4)
        if theirs:
            print(f"ratio: replyguard {ours:.2f} µs / houbb {theirs:.2f} µs = "
                  f"{ours / theirs:.1f}× the peer's time per message")
    flag_rates(scorer, not args.no_peer)
    if args.shops > 0:  # --shops 0: no overlay figures (they need shop0)
        bench_overlays(scorer, messages, args.repeats, args.shops, args.shop_terms)
    bench_build("shipped lexicons", scorer.lexicon, scorer)
    bench_build("synthetic", synthetic_lexicon(100_000), scorer)


if __name__ == "__main__":
    main()

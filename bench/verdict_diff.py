"""Every verdict of this tree beside those of another revision, for a change that must not change
any (a speed-up): the same large mixed corpus scored by both, and every difference listed.

    python bench/verdict_diff.py [--baseline REV] [--show 20] [--limit N]

The corpus: every evaluation text in bench/data, the real service replies (ECD, JDDC, STC-3)
and ECD's agent messages with the buyer's message before them, the tone, intent and invitation
training and held-out rows, the strings of the test suite, every lexicon term alone, in a
sentence and disguised (separators, full width, invisible characters, traditional script), and
every emoji the lexicon reads as a word, alone, in a sentence and between digits. Each text is
scored as an agent's message and as a buyer's, at two fixed times (one inside a promotion
period), with the full scorer: the shipped lexicons, policy, tone, intent and invitation models
of THIS tree, loaded by both revisions' code, so only the code differs. A verdict is compared
whole (`Verdict.to_dict()` less its timing): tier, rule, reason, categories, every match with
its span, view, trace and evasion flag, the normalised text, the model scores, the context act.

REV (default `main`) is checked out as a temporary git worktree with its own compiled kernel (this
tree's when the source is the same: bench/baseline.py `with_kernel`); each revision scores in a
process of its own.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# One time outside every promotion period of the shipped policy, one inside 618-2027.
TIMES = (datetime(2026, 12, 7, 3, 0, tzinfo=UTC), datetime(2027, 6, 10, 6, 0, tzinfo=UTC))


def corpus() -> list[dict[str, Any]]:
    """The cases: {"text", "role", "context", "now"}; each text once per role and time."""
    from bench.bench_scorer import realistic_messages
    from bench.datasets import evaluation_texts, service_dialogues
    from classifiers.emoji_words import EmojiWords
    from classifiers.lexicon import Lexicon
    from classifiers.resources import default_lexicon_dir
    from classifiers.scorer import EMOJI_WORD_CATEGORIES

    # Cycled to a count above the number of texts: each of them at least once.
    texts: list[str] = [*evaluation_texts(), *realistic_messages(200_000)]
    for folder in ("classifiers/tone/data", "classifiers/intent/data",
                   "classifiers/invitation/data"):
        for path in sorted((REPO / folder).glob("*.csv")):
            with path.open(encoding="utf-8", newline="") as handle:
                reader = csv.DictReader(handle)
                if reader.fieldnames and "text" in reader.fieldnames:
                    texts += [row["text"] for row in reader if row["text"]]
    texts += test_strings()
    lexicon = Lexicon.load(default_lexicon_dir())
    for term in lexicon.terms:
        texts += disguised(term.text)
    emoji = EmojiWords(t.text for t in lexicon.terms if t.category in EMOJI_WORD_CATEGORIES)
    for char in sorted(emoji.names):
        texts += [char, f"你个{char}", f"有问题来{char}找我", f"186{char}5530{char}2271",
                  f"{char}\ufe0f东西", f"好评返{char}{char}"]
    unique = list(dict.fromkeys(t for t in texts if t.strip() and len(t) <= 2000))
    cases = [{"text": t, "role": role, "context": None, "now": TIMES[n % 2].isoformat()}
             for n, t in enumerate(unique) for role in ("agent", "buyer")]
    dialogues = list(dict.fromkeys(
        (buyer, text) for buyer, text in service_dialogues("ecd_taobao") if buyer))
    cases += [{"text": text, "role": "agent", "context": buyer, "now": TIMES[n % 2].isoformat()}
              for n, (buyer, text) in enumerate(dialogues)]
    return cases


def disguised(term: str) -> list[str]:
    """`term` alone, in a sentence, and in the spellings the normaliser undoes."""
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in term)
    return [term, f"亲，{term}好吗", f"加我{term} 123456", "*".join(term), " ".join(term),
            "\u200b".join(term), wide, f"{term.upper()}！", f"【{'】【'.join(term)}】",
            f"你这{term}。。。", f"《{term}》"]


def test_strings() -> list[str]:
    """Every string constant of the test suite that holds a character outside ASCII (the
    examples the tests score)."""
    found = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and not node.value.isascii():
                found.append(node.value)
    return found


def dump(cases_file: Path, out: Path) -> None:
    """Run with the revision to measure first on PYTHONPATH: score every case, one JSON line
    each. Uses only Scorer.load and score(text, role, now=, context=)."""
    from classifiers.errors import InputError
    from classifiers.results import Role
    from classifiers.scorer import Scorer

    scorer = Scorer.load(REPO / "lexicons", REPO / "policies.yaml",
                         tone_model=REPO / "classifiers" / "tone" / "model",
                         intent_model=REPO / "classifiers" / "intent" / "model",
                         invitation_model=REPO / "classifiers" / "invitation" / "model")
    with cases_file.open(encoding="utf-8") as source, out.open("w", encoding="utf-8") as sink:
        for line in source:
            case = json.loads(line)
            try:
                verdict = scorer.score(case["text"], Role(case["role"]),
                                       now=datetime.fromisoformat(case["now"]),
                                       context=case["context"])
            except InputError as exc:
                sink.write(json.dumps({"error": str(exc)}, ensure_ascii=False) + "\n")
                continue
            result = verdict.to_dict()
            del result["timing_us"]
            sink.write(json.dumps(result, ensure_ascii=False, sort_keys=True) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", default="main", metavar="REV")
    parser.add_argument("--show", type=int, default=20, help="differences to print")
    parser.add_argument("--limit", type=int, help="score only this many cases, spread over "
                        "the corpus (a quick check)")
    parser.add_argument("--dump", nargs=2, metavar=("CASES", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dump:
        # The revision's own modules (PYTHONPATH), not this tree's.
        dump(Path(args.dump[0]), Path(args.dump[1]))
        return
    sys.path.insert(0, str(REPO))
    from bench.baseline import checkout, environment, with_kernel

    cases = corpus()
    if args.limit:
        cases = cases[::max(1, len(cases) // args.limit)][:args.limit]
    with tempfile.TemporaryDirectory() as scratch, checkout(args.baseline) as tree:
        with_kernel(tree)
        cases_file = Path(scratch) / "cases.jsonl"
        cases_file.write_text("".join(json.dumps(c) + "\n" for c in cases),
                              encoding="utf-8")
        results = {}
        for name, root in ((args.baseline, tree), ("current", REPO)):
            out = Path(scratch) / f"{'current' if root == REPO else 'baseline'}.jsonl"
            subprocess.run([sys.executable, __file__, "--dump", str(cases_file), str(out)],
                           env=environment(root), check=True, timeout=7200)
            results[name] = out.read_text(encoding="utf-8").splitlines()
    before, after = results[args.baseline], results["current"]
    differing = [n for n, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    texts = len({c["text"] for c in cases})
    print(f"{len(cases):,} verdicts ({texts:,} texts; agent and buyer, two times, "
          f"{sum(c['context'] is not None for c in cases):,} with the buyer's message): "
          f"{len(differing)} differ between {args.baseline} and this tree")
    for n in differing[:args.show]:
        print(json.dumps(cases[n], ensure_ascii=False))
        print(f"  {args.baseline}: {before[n]}\n  current: {after[n]}")
    if differing:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

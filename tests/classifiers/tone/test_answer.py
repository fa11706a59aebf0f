"""The answer model: a pair model of (buyer message, reply) for perfunctory replies, its plain-data
artefact pinned to scikit-learn, the pair files clean, and the policy's `unanswered` condition."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from bench.datasets import evaluation_contexts, evaluation_texts
from bench.tone_intake import near_pairs
from classifiers.context import Act, ContextSignal, DialogueActs
from classifiers.errors import PolicyError
from classifiers.lexicon import Lexicon
from classifiers.normalize import Normalizer
from classifiers.policy.decide import Policy
from classifiers.registry import DEFAULT_STEPS, NORMALIZE_STEPS
from classifiers.resources import default_lexicon_dir, default_tone_model
from classifiers.results import Role
from classifiers.scorer import Scorer
from classifiers.tone.answer import AnswerModel, AnswerModelError, pair_features
from classifiers.tone.answer_training import (
    export,
    featuriser,
    fit,
    pair_files,
    predict,
    read_pairs,
)
from classifiers.tone.classifier import ToneClassifier
from classifiers.tone.training import LabelledText, drop_leaks, fold

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "classifiers" / "tone" / "data"
PAIR_FILES = sorted(DATA.glob("answer_train_*.csv"))


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer([NORMALIZE_STEPS[name]() for name in DEFAULT_STEPS])


@pytest.fixture(scope="module")
def shipped() -> AnswerModel:
    model = ToneClassifier.from_directory(default_tone_model()).answer_
    assert model is not None, "the shipped tone model carries no answer.json"
    return model


def test_answer_model_agrees_with_scikit_learn(normalizer: Normalizer, tmp_path: Path) -> None:
    """The exported weights give scikit-learn's predict_proba, to 1e-9, on every pair of two
    writers (trained on the others)."""
    pairs = read_pairs(pair_files(DATA))
    featurise = featuriser(normalizer.fold, lambda t: normalizer(t).text, DialogueActs.act)
    train = [p for p in pairs if p.writer not in {"P1", "T5"}]
    test = [p for p in pairs if p.writer in {"P1", "T5"}]
    vectorizer, model = fit([featurise(p) for p in train], [p.unanswered for p in train])
    export(vectorizer, model, tmp_path, {})
    loaded = AnswerModel.from_file(tmp_path / "answer.json")
    expected = predict(vectorizer, model, [featurise(p) for p in test])
    ours = np.array([loaded.probability(normalizer.fold(p.context),
                                        DialogueActs.act(normalizer.fold(p.context)),
                                        normalizer(p.reply).text) for p in test])
    assert np.abs(ours - expected).max() < 1e-9
    caught = ours[[p.unanswered == 1 for p in test]]
    assert (caught >= 0.5).mean() > 0.6  # it learnt something a new writer shares


def test_answer_kernel_reads_what_pair_features_define(shipped: AnswerModel,
                                                       normalizer: Normalizer) -> None:
    """The compiled kernel (the reply's grams and the overlap, classifiers/tone/_kernel.pyx) and
    the Python path give the probability `pair_features` defines, with the shipped weights, on
    every training pair, each reply after other buyer messages too, and edge cases (no
    characters, only register words, astral characters, a reply longer than the kernel's stack
    buffers)."""
    assert shipped.kernel_ is not None, "kernel not built"
    python = AnswerModel(shipped.weights, shipped.intercept, shipped.meta, accelerated=False)
    assert python.kernel_ is None
    pairs = [(p.context, p.reply) for p in read_pairs(pair_files(DATA))]
    contexts = [c for c, _ in pairs]
    pairs += [(contexts[(n * 7 + 3) % len(contexts)], r) for n, (_, r) in enumerate(pairs)]
    long = "亲，这款是纯棉的，洗了不会缩水哦，" * 40
    pairs += [("能开发票吗", "。。。"), ("在吗", "亲亲哦～"), ("多少钱", "𠀾𠀾好的𠀾 🙂 🙂"),
              ("这件衣服洗了会不会缩水呀" * 30, long), (long, "不会缩水的亲"), ("好", "好")]
    worst = 0.0
    for context, reply in pairs:
        folded, text = normalizer.fold(context), normalizer(reply).text
        act = DialogueActs.act(folded)
        z = shipped.intercept + sum(shipped.weights.get(name, 0.0)
                                    for name in pair_features(folded, act, text))
        defined = 1.0 / (1.0 + np.exp(-z))
        for model in (shipped, python):
            worst = max(worst, abs(model.probability(folded, act, text) - defined))
    assert worst < 1e-12, worst


@pytest.mark.parametrize(("context", "reply", "unanswered"), [
    ("这条裤子洗了会不会缩水啊", "好的", True),
    ("快递显示签收了但是我没收到", "嗯嗯", True),
    ("今天下单明天能发吗", "看情况吧", True),
    ("M码腰围多少", "亲亲，欢迎光临，店铺上新满减进行中哦", True),
    ("M码腰围多少", "M码腰围72厘米", False),
    ("今天下单明天能发吗", "能，下午四点前拍下当天就发", False),
    ("谢谢你啊", "不客气", False),
    ("好的我等你消息", "好的", False),
])
def test_answer_model_reads_the_pair(shipped: AnswerModel, normalizer: Normalizer,
                                     context: str, reply: str, unanswered: bool) -> None:
    folded = normalizer.fold(context)
    p = shipped.probability(folded, DialogueActs.act(folded), normalizer(reply).text)
    assert (p >= 0.5) is unanswered, p


@pytest.mark.parametrize(("context", "reply"), [
    ("周五前能寄出吗", "行，没问题"),  # a yes to a yes/no question about a time gives the time
    ("周末能送到吗", "嗯嗯能的"),  # a filler before the yes
    ("这个有现货是吗", "您好，是的"),
])
def test_a_yes_after_a_greeting_or_filler_answers_a_polar_question(
        normalizer: Normalizer, context: str, reply: str) -> None:
    folded = normalizer.fold(context)
    act = DialogueActs.act(folded)
    assert act is Act.POLAR
    features = pair_features(folded, act, normalizer(reply).text)
    assert "polar+answered" in features
    assert not any(name.startswith("asks-time-") and name.endswith("missing")
                   for name in features)


def test_scorer_gives_unanswered_in_the_verdict(scorer: Scorer) -> None:
    asked = scorer.score("亲亲，欢迎光临小店～", Role.AGENT, context="这个能开发票吗？")
    assert asked.context is not None and (asked.context.unanswered or 0) >= 0.5
    assert asked.to_dict()["context"]["unanswered"] >= 0.5
    thanked = scorer.score("不客气哦", Role.AGENT, context="好的谢谢你")
    assert thanked.context is not None and (thanked.context.unanswered or 1) < 0.5
    assert scorer.score("好的", Role.AGENT).context is None


POLICY = """\
version: 1
rules:
  - id: unanswered
    when: {roles: [agent, bot], context: {unanswered: 0.7}}
    tier: notice
  - id: unanswered-sure
    when: {roles: [agent, bot], context: {unanswered: 0.95, needs_answer: true}}
    tier: suggest-edit
"""


def _signal(act: Act, p: float) -> ContextSignal:
    signal = ContextSignal.known("…", act)
    signal.answered_by(lambda _: p)
    return signal


@pytest.mark.parametrize(("act", "p", "rule"), [
    (Act.QUESTION, 0.97, "unanswered-sure"),
    (Act.THANKS, 0.97, "unanswered"),
    (Act.QUESTION, 0.8, "unanswered"),
    (Act.QUESTION, 0.5, None),
])
def test_policy_unanswered_condition(act: Act, p: float, rule: str | None) -> None:
    policy = Policy.parse(POLICY)
    assert policy.uses_answer
    assert policy.decide(Role.AGENT, [], context=_signal(act, p)).rule == rule
    assert policy.decide(Role.AGENT, [], context=None).rule is None
    # without an answer model the condition cannot hold
    assert policy.decide(Role.AGENT, [], context=ContextSignal.known("…", act)).rule is None


CHEAPER_FIRST = """\
version: 1
rules:
  - id: asked-first
    when: {roles: [agent], min_length: 1, context: {acts: [polar]}}
    tier: notice
  - id: unanswered
    when: {roles: [agent], context: {unanswered: 0.7}}
    tier: notice
  - id: asked
    when: {roles: [agent], min_length: 1, context: {acts: [question]}}
    tier: suggest-edit
"""


@pytest.mark.parametrize(("act", "rule", "asked"), [
    (Act.QUESTION, "asked", 0),       # a higher tier already holds
    (Act.POLAR, "asked-first", 0),    # the same tier, earlier in the file
    (Act.THANKS, "unanswered", 1),    # nothing else holds: the model is asked, once
])
def test_answer_model_asked_only_when_its_rule_could_decide(act: Act, rule: str,
                                                            asked: int) -> None:
    calls: list[ContextSignal] = []

    def answer(read: ContextSignal) -> float:
        calls.append(read)
        return 0.9

    signal = ContextSignal.known("…", act)
    signal.answered_by(answer)
    decision = Policy.parse(CHEAPER_FIRST).decide(Role.AGENT, [], text="好的", context=signal)
    assert decision.rule == rule
    assert len(calls) == asked


def test_policy_unanswered_needs_an_answer_model(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(POLICY, encoding="utf-8")
    with pytest.raises(PolicyError, match="answer model"):
        Scorer(Lexicon.load(default_lexicon_dir()), Policy.load(policy_file))
    with pytest.raises(PolicyError, match="unanswered"):
        Policy.parse("version: 1\nrules:\n  - {id: a, when: {context: {unanswered: 1.5}}, "
                     "tier: notice}\n")


def test_damaged_answer_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "answer.json"
    path.write_text(json.dumps({"format": "replyguard-answer", "format_version": 99}))
    with pytest.raises(AnswerModelError, match="retrain"):
        AnswerModel.from_file(path)
    path.write_text("{not json")
    with pytest.raises(AnswerModelError, match="not JSON"):
        AnswerModel.from_file(path)


def test_pair_files_are_clean() -> None:
    """Known labels, every pair once, no buyer message near an evaluation row, no reply longer
    than a shared acknowledgement near one (bench/tone_intake.py --kind answer)."""
    assert len(PAIR_FILES) >= 2
    evaluation = [LabelledText(t, "polite") for t in [*evaluation_texts(),
                                                      *evaluation_contexts()]]
    for path in PAIR_FILES:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert {r["label"] for r in rows} <= {"perfunctory", "polite"}
        keys = [(fold(r["context"]), fold(r["text"])) for r in rows]
        assert len(set(keys)) == len(keys), f"{path.name}: a pair repeats"
        contexts = [LabelledText(r["context"], "polite") for r in rows]
        assert drop_leaks(contexts, evaluation)[1] == 0, path.name
        long_replies = [LabelledText(r["text"], "polite") for r in rows
                        if len(fold(r["text"])) > 6]
        assert drop_leaks(long_replies, evaluation)[1] == 0, path.name


def test_pair_intake_judges_pairs() -> None:
    """A pair is dropped when its buyer message is near an evaluation row, or its reply is and
    is longer than a shared acknowledgement; a lone 好的 shared with an evaluation row stays."""
    evaluation = [LabelledText(t, "-") for t in ("好的", "这件衣服洗了会不会缩水呀",
                                                  "亲，这款是纯棉的，洗了不会缩水哦")]
    rows = [{"context": "这件衣服洗了会不会缩水", "text": "嗯"},
            {"context": "能开发票吗", "text": "好的"},
            {"context": "是纯棉的吗", "text": "亲，这款是纯棉的，洗了不会缩水的哦"},
            {"context": "是纯棉的吗", "text": "是的，纯棉，不缩水"}]
    assert near_pairs(rows, evaluation) == [True, False, True, False]

"""The off-platform invitation model: its exported artefact reproduces scikit-learn (a binary
fit on the tone model's machinery), the shipped artefact loads with its thresholds, training
never comes near the evaluation rows, and the scorer turns a probability into an `intent` hit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from classifiers.invitation.model import POSITIVE, InvitationModel
from classifiers.invitation.training import (
    BENCH_SIMILARITY,
    InvitationSettings,
    bench_rows,
    default_data,
    fit,
    read_rows,
)
from classifiers.normalize import Normalizer
from classifiers.resources import (
    default_invitation_model,
    default_lexicon_dir,
    default_tone_model,
    default_training_data,
)
from classifiers.results import Role
from classifiers.scorer import MIN_INVITATION_WORDING, Scorer
from classifiers.segmentation import WordSegmenter
from classifiers.tone.classifier import PairedModels, ToneClassifier, ToneModelError
from classifiers.tone.training import drop_leaks, export, fold, read_labelled

BENCH = Path(__file__).resolve().parents[3] / "bench" / "data"
POLICY = """version: 1
rules:
  - id: intent-block
    when: {roles: [agent], categories: [off_platform], views: [invitation], min_severity: 2}
    tier: block
  - id: intent-notice
    when: {roles: [agent], categories: [off_platform], views: [invitation], max_severity: 1}
    tier: notice
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, normalizer: Normalizer
             ) -> tuple[Pipeline, Path]:
    """A small binary fit on the hand-written invitation rows, exported as the shipped one is."""
    settings = InvitationSettings()
    rows = read_rows(default_data(), settings.invitation_weight)
    pipeline = fit(rows, lambda t: normalizer(t).text, WordSegmenter().words, settings)
    directory = tmp_path_factory.mktemp("invitation")
    export(pipeline, directory, {"thresholds": {"notice": 0.5, "block": 0.9}})
    return pipeline, directory


def test_invitation_model_reproduces_sklearn(exported: tuple[Pipeline, Path],
                                             normalizer: Normalizer) -> None:
    pipeline, directory = exported
    model = InvitationModel.from_directory(directory)
    texts = [normalizer(t).text for t in (
        "加我微信发你实拍", "亲，请在平台上下单哦", "把你的手机号留一下", "好的", "😀 亲 在的",
        "这款手表支持微信消息提醒", "a1b2c3", "去那个批发软件搜我们店名")]
    column = list(pipeline.classes_).index(POSITIVE)
    expected = pipeline.predict_proba(texts)[:, column]
    ours = np.array([model.probability(t) for t in texts])
    assert float(np.abs(expected - ours).max()) < 1e-6
    assert model.severity(0.95) == 2 and model.severity(0.6) == 1 and model.severity(0.1) == 0


def test_shipped_invitation_model_loads_with_thresholds() -> None:
    model = InvitationModel.from_directory(default_invitation_model())
    assert 0 < model.notice < model.block < 1
    assert model.probability("亲，加我微信，发你实拍视频，那边下单便宜") > \
        model.probability("亲，请在平台上下单，我们不接受私下转账")


def test_invitation_model_refuses_an_artefact_without_thresholds(
        exported: tuple[Pipeline, Path], tmp_path: Path) -> None:
    _, directory = exported
    copy = shutil.copytree(directory, tmp_path / "copy")
    meta = json.loads((copy / "model.json").read_text(encoding="utf-8"))
    del meta["thresholds"]
    (copy / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ToneModelError, match="thresholds"):
        InvitationModel.from_directory(copy)


def test_training_rows_are_not_close_to_evaluation_rows() -> None:
    rows = read_rows(default_data(), 1.0)
    kept, dropped = drop_leaks(rows, bench_rows(BENCH), BENCH_SIMILARITY)
    assert len(kept) + dropped == len(rows)
    evaluation = {fold(r.text) for r in bench_rows(BENCH)}
    assert not any(fold(r.text) in evaluation for r in kept)


def test_scorer_adds_an_intent_hit_from_the_model(exported: tuple[Pipeline, Path],
                                                  tmp_path: Path) -> None:
    _, directory = exported
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    scorer = Scorer.load(default_lexicon_dir(), policy, invitation_model=directory)
    model = scorer.invitation
    assert model is not None
    text = "亲，换个软件聊吧，把你的手机号留给我，我让同事联系你"
    verdict = scorer.score(text, Role.AGENT)
    probability = model.probability(verdict.normalized)
    intent = [m for m in verdict.matches if m.view == "invitation"]
    assert model.severity(probability) >= 1, probability
    assert len(intent) == 1 and intent[0].severity == model.severity(probability)
    assert intent[0].text == text and "p = " in intent[0].trace[0]
    assert str(verdict.tier) == ("block" if intent[0].severity == 2 else "notice")
    plain = Scorer.load(default_lexicon_dir(), policy)
    assert plain.score(text, Role.AGENT).matches == () and plain.version != scorer.version


def test_invitation_model_leaves_messages_too_short_to_read(exported: tuple[Pipeline, Path],
                                                            tmp_path: Path) -> None:
    """A message with fewer than MIN_INVITATION_WORDING letters and numbers gets no model hit,
    however high its probability: a few n-grams without context (直接拒收, 号码 in real
    replies) are no wording to judge."""
    _, directory = exported
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    scorer = Scorer.load(default_lexicon_dir(), policy, invitation_model=directory)
    assert scorer.invitation is not None
    short = "私下联系我"
    assert len(short) < MIN_INVITATION_WORDING
    assert scorer.invitation.probability(short) >= scorer.invitation.notice
    assert not [m for m in scorer.score(short, Role.AGENT).matches if m.view == "invitation"]
    longer = "亲，换个软件聊吧，把你的手机号留给我，我让同事联系你"
    assert [m for m in scorer.score(longer, Role.AGENT).matches if m.view == "invitation"]


@pytest.mark.parametrize("accelerated", [True, False])
def test_tone_and_invitation_in_one_pass_give_each_models_numbers(
        accelerated: bool, normalizer: Normalizer) -> None:
    """The scorer's shared kernel pass (PairedModels: the shipped tone and invitation models
    over the union of their keys) gives exactly what each model gives alone, on the invitation
    and tone rows, the test suite's edge cases and texts longer than the kernel's stack buffer;
    without the kernel, the pair is the two models."""
    tone = ToneClassifier.from_directory(default_tone_model(), accelerated=accelerated)
    invitation = ToneClassifier.from_directory(default_invitation_model(),
                                               accelerated=accelerated)
    paired = PairedModels(tone, invitation, POSITIVE)
    assert (paired.kernel_ is not None) == accelerated, "kernel not built"
    rows = read_rows(default_data(), 1.0)
    texts = [normalizer(r.text).text for r in rows]
    texts += [normalizer(r.text).text for path in default_training_data()
              for r in read_labelled(path)][::5]
    texts += ["", "好", "😀😀 😀好的 亲", "𠀀𠀁𠀂加微信", "加我微信" * 300, "哈" * 5_000]
    for text in texts:
        scores, probability = paired.predict(text)
        assert scores == tone.predict(text), text
        assert probability == invitation.probability(text, POSITIVE), text

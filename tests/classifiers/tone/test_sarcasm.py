"""The sarcasm second stage: its plain-data file pinned to scikit-learn, refused when damaged,
run by the scorer only for replies the tone model leaves uncertain, and read by the policy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from classifiers.errors import PolicyError
from classifiers.normalize import Normalizer
from classifiers.policy.decide import Policy
from classifiers.registry import DEFAULT_STEPS, NORMALIZE_STEPS
from classifiers.resources import default_lexicon_dir, default_tone_model
from classifiers.results import Role
from classifiers.scorer import Scorer
from classifiers.tiers import Tier
from classifiers.tone.classifier import ToneClassifier, read_labels
from classifiers.tone.features import tone_view
from classifiers.tone.sarcasm import FILE_NAME, LABEL, SarcasmModelError, SarcasmStage
from classifiers.tone.sarcasm_training import (
    WriterRow,
    export_stage,
    fit_stage,
    fit_stage_model,
    read_contexts,
    stage_rows,
)
from classifiers.tone.training import read_labelled

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "classifiers" / "tone" / "data"


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer([NORMALIZE_STEPS[name]() for name in DEFAULT_STEPS])


@pytest.fixture(scope="module")
def tone() -> ToneClassifier:
    return ToneClassifier.from_directory(default_tone_model())


def _writer_rows(names: list[str], tone: ToneClassifier, normalizer: Normalizer
                 ) -> list[WriterRow]:
    rows = []
    for name in names:
        path = DATA / f"tone_train_{name}.csv"
        contexts = read_contexts(path)
        for r in read_labelled(path):
            scores = tone.predict(tone_view(normalizer(r.text).text)).scores
            rows.append(WriterRow(contexts.get(int(r.source.rpartition(":")[2])), r.text,
                                  r.label, name, scores))
    return rows


def test_stage_agrees_with_scikit_learn(tone: ToneClassifier, normalizer: Normalizer,
                                        tmp_path: Path) -> None:
    """The exported weights give scikit-learn's predict_proba, to 1e-9, on two writers'
    replies (fitted on three others)."""
    def normalize(text: str) -> str:
        return tone_view(normalizer(text).text)

    train = stage_rows(_writer_rows(["T14", "T15", "T5"], tone, normalizer), normalize,
                       normalizer.fold)
    test = stage_rows(_writer_rows(["T1", "T17" if (DATA / "tone_train_T17.csv").exists()
                                    else "T11"], tone, normalizer), normalize, normalizer.fold)
    vectorizer, model = fit_stage_model(train)
    weights, intercept = fit_stage(train)
    export_stage(tmp_path / FILE_NAME, weights, intercept, (0.05, 0.9), {})
    stage = SarcasmStage.from_file(tmp_path / FILE_NAME)
    expected = model.predict_proba(vectorizer.transform([r.features for r in test]))[:, 1]
    ours = np.array([stage.probability_of(r.features) for r in test])
    assert np.abs(ours - expected).max() < 1e-9
    assert stage.uncertain({"sarcastic": 0.05}) and not stage.uncertain({"sarcastic": 0.9})
    assert not stage.uncertain({"sarcastic": 0.01})


def test_damaged_stage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    path.write_text(json.dumps({"format": "replyguard-sarcasm", "format_version": 99}))
    with pytest.raises(SarcasmModelError, match="retrain"):
        SarcasmStage.from_file(path)
    path.write_text("{not json")
    with pytest.raises(SarcasmModelError, match="not JSON"):
        SarcasmStage.from_file(path)
    path.write_text(json.dumps({"format": "replyguard-sarcasm", "format_version": 1,
                                "gate": [0.1, 0.9], "intercept": 0.0,
                                "weights": {"made_up": 1.0}}))
    with pytest.raises(SarcasmModelError, match="made_up"):
        SarcasmStage.from_file(path)
    path.write_text(json.dumps({"format": "replyguard-sarcasm", "format_version": 1,
                                "gate": [0.9, 0.1], "intercept": 0.0, "weights": {}}))
    with pytest.raises(SarcasmModelError, match="malformed"):
        SarcasmStage.from_file(path)


def test_shipped_model_carries_the_stage() -> None:
    model = ToneClassifier.from_directory(default_tone_model())
    assert model.sarcasm_ is not None, "the shipped tone model carries no sarcasm.json"
    assert LABEL in model.policy_labels_ and LABEL in read_labels(default_tone_model())
    assert LABEL not in model.labels_


POLICY = f"""\
version: 1
rules:
  - id: shape
    when: {{roles: [agent, bot], tone: {{{LABEL}: 0.5}}}}
    tier: notice
"""


def _stage_scorer(directory: Path, gate: tuple[float, float], reuse: Scorer | None = None
                  ) -> Scorer:
    """The shipped tone model with a stage of gate `gate` that calls every praise of the
    buyer in answer to a complaint sarcastic."""
    for path in default_tone_model().iterdir():
        if path.is_file() and path.name != FILE_NAME:
            shutil.copy(path, directory / path.name)
    export_stage(directory / FILE_NAME, {"praise_for_complaint": 8.0}, -4.0, gate, {})
    policy = directory / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    return Scorer.load(default_lexicon_dir(), policy, tone_model=directory, reuse=reuse)


@pytest.fixture(scope="module")
def stage_scorer(tmp_path_factory: pytest.TempPathFactory) -> Scorer:
    return _stage_scorer(tmp_path_factory.mktemp("model"), (0.0, 0.9))


def test_scorer_runs_the_stage_on_uncertain_replies(stage_scorer: Scorer) -> None:
    reply = "您真细心"
    complained = stage_scorer.score(reply, Role.AGENT, context="才用两天就坏了，什么破质量")
    assert complained.tone is not None and complained.tone.scores[LABEL] > 0.9
    assert complained.tier is Tier.NOTICE and complained.rule == "shape"
    assert complained.to_dict()["tone"]["scores"][LABEL] > 0.9
    thanked = stage_scorer.score(reply, Role.AGENT, context="收到了，很喜欢，谢谢")
    assert thanked.tone is not None and thanked.tone.scores[LABEL] < 0.1
    assert thanked.tier is Tier.NONE
    # a buyer's message is never a reply, and a reply to an unknown message is not a pair:
    # the stage reads neither
    buyer = stage_scorer.score(reply, Role.BUYER, context="你们这服务太差了")
    assert buyer.tone is not None and LABEL not in buyer.tone.scores
    alone = stage_scorer.score(reply, Role.AGENT)
    assert alone.tone is not None and LABEL not in alone.tone.scores


def test_stage_is_not_run_outside_its_gate(stage_scorer: Scorer, tmp_path: Path) -> None:
    scorer = _stage_scorer(tmp_path, (0.999, 1.0), stage_scorer)
    verdict = scorer.score("您真细心", Role.AGENT, context="怎么又坏了")
    assert verdict.tone is not None and LABEL not in verdict.tone.scores
    assert verdict.tier is Tier.NONE


def test_policy_names_the_stage_only_with_one(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    directory = tmp_path / "model"
    directory.mkdir()
    for path in default_tone_model().iterdir():
        if path.is_file() and path.name != FILE_NAME:
            shutil.copy(path, directory / path.name)
    with pytest.raises(PolicyError, match=LABEL):
        Scorer.load(default_lexicon_dir(), policy, tone_model=directory)
    assert Policy.load(policy).tone_labels == {LABEL}


def test_stage_runs_only_for_a_policy_that_reads_it(stage_scorer: Scorer, tmp_path: Path
                                                    ) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.replace(LABEL, "sarcastic"), encoding="utf-8")
    tone = stage_scorer.tone
    assert tone is not None
    scorer = Scorer.load(default_lexicon_dir(), policy, tone_model=tone.directory,
                         reuse=stage_scorer)
    verdict = scorer.score("您真细心", Role.AGENT, context="才用两天就坏了，什么破质量")
    assert verdict.tone is not None and LABEL not in verdict.tone.scores

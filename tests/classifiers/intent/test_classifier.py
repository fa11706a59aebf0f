"""The buyer intent model: its fast path reproduces scikit-learn on the compiled kernel and the
Python path, the shipped model is plain data that routes what it should, artefacts of another
kind are refused, and the training data stays clear of the evaluation sets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.datasets import evaluation_texts
from classifiers.intent.classifier import IntentClassifier, IntentModelError
from classifiers.intent.training import (
    LABELS,
    IntentFit,
    drop_duplicates,
    export_intent,
    fit_intent,
    read_intent,
)
from classifiers.intent.training_settings import INTENT_SETTINGS
from classifiers.normalize import Normalizer
from classifiers.resources import (
    default_intent_heldout_data,
    default_intent_model,
    default_intent_training_data,
    default_tone_model,
)
from classifiers.segmentation import WordSegmenter
from classifiers.tone.classifier import ToneClassifier, ToneModelError
from classifiers.tone.training import LabelledText, TrainingDataError, drop_leaks


@pytest.fixture(scope="module")
def heldout() -> list[LabelledText]:
    return read_intent(default_intent_heldout_data())


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, normalizer: Normalizer
             ) -> tuple[IntentFit, Path]:
    """A pipeline fitted on the shipped training rows, and the directory it was exported to."""
    rows, _ = drop_duplicates(r for path in default_intent_training_data()
                              for r in read_intent(path))
    fit = fit_intent(rows, lambda t: normalizer(t).text, WordSegmenter().words,
                     INTENT_SETTINGS, ["转人工", "人工", "投诉"])
    directory = tmp_path_factory.mktemp("intent")
    export_intent(fit, directory, {})
    return fit, directory


@pytest.fixture(scope="module", params=["kernel", "python"])
def fitted(request: pytest.FixtureRequest, exported: tuple[IntentFit, Path]
           ) -> tuple[IntentFit, IntentClassifier]:
    fit, directory = exported
    model = IntentClassifier.from_directory(directory, accelerated=request.param == "kernel")
    assert (model.kernel_ is not None) == (request.param == "kernel"), "kernel not built"
    return fit, model


def agreement(fitted: tuple[IntentFit, IntentClassifier], texts: list[str]) -> float:
    """The model's scores against the pipeline's on the same texts read through the pinyin
    reading the model ships with."""
    fit, model = fitted
    pipeline = fit.pipeline
    expected = pipeline.predict_proba([fit.reading.read(t) for t in texts])
    ours = np.array([[model.predict(t).scores[label] for label in pipeline.classes_]
                     for t in texts])
    return float(np.abs(expected - ours).max())


def test_intent_fast_path_matches_sklearn_pipeline_on_heldout(
        fitted: tuple[IntentFit, IntentClassifier], normalizer: Normalizer,
        heldout: list[LabelledText]) -> None:
    assert agreement(fitted, [normalizer(r.text).text for r in heldout]) < 1e-6


def test_intent_fast_path_matches_sklearn_pipeline_on_edge_cases(
        fitted: tuple[IntentFit, IntentClassifier], normalizer: Normalizer) -> None:
    texts = ["", "人", "人工" * 40, "转人工！！！" * 30, "  不用   转人工了 ", "🙏🙏人工🙏",
             "𠀀人工𠀁", "rengong", "zrg", "woyaotousu", "a-b'c", "x" * 500, "差" * 20_000]
    assert agreement(fitted, [normalizer(t).text if t.strip() else t for t in texts]) < 1e-6


PIECES = ["人工", "转", "不用", "了", "差评", "投诉", "撤", "！", "？", " ", "在吗", "客服",
          "12315", "气死", "谢谢", "😀", "a", "的", "rengong", "rg", "zhuan", "ma", "-", "ok"]


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_intent_fast_path_matches_sklearn_pipeline_on_any_mix(
        fitted: tuple[IntentFit, IntentClassifier], pieces: list[str]) -> None:
    assert agreement(fitted, ["".join(pieces)]) < 1e-6


def test_intent_shipped_model_is_small_plain_data_on_the_kernel() -> None:
    files = {p.name: p.stat().st_size for p in default_intent_model().iterdir()}
    assert set(files) == {"model.json", "vocabulary.json", "weights.npz", "reading.json"}
    assert sum(files.values()) <= 2 * 2**20
    meta = json.loads((default_intent_model() / "model.json").read_text(encoding="utf-8"))
    assert meta["format"] == "replyguard-intent"
    assert meta["labels"] == sorted(LABELS)
    assert len(meta["training"]["data_sha256"]) == 64
    assert IntentClassifier.from_directory(default_intent_model()).kernel_ is not None


@pytest.mark.parametrize(("text", "label"), [
    ("转人工", "wants_human"),
    ("我要投诉你们", "complaint"),
    ("不用转人工了，已经解决了", "ordinary"),
    ("请问什么时候发货", "ordinary"),
])
def test_intent_shipped_model_on_plain_examples(normalizer: Normalizer, text: str,
                                                label: str) -> None:
    scores = IntentClassifier.from_directory(default_intent_model()).predict(
        normalizer(text).text)
    assert scores.label == label, scores.scores
    assert abs(sum(scores.scores.values()) - 1.0) < 1e-9


def test_intent_and_tone_artefacts_are_not_interchangeable() -> None:
    with pytest.raises(IntentModelError, match="not a ReplyGuard intent model"):
        IntentClassifier.from_directory(default_tone_model())
    with pytest.raises(ToneModelError, match="not a ReplyGuard tone model"):
        ToneClassifier.from_directory(default_intent_model())


def test_intent_damaged_or_missing_artefact_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IntentModelError, match="intent model file not found"):
        IntentClassifier.from_directory(tmp_path / "nowhere")
    directory = tmp_path / "model"
    shutil.copytree(default_intent_model(), directory)
    (directory / "weights.npz").write_bytes(b"garbage")
    with pytest.raises(IntentModelError, match="cannot read weights"):
        IntentClassifier.from_directory(directory)


def test_intent_training_file_with_a_bad_label_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "intent_train_X.csv"
    path.write_text("context,text,intent,situation\n,转人工,wants_human,\n,在吗,chat,\n",
                    encoding="utf-8")
    with pytest.raises(TrainingDataError, match="intent_train_X.csv:3: unknown intent 'chat'"):
        read_intent(path)


def bench_texts() -> list[LabelledText]:
    return [LabelledText(text, "-") for text in evaluation_texts()]


def test_intent_training_rows_are_not_evaluation_rows() -> None:
    """No training or held-out row equals or nearly equals (character-bigram Jaccard ≥ 0.6) a
    row of the evaluation sets in bench/data; the held-out split shares no row with training."""
    rows = [r for path in default_intent_training_data() for r in read_intent(path)]
    held = read_intent(default_intent_heldout_data())
    evaluation = bench_texts()
    assert drop_leaks(rows + held, evaluation)[1] == 0
    assert drop_leaks(rows, held)[1] <= len(rows) // 20  # dropped at training, recorded

"""The tone model: the fast path reproduces scikit-learn, the shipped model meets its targets,
and artefacts of another format are refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.pipeline import Pipeline

from classifiers.normalize import Normalizer
from classifiers.resources import default_heldout_data, default_tone_model, default_training_data
from classifiers.scorer import Scorer
from classifiers.segmentation import WordSegmenter
from classifiers.tiers import Tier
from classifiers.tone.classifier import ToneClassifier, ToneModelError
from classifiers.tone.features import tone_view
from classifiers.tone.training import (
    LABELS,
    NEUTRAL,
    drop_leaks,
    evaluate,
    export,
    fit,
    read_labelled,
)
from classifiers.tone.training_settings import TrainingSettings


@pytest.fixture(scope="module")
def heldout() -> list:  # type: ignore[type-arg]
    return read_labelled(default_heldout_data())


@pytest.fixture(scope="module")
def shipped() -> ToneClassifier:
    return ToneClassifier.from_directory(default_tone_model())


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, normalizer: Normalizer,
             heldout: list) -> tuple[Pipeline, Path]:  # type: ignore[type-arg]
    """A pipeline fitted on the shipped training rows, and the directory it was exported to."""
    rows = [r for path in default_training_data() for r in read_labelled(path)]
    rows, _ = drop_leaks(rows, heldout)
    pipeline = fit(rows, lambda t: normalizer(t).text, WordSegmenter().words,
                   TrainingSettings(max_char_features=20_000))
    directory = tmp_path_factory.mktemp("tone")
    export(pipeline, directory, {})
    return pipeline, directory


@pytest.fixture(scope="module", params=["kernel", "python"])
def fitted(request: pytest.FixtureRequest, exported: tuple[Pipeline, Path]
           ) -> tuple[Pipeline, ToneClassifier]:
    """The exported model on each inference path: the compiled kernel and the Python path."""
    pipeline, directory = exported
    model = ToneClassifier.from_directory(directory, accelerated=request.param == "kernel")
    assert (model.kernel_ is not None) == (request.param == "kernel"), "kernel not built"
    return pipeline, model


def agreement(fitted: tuple[Pipeline, ToneClassifier], texts: list[str]) -> float:
    pipeline, model = fitted
    expected = pipeline.predict_proba(texts)
    ours = np.array([[model.predict(t).scores[label] for label in pipeline.classes_]
                     for t in texts])
    return float(np.abs(expected - ours).max())


def test_tone_fast_path_matches_sklearn_pipeline_on_heldout(
        fitted: tuple[Pipeline, ToneClassifier], normalizer: Normalizer, heldout: list) -> None:  # type: ignore[type-arg]
    assert agreement(fitted, [normalizer(r.text).text for r in heldout]) < 1e-6


def test_tone_fast_path_matches_sklearn_pipeline_on_edge_cases(
        fitted: tuple[Pipeline, ToneClassifier], normalizer: Normalizer) -> None:
    """Repeats past the counting shortcut and the tf table, whitespace runs, characters outside
    the BMP, long vocabulary words, text with no known feature."""
    _, model = fitted
    words = sorted(json.loads((model.directory / "vocabulary.json").read_text(
        encoding="utf-8"))["word"], key=len)
    texts = ["", "好", "😀😀 😀好的 亲", "  亲   在的  ", "\t亲\n在", "ⅩⅨ" * 3, "好" * 70,
             "好的" * 40 + "亲", "哈" * 25_000, " ".join(words[-5:]), "".join(words[-20:]),
             "您好" + "！" * 65, "𠀀𠀁𠀂"]
    assert agreement(fitted, [normalizer(t).text if t.strip() else t for t in texts]) < 1e-6


def test_one_label_probability_is_the_predicted_one(
        fitted: tuple[Pipeline, ToneClassifier], normalizer: Normalizer, heldout: list) -> None:  # type: ignore[type-arg]
    """`probability(text, label)` (the invitation model's call; on the kernel, a path of its
    own) is exactly `predict(text).scores[label]`, for every label, and refuses no label."""
    _, model = fitted
    texts = [normalizer(r.text).text for r in heldout] + ["", "好" * 70, "哈" * 25_000, "𠀀𠀁"]
    for text in texts:
        scores = model.predict(text).scores
        assert [model.probability(text, label) for label in model.labels_] == \
            [scores[label] for label in model.labels_], text
    with pytest.raises(ValueError):
        model.probability("好的", "no-such-label")


PIECES = ["亲", "您好", "不", "退款", "呵呵", "好的", "！", "？", " ", "垃圾", "随便", "自己看",
          "😀",
          "a", "1", "发货", "滚", "的", "。"]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES), max_size=60))
def test_tone_fast_path_matches_sklearn_pipeline_on_any_mix(
        fitted: tuple[Pipeline, ToneClassifier], pieces: list[str]) -> None:
    assert agreement(fitted, ["".join(pieces)]) < 1e-6


def test_tone_shipped_model_meets_heldout_target(shipped: ToneClassifier,
                                                 normalizer: Normalizer, heldout: list) -> None:  # type: ignore[type-arg]
    probabilities = [shipped.predict(normalizer(r.text).text).scores for r in heldout]
    metrics = evaluate([r.label for r in heldout], probabilities, shipped.labels_)
    assert metrics["macro_f1"] >= 0.85, metrics["per_class"]


def test_tone_shipped_model_is_small_plain_data() -> None:
    files = {p.name: p.stat().st_size for p in default_tone_model().iterdir()}
    # answer.json: the answer model (pairs, classifiers/tone/answer.py), and sarcasm.json: the
    # sarcasm second stage (classifiers/tone/sarcasm.py), both trained with it; cues.json: what
    # the model reads besides the characters (classifiers/tone/cues.py)
    assert set(files) == {"model.json", "vocabulary.json", "weights.npz", "answer.json",
                          "sarcasm.json", "cues.json"}
    assert sum(files.values()) <= 10 * 2**20
    meta = json.loads((default_tone_model() / "model.json").read_text(encoding="utf-8"))
    assert meta["labels"] == sorted([*LABELS, NEUTRAL])
    assert len(meta["training"]["data_sha256"]) == 64
    assert meta["metrics"]["heldout"]["macro_f1"] >= 0.85


@pytest.mark.parametrize(("text", "label"), [
    ("亲，您好，这款有现货的哦，今天下单今天发", "polite"),
    ("您高兴就好", "sarcastic"),
    ("是是是，您说的都对", "sarcastic"),
    ("你是第一天网购吗", "sarcastic"),
    ("自己看详情页", "cold"),
    ("嗯", "perfunctory"),
    ("你脑子有病吧", "abusive"),
])
def test_tone_shipped_model_on_plain_examples(shipped: ToneClassifier, normalizer: Normalizer,
                                              text: str, label: str) -> None:
    scores = shipped.predict(normalizer(text).text)
    assert scores.label == label, scores.scores
    assert abs(sum(scores.scores.values()) - 1.0) < 1e-9


def copy_model(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(default_tone_model(), target)
    return target


def test_tone_refuses_other_format_version(tmp_path: Path) -> None:
    directory = copy_model(tmp_path)
    meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
    meta["format_version"] = 99
    (directory / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ToneModelError, match="format version 99 is not supported"):
        ToneClassifier.from_directory(directory)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("model.json", b"{not json", "cannot read tone model file"),
    ("weights.npz", b"garbage", "cannot read weights"),
    ("vocabulary.json", b'{"char": [], "word": []}', "do not match"),
])
def test_tone_refuses_damaged_artefacts(tmp_path: Path, name: str, content: bytes,
                                        message: str) -> None:
    directory = copy_model(tmp_path)
    (directory / name).write_bytes(content)
    with pytest.raises(ToneModelError, match=message):
        ToneClassifier.from_directory(directory)


def test_tone_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ToneModelError, match="not found"):
        ToneClassifier.from_directory(tmp_path / "nowhere")


def test_tone_kernel_is_built() -> None:
    """The install compiles the kernel (hatch_build.py): the gateway must not quietly run the
    ten-times-slower Python path."""
    assert ToneClassifier.from_directory(default_tone_model()).kernel_ is not None


def test_tone_kernel_refuses_keys_it_cannot_pack(tmp_path: Path) -> None:
    directory = copy_model(tmp_path)
    vocabulary = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
    vocabulary["word"][0] = "中华人民共和国万岁"
    (directory / "vocabulary.json").write_text(json.dumps(vocabulary, ensure_ascii=False),
                                               encoding="utf-8")
    with pytest.raises(ToneModelError, match="longer than 6"):
        ToneClassifier.from_directory(directory)
    assert ToneClassifier.from_directory(directory, accelerated=False).predict("好").label


def test_tone_long_repetitive_text_is_scored(shipped: ToneClassifier) -> None:
    scores = shipped.predict("好" * 30_000)  # more repeats of one n-gram than the tf table holds
    assert abs(sum(scores.scores.values()) - 1.0) < 1e-9


def test_tone_version_changes_with_the_weights(tmp_path: Path) -> None:
    directory = copy_model(tmp_path)
    before = ToneClassifier.from_directory(directory).version
    with np.load(directory / "weights.npz") as weights:
        arrays = dict(weights)
    arrays["intercept"] = arrays["intercept"] + 1.0
    np.savez_compressed(directory / "weights.npz", **arrays)
    assert ToneClassifier.from_directory(directory).version != before


@pytest.mark.parametrize(("text", "view"), [
    ("这本《白痴》我们有精装版", "这本《》我们有精装版"),
    ("《傲慢与偏见》和《蠢货日记》都有货", "《》和《》都有货"),
    ("书名号不配对《白痴 也照读", "书名号不配对《白痴 也照读"),
    ("没有书名号的消息", "没有书名号的消息"),
])
def test_tone_view_empties_titles(text: str, view: str) -> None:
    assert tone_view(text) == view


def test_scorer_reads_tone_without_titles(scorer: Scorer) -> None:
    """A work's title says nothing about tone: the title's words are not scored (the shipped
    model scored 这本《白痴》我们有精装版 0.72 abusive when it read them)."""
    titled = scorer.score("这本《白痴》我们有精装版，今天下单明天发")
    assert titled.tone is not None and titled.tone.scores["abusive"] < 0.5
    assert titled.tier is Tier.NONE
    bare = scorer.score("白痴，我们有精装版")  # the same word outside title marks still counts
    assert bare.tier is not Tier.NONE

"""The tone model's cues (classifiers/tone/cues.py): insult terms masked inside everyday words, the
mark of a reply that shifts the problem to the buyer or a third party without help, and the mark
of contempt for the buyer as a person (sentences written for these tests)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from classifiers.lexicon import Lexicon
from classifiers.normalize import Normalizer
from classifiers.resources import default_lexicon_dir, default_tone_model
from classifiers.tone.classifier import ToneClassifier, ToneModelError
from classifiers.tone.cues import CONTEMPT_MARK, FILE_NAME, MASK, SHIFT_MARK, ToneCues


@pytest.fixture(scope="module")
def cues() -> ToneCues:
    return ToneCues.from_lexicon(Lexicon.load(default_lexicon_dir()))


@pytest.mark.parametrize(("text", "read"), [
    ("垃圾袋我们多放了两个", f"{MASK}{MASK}袋我们多放了两个"),
    ("滚筒的转速可以调", f"{MASK}筒的转速可以调"),
    ("按页面提示操作一下", f"按页面提示{MASK}作一下"),
    ("这个人真是垃圾", "这个人真是垃圾"),  # the insult itself, no everyday word around it
    ("你滚", "你滚"),
])
def test_insult_terms_inside_everyday_words_are_masked(cues: ToneCues, text: str,
                                                       read: str) -> None:
    assert cues.read(text) == read


@pytest.mark.parametrize("text", [
    "下水道堵了问你们小区物业去",
    "你自己找厂家，我这管不了",
    "电压不稳是你家线路的事",
    "那你下单的时候咋不说",
    "快递丢了找快递，别找我",
])
def test_shifting_without_help_is_marked(cues: ToneCues, text: str) -> None:
    assert cues.read(text).endswith(SHIFT_MARK)


@pytest.mark.parametrize("text", [
    "物业那边我们帮您打个电话问问，有结果第一时间告诉您",
    "老房子线路负荷小的话，建议您先看看空开是多少安的，拍给我看一下",
    "厂家售后的电话发您了，他们上门检测，我们这边也会跟进",
    "快递那边我马上帮您催一下",
    "好的亲，收到",
    "这款是加厚的，冬天够用",
])
def test_help_and_ordinary_replies_are_not_marked(cues: ToneCues, text: str) -> None:
    assert not cues.read(text).endswith(SHIFT_MARK)


@pytest.mark.parametrize(("text", "marked"), [
    ("你这种没读过书的人就别网购了", True),
    ("你这脑子跟猪差不多", True),
    ("您年纪大了看不清很正常，我给您把字放大发一遍", False),
    ("学生党预算有限的话，这款入门的也够用", False),
])
def test_contempt_for_the_buyer_without_help_is_marked(cues: ToneCues, text: str,
                                                       marked: bool) -> None:
    assert cues.read(text).endswith(CONTEMPT_MARK) == marked


def test_the_normaliser_keeps_the_marks_out_of_ordinary_text(normalizer: Normalizer) -> None:
    """The marks stand for the cues only: the normaliser does not make them from chat text."""
    for text in ("垃圾袋", "你自己找厂家", "亲～☆★□", "好的■"):
        out = normalizer(text).text
        assert SHIFT_MARK not in out and CONTEMPT_MARK not in out
        assert MASK not in out or MASK in text


def test_cues_round_trip(cues: ToneCues) -> None:
    again = ToneCues.from_json(json.loads(json.dumps(cues.to_json(), ensure_ascii=False)))
    assert again == cues
    for text in ("垃圾袋在箱子里", "你问物业去"):
        assert again.read(text) == cues.read(text)


@pytest.mark.parametrize(("content", "message"), [
    ({"format": "other"}, "not a ReplyGuard tone cues file"),
    ({"format": "replyguard-tone-cues", "format_version": 99, "compounds": {}, "parts": {}},
     "format version 99"),
    ({"format": "replyguard-tone-cues", "format_version": 1, "compounds": {"垃圾袋": "□袋"},
      "parts": {}}, "bad entry"),
])
def test_a_damaged_cues_file_is_a_model_error(tmp_path: Path, content: object,
                                              message: str) -> None:
    model = tmp_path / "model"
    shutil.copytree(default_tone_model(), model)
    (model / FILE_NAME).write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(ToneModelError, match=message):
        ToneClassifier.from_directory(model)


def test_the_shipped_model_reads_its_cues() -> None:
    """The shipped model was trained with cues; it reads them at inference, on every path."""
    for accelerated in (True, False):
        model = ToneClassifier.from_directory(default_tone_model(), accelerated=accelerated)
        assert model.cues_ is not None
        for text in ("垃圾袋我们多放了两个", "你问物业去", "好的"):
            read = model.cues_.read(text)
            assert model.predict(text).scores == model.scores_of(read).scores
            assert model.probability(text, "cold") == pytest.approx(
                model.scores_of(read).scores["cold"], abs=1e-12)

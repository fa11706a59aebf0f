"""The intent model's pinyin reading: latin runs that are pinyin (full syllables, or a few
escalation terms' initials) read as the characters the model knows; what is not pinyin, or too
short to tell, stays as typed; and buyers who type their request in pinyin are routed by the
shipped model and policy while buyers asking ordinary things in pinyin are not."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from classifiers.intent.classifier import IntentClassifier, IntentModelError
from classifiers.intent.reading import FILE_NAME, PinyinReading
from classifiers.intent.training import read_intent
from classifiers.resources import default_intent_model, default_intent_training_data
from classifiers.results import Role
from classifiers.scorer import Scorer

CORPUS = ["我要转人工", "人工客服在吗", "我要投诉你们", "这个有货吗", "什么时候发货", "快递到哪了",
          "尺码偏大吗", "不用找人工了", "谢谢"]
WORDS = ["人工", "客服", "投诉", "有货", "发货", "快递", "尺码", "什么", "时候", "不用", "谢谢"]


@pytest.fixture(scope="module")
def reading() -> PinyinReading:
    return PinyinReading.from_corpus(CORPUS, WORDS, ["转人工", "人工", "投诉"])


@pytest.mark.parametrize(("typed", "read"), [
    ("rengong", "人工"),                       # a word by its syllables
    ("zhuanrengong", "转人工"),                 # a term before the words that share its sound
    ("zuanrenggong", "转人工"),                 # fuzzy: z for zh, eng for en
    ("zhuan-ren-gong", "转人工"),               # separators between syllables
    ("rengongkefu", "人工客服"),
    ("zrg", "转人工"),                          # a term's initials
    ("rgrg", "人工人工"),
    ("我要ts", "我要投诉"),
    ("shenmeshihoufahuo", "什么时候发货"),
    ("buyongzhaorengongle", "不用找人工了"),    # a withdrawal reads as one too
    ("kuaidi到了吗", "快递到了吗"),
    ("youhuoma", "有货吗"),                     # three syllables, no word of two: still pinyin
])
def test_pinyin_reads_as_the_characters(reading: PinyinReading, typed: str, read: str) -> None:
    assert reading.read(typed) == read


@pytest.mark.parametrize("typed", [
    "size", "human", "ok", "ipad", "yyds", "steam卡", "xl码", "iphone15", "mm", "wifi", "",
    "人工客服",
])
def test_what_is_not_pinyin_or_too_short_to_tell_stays(reading: PinyinReading,
                                                        typed: str) -> None:
    assert reading.read(typed) == typed


def test_reading_round_trips_through_json(reading: PinyinReading) -> None:
    again = PinyinReading.from_json(json.loads(json.dumps(reading.to_json())))
    assert again.read("zhuanrengong rg") == reading.read("zhuanrengong rg")


def test_damaged_reading_is_a_clear_error(tmp_path: Path) -> None:
    directory = tmp_path / "model"
    shutil.copytree(default_intent_model(), directory)
    (directory / FILE_NAME).write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(IntentModelError, match="cannot read the pinyin reading"):
        IntentClassifier.from_directory(directory)


# Written for this test. Their latin spellings appear in no training row (checked below), so
# what routes them is the reading, not a memorised row.
PINYIN_REQUESTS = ["mashang gei wo zhuanjie rengong fuwu", "jiao ni men jingli lai",
                   "wo yao qu tousu ni men dian", "ni men zhe ge jiqiren ting bu dong, zhao ren",
                   "bie hui fu le, wo yao zhen ren kefu", "chaping, bi xu chaping"]
PINYIN_ORDINARY = ["zhe kuan hai you huo ma", "chima pian da hai shi pian xiao",
                   "shenme shihou neng fahuo a", "kuaidi xian zai dao na li le",
                   "you mei you hong se de", "ke yi bao you ma"]


def latin_words(text: str) -> set[str]:
    return set(re.findall("[a-z]+", text.lower()))


def test_the_pinyin_examples_were_never_spelled_so_in_training() -> None:
    typed = {" ".join(sorted(latin_words(r.text))) for path in default_intent_training_data()
             for r in read_intent(path) if latin_words(r.text)}
    for text in PINYIN_REQUESTS + PINYIN_ORDINARY:
        assert " ".join(sorted(latin_words(text))) not in typed, text


@pytest.mark.parametrize("text", PINYIN_REQUESTS)
def test_pinyin_requests_are_routed(scorer: Scorer, text: str) -> None:
    verdict = scorer.score(text, Role.BUYER)
    assert verdict.tier.value == "route-to-human", verdict.intent


@pytest.mark.parametrize("text", PINYIN_ORDINARY)
def test_ordinary_pinyin_stays_with_the_bot(scorer: Scorer, text: str) -> None:
    verdict = scorer.score(text, Role.BUYER)
    assert verdict.tier.value != "route-to-human", verdict.intent

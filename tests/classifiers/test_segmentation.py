"""Word boundaries from jieba, segmented only around the spans asked about."""

from __future__ import annotations

import itertools

import pytest

from classifiers.segmentation import _FUNCTION_TAGS, WordSegmenter


@pytest.fixture(scope="module")
def segmenter() -> WordSegmenter:
    return WordSegmenter()


@pytest.mark.parametrize("text", [
    "亲，这款是纯棉的哦。发货很快，操作也简单", "abc 123，傻逼 你好", "薇信聊", "", "。。",
    "好的\r\n傻逼  滚", "操作，操 你好",
])
def test_boundaries_around_a_span_are_those_of_the_whole_segmentation(
        segmenter: WordSegmenter, text: str) -> None:
    every = {0, *itertools.accumulate(map(len, segmenter.tokenizer.cut(text, HMM=False)))}
    for start in range(len(text) + 1):
        for end in range(start, len(text) + 1):
            read = segmenter.boundaries(text).around(start, end)
            assert {b for b in read if start <= b <= end} == \
                {b for b in every if start <= b <= end}, (start, end)
    words = segmenter.boundaries(text)  # one Boundaries asked again and again, as _filter does
    for start in range(len(text) + 1):
        assert words.around(start, len(text)) >= {b for b in every if b >= start}


@pytest.mark.parametrize("text", [
    "宝妈的东西，你妈的 真贱", "亲，宝妈的宝宝很乖哦。妈的", "abc 妈的\r\n宝妈的", "", "妈的",
])
def test_fused_start_reads_the_piece_as_jieba_reads_the_whole_text(
        segmenter: WordSegmenter, text: str) -> None:
    # what the whole text's segmentation says (the rule of WordSegmenter.fused_start)
    words = list(segmenter.tokenizer.cut(text, HMM=True))
    starts = itertools.accumulate(map(len, words), initial=0)
    fused = {start + 1 for start, word in zip(starts, words, strict=False) if len(word) == 2
             and segmenter._single_tags.get(word[0], "")[:1] not in _FUNCTION_TAGS}
    assert fused == {index for index in range(len(text) + 1)
                     if segmenter.fused_start(text, index)}
    assert "宝妈的" not in text or segmenter.fused_start(text, text.index("宝妈的") + 1)

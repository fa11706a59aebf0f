"""Word boundaries from jieba, segmented only around the spans asked about."""

from __future__ import annotations

import itertools

import pytest

from classifiers.segmentation import WordSegmenter


@pytest.mark.parametrize("text", [
    "亲，这款是纯棉的哦。发货很快，操作也简单", "abc 123，傻逼 你好", "薇信聊", "", "。。",
    "好的\r\n傻逼  滚", "操作，操 你好",
])
def test_boundaries_around_a_span_are_those_of_the_whole_segmentation(text: str) -> None:
    segmenter = WordSegmenter()
    every = {0, *itertools.accumulate(map(len, segmenter.tokenizer.cut(text, HMM=False)))}
    for start in range(len(text) + 1):
        for end in range(start, len(text) + 1):
            read = segmenter.boundaries(text).around(start, end)
            assert {b for b in read if start <= b <= end} == \
                {b for b in every if start <= b <= end}, (start, end)
    words = segmenter.boundaries(text)  # one Boundaries asked again and again, as _filter does
    for start in range(len(text) + 1):
        assert words.around(start, len(text)) >= {b for b in every if b >= start}

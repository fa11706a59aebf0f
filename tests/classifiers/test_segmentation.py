"""Word boundaries from jieba, read lazily from the left."""

from __future__ import annotations

import itertools

import pytest

from classifiers.segmentation import WordSegmenter


@pytest.mark.parametrize("text", [
    "亲，这款是纯棉的哦。发货很快，操作也简单", "abc 123，傻逼 你好", "薇信聊", "", "。。",
])
def test_boundaries_read_lazily_are_those_of_the_whole_segmentation(text: str) -> None:
    segmenter = WordSegmenter()
    every = {0, *itertools.accumulate(map(len, segmenter.tokenizer.cut(text, HMM=False)))}
    for end in range(len(text) + 1):
        read = segmenter.boundaries(text).upto(end)
        assert {b for b in read if b <= end} == {b for b in every if b <= end}, end
    assert segmenter.boundaries(text).upto(len(text)) == every

"""Word boundaries from jieba, for terms that must match whole words (操 must not hit 操作).

Uses its own `jieba.Tokenizer` (never the module-level `jieba.dt`), initialised at build time;
segmentation runs only for messages where a whole-word term matched, because jieba costs about
ten times the rest of the keyword path.
"""

from __future__ import annotations

import logging

import jieba


class WordSegmenter:
    def __init__(self) -> None:
        jieba.setLogLevel(logging.WARNING)
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.initialize()

    def words(self, text: str) -> list[str]:
        return self.tokenizer.lcut(text, HMM=True)

    def boundaries(self, text: str) -> set[int]:
        """Indices where a jieba word starts or ends (0 and len(text) included)."""
        bounds = {0}
        position = 0
        for word in self.tokenizer.cut(text, HMM=True):
            position += len(word)
            bounds.add(position)
        return bounds

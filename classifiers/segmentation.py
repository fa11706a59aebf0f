"""Word boundaries from jieba, for terms that must match whole words (操 must not hit 操作).

Uses its own `jieba.Tokenizer` (never the module-level `jieba.dt`), initialised at build time;
segmentation runs only for messages where a whole-word term matched, because jieba costs about
ten times the rest of the keyword path.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator

import jieba

# jieba's dictionary counts: slang spellings such as 煞笔 (3) or 沙比 (6) are listed with single-
# digit counts, everyday words (初审 79, 威信 521, 标志 3624) far above.
COMMON_WORD_FREQUENCY = 20
# First letters of jieba's tags for function words: adverbs (d, and zg for 很), measure words
# and numerals (q, m), pronouns (r), prepositions, conjunctions, particles, interjections.
_FUNCTION_TAGS = frozenset("dzqmrpcuyeo")


class WordSegmenter:
    def __init__(self) -> None:
        jieba.setLogLevel(logging.WARNING)
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.initialize()

    def words(self, text: str) -> list[str]:
        words: list[str] = self.tokenizer.lcut(text, HMM=True)
        return words

    def is_common_word(self, text: str) -> bool:
        """True for an everyday word of jieba's dictionary (标志, 卫星, 拣货 …), as opposed to a
        rare or slang spelling (煞笔, 沙比). Homophone hits that are everyday words are real words,
        not evasions."""
        frequency: int = self.tokenizer.FREQ.get(text, 0)
        return frequency >= COMMON_WORD_FREQUENCY

    def boundaries(self, text: str) -> Boundaries:
        """Indices where a jieba word starts or ends, read as far as a caller needs them.

        Dictionary words only (no HMM): the HMM joins unknown characters into invented words,
        and an evasion spelling is exactly such a run (薇信聊 became 薇|信聊, hiding 薇信)."""
        return Boundaries(self.tokenizer.cut(text, HMM=False))

    def fused_starts(self, text: str) -> set[int]:
        """Indices where jieba's HMM reads a character as the end of a two-character word begun
        by the character before it, from characters its dictionary left single (宝|妈|的 →
        宝妈|的): a two-character insult starting there (妈的) is the edge of an everyday word.
        A function
        word before it (an adverb, measure word, pronoun, particle: 真|贱, 很|白目, 你|妈) only
        modifies or addresses the insult, so it is no evidence. Runs only for a hit already
        found on dictionary boundaries, so on few messages."""
        fused: set[int] = set()
        position = 0
        for word in self.tokenizer.cut(text, HMM=True):
            # two characters only: a longer invented run (係咪腦 in 你係咪腦殘) is dialect or
            # typing the dictionary does not know, not a word
            if len(word) == 2 and self._single_tags.get(word[0], "")[:1] not in _FUNCTION_TAGS:
                fused.add(position + 1)
            position += len(word)
        return fused

    def inside_compound(self, text: str, index: int) -> bool:
        """The one character at `index`, a noun by jieba's tags, stands between two Chinese
        characters that are not function words, the one before it no verb either (鸭|屎|香,
        猫|屎|咖啡, 子|草|泥墙): a noun of abuse said to someone ends its clause, stands by a
        pronoun, adverb or particle (草，, 你就是坨屎) or is a verb's object (吃屎, 端屎端尿),
        not inside a run of content characters. Adjectives and verbs (蠢, 滚) are said inside
        such runs (真是蠢到家), so they are not read so."""
        if index == 0 or index + 1 >= len(text):
            return False
        tags = self._single_tags
        before, after = text[index - 1], text[index + 1]
        return tags.get(text[index], "")[:1] == "n" and not tags.get(before, "v").startswith(
            "v") and all(_is_chinese(c) and tags.get(c, "")[:1] not in _FUNCTION_TAGS
                         for c in (before, after))

    @functools.cached_property
    def _single_tags(self) -> dict[str, str]:
        """jieba's part-of-speech tag of each one-character dictionary word (its dict.txt)."""
        tags: dict[str, str] = {}
        with self.tokenizer.get_dict_file() as handle:
            for raw in handle:
                word, _, tag = raw.decode("utf-8").split()
                if len(word) == 1:
                    tags[word] = tag
        return tags

class Boundaries:
    """Word boundaries of one text, segmented lazily from the left: jieba segments each run of
    Chinese characters, letters and digits on its own, so the runs after the last one a caller
    asks about are never segmented."""

    __slots__ = ("_bounds", "_position", "_words")

    def __init__(self, words: Iterator[str]) -> None:
        self._words = words
        self._bounds = {0}
        self._position = 0

    def upto(self, end: int) -> set[int]:
        """Every boundary at or before `end` (0 and, once reached, the text's length included;
        perhaps some after `end`)."""
        while self._position < end:
            word = next(self._words, None)
            if word is None:
                break
            self._position += len(word)
            self._bounds.add(self._position)
        return self._bounds


def _is_chinese(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"

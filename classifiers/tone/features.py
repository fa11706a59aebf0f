"""Features of the tone model: character n-grams plus words, on the normalised text.

Both analyzers are plain functions of the normalised text (the base view the keyword path already
computed, so a message is normalised once). The scikit-learn pipeline used for training calls the
very same analyzers, which is what lets the fast path in tone.py reproduce its probabilities.

Words: jieba segments the training corpus once; the words of two or more characters it finds
become the word vocabulary, and at inference every vocabulary word occurring in the message is a
feature, found by one Aho-Corasick pass. That keeps jieba off the per-message path (it costs ten
times the rest of the pipeline) while the features stay jieba's words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

import ahocorasick

# A title in title marks (《白痴》, 《我的前半生》, a product or course name): a work's name says
# nothing about the agent's tone, and the model scored 这本《白痴》我们有精装版 0.72 abusive. The
# lexicon already skips hits inside title marks (classifiers/automaton.py); the tone view drops
# the title's words and keeps the marks, so "a title was mentioned" stays a feature.
_TITLE = re.compile("《[^《》]{1,40}》")


def tone_view(normalized: str) -> str:
    """What the tone model reads of the normalised base view: titles emptied (《白痴》 → 《》).
    Training reads its rows through this too."""
    return _TITLE.sub("《》", normalized) if "《" in normalized else normalized


class CharNgrams:
    """Character n-grams of lengths `min_n..max_n` (whitespace runs count as one space)."""

    def __init__(self, min_n: int = 1, max_n: int = 3) -> None:
        self.min_n = min_n
        self.max_n = max_n

    @staticmethod
    def prepare(text: str) -> str:
        """The text the n-grams are taken from: whitespace runs as one space, none at the ends."""
        if text.isprintable() and "  " not in text and text.strip(" ") == text:
            return text
        return " ".join(text.split())

    def __call__(self, text: str) -> list[str]:
        text = self.prepare(text)
        length = len(text)
        return [text[i:i + n] for n in range(self.min_n, self.max_n + 1)
                for i in range(length - n + 1)]

    def __getstate__(self) -> dict[str, int]:
        return {"min_n": self.min_n, "max_n": self.max_n}

    def __setstate__(self, state: dict[str, int]) -> None:
        self.__init__(**state)  # type: ignore[misc]


class VocabularyWords:
    """Every word of a fixed vocabulary that occurs in the text (overlaps included)."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = sorted(set(words))
        self._automaton = ahocorasick.Automaton()
        for word in self.words:
            self._automaton.add_word(word, word)
        if self.words:
            self._automaton.make_automaton()

    def __call__(self, text: str) -> list[str]:
        if not self.words:
            return []
        return [word for _, word in self._automaton.iter(text)]

    def __getstate__(self) -> dict[str, list[str]]:
        return {"words": self.words}

    def __setstate__(self, state: dict[str, list[str]]) -> None:
        self.__init__(state["words"])  # type: ignore[misc]


# The compiled tone kernel packs keys of up to six characters; longer jieba words (rare names
# and set phrases) would need a slower lookup for little gain.
MAX_WORD_LENGTH = 6


def segment_vocabulary(texts: Iterable[str], segment: Callable[[str], list[str]], *,
                       min_count: int = 2, max_words: int = 20_000) -> list[str]:
    """Words of 2-6 characters that jieba (`segment`) finds in `texts` at least `min_count`
    times, most frequent first."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w for w in segment(text) if 2 <= len(w) <= MAX_WORD_LENGTH
                      and not w.isspace() and any(c.isalnum() for c in w))
    return [w for w, c in counts.most_common(max_words) if c >= min_count]

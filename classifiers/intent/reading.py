"""The intent model's pinyin reading: a buyer who types `rengong`, `zhuan ren gong`, `转rg`
or `bu yong zhao rengong le` means what `人工`, `转人工`, `不用找人工了` mean, and the model
should read it so. The normaliser has already folded case and dropped the spaces between
latin letters (`zhuanrengong`); this reading turns such a latin run back into the characters
the model's features know, the way an IME's first candidate would:

- the run is split into pinyin syllables (the fewest; every unit must be a syllable), or, when
  it is not pinyin, into syllables and the initials of a few escalation terms (`rg`, `zrg`, `ts`);
- the syllables are matched, longest first, against the words of the training corpus by their
  sound (fuzzy as IME settings are: zh/z, ing/in …), the most frequent word winning a shared
  sound; a syllable left alone becomes the corpus's most frequent character of that sound;
- the run is replaced only when it holds a word of two syllables or more, or a term's initials:
  `size`, `human`, `ok`, `ipad`, `yyds` stay as typed (a lone syllable tells too little).

The reading is built from the training rows when the model is fitted (so it knows only words
the model has weights for) and ships in the artefact as `reading.json`; the model reads every
row, at training and in the scorer, through it. A message without latin letters costs one
C-level search.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

FILE_NAME = "reading.json"
FORMAT = "replyguard-intent-reading"
_LATIN = re.compile(r"[a-z]")
# A latin run: letters, possibly joined by the separators people type between syllables.
_RUN = re.compile(r"[a-z]+(?:['\-][a-z]+)*")
_SEPARATORS = re.compile(r"['\-]")
_LONGEST_SYLLABLE = 6  # zhuang, shuang
_LONGEST_WORD = 4      # syllables of a corpus word the reading matches
_CACHED_RUNS = 4096


def _is_chinese(text: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in text)


def syllable_inventory() -> list[str]:
    """Every toneless pinyin syllable with a vowel (pypinyin's dictionary): the units a latin run
    is split into (m, n, ng, hm are interjections, not what a buyer types for a word)."""
    # pypinyin is imported where it is used: `policy check` imports the intent classifier for
    # its labels and must not load it (tests/gateway/cli/test_imports.py)
    from pypinyin import Style
    from pypinyin.pinyin_dict import pinyin_dict
    from pypinyin.style import convert

    found = {convert(reading.split(",")[0], Style.NORMAL, strict=True)
             for reading in pinyin_dict.values()}
    return sorted(s for s in found if s.isascii() and s.isalpha() and re.search("[aeiouv]", s))


class PinyinReading:
    """`words`: sound (space-joined fuzzy syllables) → word or character; `initials`: typed
    initials → term; `syllables`: the syllable inventory."""

    def __init__(self, words: dict[str, str], initials: dict[str, str],
                 syllables: Iterable[str]) -> None:
        self.words = words
        self.initials = initials
        self.syllables = frozenset(syllables)
        self._rank = {sound: rank for rank, sound in enumerate(words)}
        from classifiers.normalize.pinyin import fuzzy

        self._fuzzy = {syllable: fuzzy(syllable) for syllable in self.syllables}
        # Buyers type the same few runs (rengong, zrg) again and again: each run is read once.
        self._read: dict[str, str] = {}
        self._units = self.syllables | frozenset(initials)
        self._longest_unit = max((len(u) for u in self._units), default=0)

    @classmethod
    def from_corpus(cls, texts: Sequence[str], words: Sequence[str],
                    terms: Iterable[str]) -> PinyinReading:
        """Built from the model's training texts (normalised, as the model reads them), their
        vocabulary `words` (most frequent first) and the escalation `terms` (转人工, 投诉 …),
        which come first and are also read from their initials (zrg, ts). Each sound keeps the
        first of its words, then a syllable its most frequent character."""
        from pypinyin import lazy_pinyin

        listed = list(terms)
        sounds: dict[str, str] = {}
        for word in [*listed, *words]:
            if 2 <= len(word) <= _LONGEST_WORD and _is_chinese(word):
                sounds.setdefault(_sound(word), word)
        characters = Counter(c for text in texts for c in text if _is_chinese(c))
        for char, _ in characters.most_common():
            sounds.setdefault(_sound(char), char)
        initials: dict[str, str] = {}
        for term in listed:
            if _is_chinese(term):
                initials.setdefault("".join(s[0] for s in lazy_pinyin(term)), term)
        return cls(sounds, initials, syllable_inventory())

    def read(self, text: str) -> str:
        """`text` with each latin run that reads as pinyin replaced by its characters."""
        if _LATIN.search(text) is None:
            return text
        return _RUN.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        run = match.group()
        read = self._read.get(run)
        if read is None:
            if len(self._read) >= _CACHED_RUNS:
                self._read.clear()
            read = self._read[run] = self._convert(run)
        return read

    def _convert(self, run: str) -> str:
        if len(run) < 2:
            return run
        units = self._split(_SEPARATORS.sub("", run))
        if units is None:
            return run
        pieces: list[str] = []
        known = False  # a word of two syllables or more, or a term's initials
        syllables: list[str] = []
        for unit in units:
            if unit in self.syllables:
                syllables.append(self._fuzzy[unit])
                continue
            text, found = self._words_of(syllables)
            pieces += [text, self.initials[unit]]
            known, syllables = True, []
        text, found = self._words_of(syllables)
        pieces.append(text)
        return "".join(pieces) if known or found else run

    def _words_of(self, syllables: list[str]) -> tuple[str, bool]:
        """The characters of a syllable sequence, and whether they read as Chinese: a word of
        two syllables or more among them, or three syllables or more (`youhuoma`; an English
        word seldom splits into three syllables). The reading is the fewest known pieces (words
        or characters), among equals the most frequent ones (`rank`: the sound's place in the
        table, most frequent first); a syllable of no known sound stays latin."""
        n = len(syllables)
        # best[i]: (pieces, rank sum, start of the last piece) of the reading of syllables[:i]
        best: list[tuple[int, int, int]] = [(0, 0, 0)] + [(n + 1, 0, 0)] * n
        for end in range(1, n + 1):
            for start in range(max(0, end - _LONGEST_WORD), end):
                rank = self._rank.get(" ".join(syllables[start:end]))
                if rank is None and end - start > 1:
                    continue
                pieces, ranks, _ = best[start]
                candidate = (pieces + 1, ranks + (len(self._rank) if rank is None else rank),
                             start)
                if candidate[:2] < best[end][:2]:
                    best[end] = candidate
        out: list[str] = []
        found = n >= 3
        end = n
        while end:
            start = best[end][2]
            sound = " ".join(syllables[start:end])
            out.append(self.words.get(sound, sound))
            found = found or end - start > 1
            end = start
        return "".join(reversed(out)), found

    def _split(self, run: str) -> list[str] | None:
        """The fewest units (syllables; initials only where the run is not pinyin alone) that
        make up `run`, or None."""
        split = _fewest(run, self.syllables, _LONGEST_SYLLABLE)
        if split is None and self.initials:
            split = _fewest(run, self._units, self._longest_unit)
        return split

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "words": self.words, "initials": self.initials,
                "syllables": sorted(self.syllables)}

    def write(self, directory: Path) -> None:
        (directory / FILE_NAME).write_text(json.dumps(self.to_json(), ensure_ascii=False),
                                           encoding="utf-8")

    @classmethod
    def from_json(cls, data: Any) -> PinyinReading:
        """Raises ValueError when `data` is not a reading."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a pinyin reading")
        words, initials, syllables = data.get("words"), data.get("initials"), \
            data.get("syllables")
        if not (isinstance(words, dict) and isinstance(initials, dict)
                and isinstance(syllables, list)
                and all(isinstance(k, str) and isinstance(v, str)
                        for table in (words, initials) for k, v in table.items())
                and all(isinstance(s, str) for s in syllables)):
            raise ValueError("words, initials and syllables must map text to text")
        return cls(words, initials, syllables)


def _sound(word: str) -> str:
    from pypinyin import lazy_pinyin

    from classifiers.normalize.pinyin import fuzzy

    return " ".join(fuzzy(s) for s in lazy_pinyin(word))


def _fewest(run: str, units: frozenset[str], longest: int) -> list[str] | None:
    """`run` split into the fewest `units` (dynamic programming over its letters), or None."""
    # best[i]: (units, start of the last unit) of the fewest units making up run[:i]
    best: list[tuple[int, int] | None] = [None] * (len(run) + 1)
    best[0] = (0, 0)
    for start in range(len(run)):
        previous = best[start]
        if previous is None:
            continue
        count = previous[0] + 1
        for end in range(start + 1, min(len(run), start + longest) + 1):
            if run[start:end] in units:
                known = best[end]
                if known is None or count < known[0]:
                    best[end] = (count, start)
    if best[-1] is None:
        return None
    split: list[str] = []
    end = len(run)
    while end:
        step = best[end]
        assert step is not None
        split.append(run[step[1]:end])
        end = step[1]
    return split[::-1]

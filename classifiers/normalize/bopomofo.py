"""Bopomofo (zhuyin) spelled out in pinyin letters (ㄨㄟˋ ㄒㄧㄣˋ → wei xin), so the pinyin view
reads it like a pinyin spelling of a term.

The syllable table is pypinyin's own bopomofo spelling of every syllable in its dictionary,
read backwards; tone marks are dropped. A run of bopomofo letters is split greedily into the
longest known syllables. Each pinyin letter keeps the original span of its syllable.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pypinyin import Style
from pypinyin.pinyin_dict import pinyin_dict
from pypinyin.style import convert

from classifiers.normalize.base import NormalizedText

_TONES = "ˉˊˇˋ˙"
_RUN = re.compile(f"[\u3105-\u312f\u31a0-\u31bf][\u3105-\u312f\u31a0-\u31bf{_TONES}]*")


def syllable_table() -> dict[str, str]:
    """Bopomofo spelling (no tone) → toneless pinyin, for every syllable pypinyin knows."""
    table: dict[str, str] = {}
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            syllable = convert(reading, Style.NORMAL, strict=True)
            spelled = convert(syllable, Style.BOPOMOFO, strict=True).strip(_TONES)
            if spelled and spelled != syllable:
                table.setdefault(spelled, syllable.replace("ü", "v"))
    return table


class Bopomofo:
    name: ClassVar[str] = "bopomofo"
    label: ClassVar[str] = "bopomofo → pinyin"
    undoes_evasion: ClassVar[bool] = True

    def __init__(self) -> None:
        self.syllables = syllable_table()
        self.longest = max(map(len, self.syllables))

    def __call__(self, text: NormalizedText) -> NormalizedText:
        source = text.text
        if _RUN.search(source) is None:
            return text
        runs = list(_RUN.finditer(source))
        old_starts, old_ends = text.original_starts(), text.original_ends()
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        position = 0
        for run in runs:
            pieces.append(source[position:run.start()])
            starts.extend(old_starts[position:run.start()])
            ends.extend(old_ends[position:run.start()])
            for first, last, letters in self._spell(source, run.start(), run.end()):
                # Every letter of a syllable stands for the whole syllable's original span.
                pieces.append(letters)
                starts.extend([old_starts[first]] * len(letters))
                ends.extend([old_ends[last]] * len(letters))
            position = run.end()
        pieces.append(source[position:])
        starts.extend(old_starts[position:])
        ends.extend(old_ends[position:])
        return NormalizedText("".join(pieces), text.original, tuple(starts), tuple(ends))

    def _spell(self, source: str, start: int, end: int) -> list[tuple[int, int, str]]:
        """(first, last source index, the letters they become), greedy longest syllable; tone
        marks belong to the syllable before them."""
        out: list[tuple[int, int, str]] = []
        index = start
        while index < end:
            if source[index] in _TONES:
                if out:
                    out[-1] = (out[-1][0], index, out[-1][2])
                index += 1
                continue
            for size in range(min(self.longest, end - index), 0, -1):
                pinyin = self.syllables.get(source[index:index + size])
                if pinyin is not None:
                    out.append((index, index + size - 1, pinyin))
                    index += size
                    break
            else:
                out.append((index, index, source[index]))  # a letter that is no syllable alone
                index += 1
        return out

    def describe(self, before: str, after: str) -> str:
        return f"{before}→{after}: {self.label}"

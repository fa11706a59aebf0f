"""Separators inserted between characters collapsed (傻 逼, 傻*逼, 傻_逼, 白-痴, 微❤信, S.B. → sb).

A run of separator characters is removed only where it sits BETWEEN two word characters, so
sentence punctuation (，。！？ …) still separates sentences and never glues two sentences into one
term — except between single characters: a "sentence" of one character is not a sentence, so
in 滚…蛋, 贱、人, 二~百~五 or 【拼】【多】【多】 any punctuation between two characters that each
stand alone (between two non-word characters or the ends of the text) is removed too. `_` and
`-` inside latin names (abc_123) are kept. Digit groups (`138 1234 5678`, `12.5`) are left
alone: the contact detector reads number grouping itself, and collapsing it would merge prices
and sizes into phone-like runs.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import ClassVar

from classifiers.normalize.base import NormalizedText

# Punctuation that ends or structures a sentence: never treated as an inserted separator.
SENTENCE_PUNCTUATION = ",!?;:，。！？；：、~～\"'“”‘’()（）[]【】<>《》「」『』…\n\r\t"

_SEPARATOR = r"[^\w" + re.escape(SENTENCE_PUNCTUATION) + r"]"
# Inside latin/digit tokens these join parts of one name (abc_123, wang-xiao): not separators.
_ID_JOINERS = {"_", "-"}
# One pattern, run on the text with each `_` read as a space, where \w is exactly a word
# character (str.isalnum) and \b the edge of one. Group 1: any run of non-word characters
# between two word characters that each stand alone; else a run of separators, `_` included,
# with a word character on each side. One scan finds both, as the two never compete for a
# position: a lone gap's match starts at a word character, a run at a non-word one, and a run
# inside a lone gap's match is that gap, which is removed anyway. (Lookarounds and
# `(?:class|_)+` cost twice as much per character; two scans cost a third more than one.)
_GAP = re.compile(rf"\b\w(\W+)(?=\w\b)|\b{_SEPARATOR}+\b")


def _merged(runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(runs):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


class Separators:
    name: ClassVar[str] = "separators"
    label: ClassVar[str] = "separator ignored"
    undoes_evasion: ClassVar[bool] = True

    def __call__(self, text: NormalizedText) -> NormalizedText:
        source = text.text
        scan = source.replace("_", " ") if "_" in source else source
        lone: list[tuple[int, int]] = []
        runs: list[tuple[int, int]] = []
        for m in _GAP.finditer(scan):
            if m.lastindex:
                lone.append(m.span(1))
                continue
            start, end = m.span()
            before, after = source[start - 1], source[end]
            if before.isascii() and after.isascii() and (
                    (before.isdigit() and after.isdigit()) or source[start:end] in _ID_JOINERS):
                continue
            runs.append((start, end))
        if lone:
            runs = _merged(runs + lone)
        if not runs:
            return text
        kept: list[int] = []
        pieces: list[str] = []
        position = 0
        for start, end in runs:
            kept.extend(range(position, start))
            pieces.append(source[position:start])
            position = end
        kept.extend(range(position, len(source)))
        pieces.append(source[position:])
        return text.keep("".join(pieces), kept)

    def describe(self, before: str, after: str) -> str:
        removed = Counter(before) - Counter(after)
        shown = " ".join("space" if c.isspace() else c for c in removed)
        return f"{before}: separator {shown} ignored"

"""Insults spelled by their sound where the message shows evasion (issue 15).

The pinyin view (`classifiers/normalize/pinyin.py`) reads Chinese characters by sound; what
it cannot read is a sound typed with something that is not a Chinese character or a latin
syllable. Three such spellings, each read only where the message itself shows the disguise:

- a lone digit among Chinese characters, for the syllable it is read as (去4吧: 4 is si, 死):
  a digit with no other digit or letter beside it and no measure word, noun or numeral after
  it (4楼, 3天, 5元 are quantities);
- digits typed inside a latin word for the letters they look like (5h4b1 is shabi, sh1 is shi),
  the word then read as pinyin: only inside a run that holds both letters and digits;
- the initials of an insult (nt for 脑瘫, sqj for 死全家) typed in lower case as a word of their
  own and addressed at someone (你nt吧, 你个sqj) or opening a clause that ends in a particle
  (nt吧，…): two or three latin letters are a product code or a size everywhere else.

Each spelling is a copy of the normalised text of the same length with the disguised
characters replaced, so the matcher reads it with the pinyin view and automaton it already
has, and a hit's span is the same in both. Each spelling has one scan that starts at its rarer
character (a digit, for the first two), so a message without one pays a C-level search; the
pinyin view of a copy is built only for a message that holds such a spelling (about 1% of
real replies).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# The syllable a digit is read as, by the Chinese numeral that is read so.
_NUMERALS = "零一二三四五六七八九"
# Digits typed for the latin letters they look like (the inverse of the engine's 1d10t spellings).
_LOOKALIKE = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"})
# Each spelling has a scan of its own that begins with its rarer class (a digit), so that the
# regular expression engine skips to candidates at C speed: most messages hold none.
_DIGIT_BY_CHINESE = re.compile(r"[0-9](?:(?<=[\u4e00-\u9fff][0-9])|(?=[\u4e00-\u9fff]))")
_DIGIT_BY_LETTER = re.compile(r"[013457](?:(?<=[a-z][013457])|(?=[a-z]))")
_TWO_LETTERS = re.compile(r"[a-z][a-z]")
_ALNUM_RUN = re.compile(r"[0-9a-z]+")
# Characters beside a digit that make it part of a figure (3.5, 1/2, 10:30, 5%, 3-5).
_FIGURE_MARKS = frozenset(".,:/%-")
# jieba tags of what follows a number that counts something: measure words, numerals, nouns,
# place and time words (4楼, 3天, 5元, 2号).
_QUANTITY_TAGS = frozenset("qmnfts")
# Said to someone: a pronoun or an address right before the initials.
_ADDRESS = ("你", "您", "妳", "你个", "是个", "你是", "真是", "就是", "这个")
# A clause that opens with the initials and goes on with a particle (nt吧，…).
_PARTICLES = frozenset("吧吗啊呀啦")


@dataclass(frozen=True, slots=True)
class Respelling:
    """`text`: the normalised text with the characters at `positions` replaced by what they
    sound or look like; `latin`: the replacements are letters (read as pinyin), else Chinese
    numerals (read as their syllable)."""

    text: str
    positions: frozenset[int]
    latin: bool

    def covers(self, start: int, end: int) -> bool:
        return any(start <= p < end for p in self.positions)


def respellings(base: str, tag: Callable[[str], str]) -> list[Respelling]:
    """The copies of `base` (case-folded) with its lone digits read as syllables, and with the
    digits of latin words read as the letters they look like. `tag`: jieba's tag of one
    character."""
    found: list[Respelling] = []
    if _DIGIT_BY_CHINESE.search(base) is not None:
        lone = [m.start() for m in _DIGIT_BY_CHINESE.finditer(base)
                if _syllable_digit(base, m.start(), tag)]
        if lone:
            chars = list(base)
            for position in lone:
                chars[position] = _NUMERALS[int(base[position])]
            found.append(Respelling("".join(chars), frozenset(lone), latin=False))
    if _DIGIT_BY_LETTER.search(base) is not None:
        mixed = [m.span() for m in _ALNUM_RUN.finditer(base)
                 if m.end() - m.start() >= 3 and _lookalike_word(m.group())]
        if mixed:
            chars = list(base)
            positions: set[int] = set()
            for start, end in mixed:
                positions.update(i for i in range(start, end) if base[i].isdigit())
                chars[start:end] = base[start:end].translate(_LOOKALIKE)
            found.append(Respelling("".join(chars), frozenset(positions), latin=True))
    return found


def initials_runs(base: str) -> list[tuple[int, int]]:
    """The runs of two to four latin letters in `base` (case-folded: the caller checks the
    message as sent)."""
    if _TWO_LETTERS.search(base) is None:
        return []
    return [m.span() for m in _ALNUM_RUN.finditer(base)
            if 2 <= m.end() - m.start() <= 4 and m.group().isalpha()]


def addressed(base: str, start: int, end: int) -> bool:
    """The span is said to someone: right after a pronoun or an address (你nt吧, 你个sqj), or
    it opens a clause and a particle follows it (nt吧，…)."""
    if base[max(0, start - 2):start].endswith(_ADDRESS):
        return True
    opens = start == 0 or not base[start - 1].isalnum()
    return opens and end < len(base) and base[end] in _PARTICLES


def _syllable_digit(base: str, index: int, tag: Callable[[str], str]) -> bool:
    before = base[index - 1] if index else ""
    after = base[index + 1] if index + 1 < len(base) else ""
    if before.isascii() and before.isalnum() or after.isascii() and after.isalnum() \
            or before in _FIGURE_MARKS or after in _FIGURE_MARKS:
        return False  # part of a number, a code or a figure
    return not (_is_chinese(after) and tag(after)[:1] in _QUANTITY_TAGS)


def _lookalike_word(run: str) -> bool:
    """Letters with look-alike digits among them: two letters or more and a digit that looks
    like one (5h4b1, sh1), not a number with a unit or a model code of one letter (3kg, a4)."""
    return sum(1 for c in run if c.isalpha()) >= 2 and any(c in "013457" for c in run)


def _is_chinese(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"

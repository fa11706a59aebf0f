"""Emoji that stand for a word of the lexicon (你个🐷, 🐶东西, 有问题来🐧找我, 闲🐟).

Which emoji, and what they read as, is derived, never typed: Unicode CLDR's Chinese name of
every emoji (as shipped by the `emoji` package), less a trailing 头 or 脸 (🐷 猪头 → 猪, 🐶 狗脸
→ 狗), kept when that name is a Chinese word that occurs inside some term or group member of the
lexicon, or when a pictograph's name is one character that sounds like (same toneless pinyin) a
character at least two terms hold: 🐴 (马) is read as 马, and the pinyin view finds the homophone
你马的 → 你妈的 as it finds 你马的 typed — only where it stands for a character, between two
Chinese characters (你🐴的; 白桃味🍑 ends a line, tao🍑520 is an id spread by emoji). (Not the
symbols of the BMP: ✖ and ➖ are marks and separators, 傻✖, 微➖信.) Any other emoji is
decoration, or a separator the normaliser removes (微❤信), and is left alone; so is one between
digits (186🐟5530🐟2271 is a phone number spread by emoji).

`rewrite(text)` replaces those emoji by their names before the text is normalised, so the
separator step cannot delete them and every matcher sees the word; the position map takes the
matches back to the message as sent.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import emoji

_CJK = re.compile(r"^[\u3400-\u9fff]+$")
_VARIATION_SELECTOR = "\ufe0f"
# Where the pictographs begin (Miscellaneous Symbols and Pictographs, and the planes' emoji
# blocks after it).
_PICTOGRAPHS = 0x1F300


def cldr_names() -> dict[str, str]:
    """Emoji → its CLDR Chinese name, less a trailing 头/脸, for single-character emoji."""
    emoji.config.load_language("zh")
    names: dict[str, str] = {}
    for char, data in emoji.EMOJI_DATA.items():
        name = str(data.get("zh", "")).strip(":")
        char = char.replace(_VARIATION_SELECTOR, "")
        if len(char) != 1 or not _CJK.match(name):
            continue
        if len(name) > 1 and name[-1] in "头脸":
            name = name[:-1]
        names[char] = name
    return names


@dataclass(frozen=True, slots=True)
class Rewritten:
    """`text` with emoji read as words; `starts[i]`/`ends[i]`: the span of the original that
    character i of `text` came from; `replaced`: (start, end, emoji, name) per emoji."""

    text: str
    starts: list[int]
    ends: list[int]
    replaced: list[tuple[int, int, str, str]]

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.starts[start], self.ends[end - 1]


class EmojiWords:
    def __init__(self, words: Iterable[str], syllables: Mapping[int, str] | None = None) -> None:
        """`words`: the lexicon's term and member texts; `syllables`: character code → its
        toneless pinyin, to keep one-character names that sound like a character of the terms
        (none without it)."""
        words = list(words)
        joined = "\n".join(words)
        names = cldr_names()
        self.names = {char: name for char, name in names.items() if name in joined}
        # Emoji read by sound, only between two Chinese characters.
        self.sounded: frozenset[str] = frozenset()
        if syllables is not None:
            held = Counter(c for word in words for c in set(word) if ord(c) in syllables)
            sounds = {syllables[ord(c)] for c, count in held.items() if count >= 2}
            sounded = {char: name for char, name in names.items() if len(name) == 1
                       and char not in self.names and ord(char) >= _PICTOGRAPHS
                       and syllables.get(ord(name)) in sounds}
            self.names.update(sounded)
            self.sounded = frozenset(sounded)
        self._pattern = re.compile(
            "[" + "".join(map(re.escape, sorted(self.names))) + "]" + _VARIATION_SELECTOR + "?"
        ) if self.names else None
        self._might = _coarse(self.names)

    def rewrite(self, text: str) -> Rewritten | None:
        """None when the text holds no emoji that stands for a lexicon word (most messages)."""
        if self._might.search(text) is None or self._pattern is None \
                or self._pattern.search(text) is None:
            return None
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        replaced = []
        position = 0
        for m in self._pattern.finditer(text):
            before = text[m.start() - 1] if m.start() else ""
            after = text[m.end()] if m.end() < len(text) else ""
            if before.isdigit() or after.isdigit():
                continue  # a separator inside a number
            if m.group()[0] in self.sounded and not (_CJK.match(before) and _CJK.match(after)):
                continue  # stands for no character here
            pieces.append(text[position:m.start()])
            starts.extend(range(position, m.start()))
            ends.extend(range(position + 1, m.start() + 1))
            name = self.names[m.group()[0]]
            pieces.append(name)
            starts.extend([m.start()] * len(name))
            ends.extend([m.end()] * len(name))
            replaced.append((m.start(), m.end(), m.group(), name))
            position = m.end()
        if not replaced:
            return None
        pieces.append(text[position:])
        starts.extend(range(position, len(text)))
        ends.extend(range(position + 1, len(text) + 1))
        return Rewritten("".join(pieces), starts, ends, replaced)


def _coarse(chars: Iterable[str]) -> re.Pattern[str]:
    """A pattern for the Unicode blocks of `chars` (256 code points each; the astral ones as
    one range): a few range tests per character, where a class of every emoji costs one
    test per emoji. Most messages hold none of them and stop here."""
    codes = sorted(map(ord, chars))
    if not codes:
        return re.compile("(?!)")  # matches nothing
    ranges = [(code & ~0xFF, code | 0xFF) for code in codes if code <= 0xFFFF]
    astral = [code for code in codes if code > 0xFFFF]
    if astral:
        ranges.append((astral[0], astral[-1]))
    merged: list[tuple[int, int]] = []
    for low, high in ranges:
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
        else:
            merged.append((low, high))
    return re.compile("[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                                    for a, b in merged) + "]")

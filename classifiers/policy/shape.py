"""Message shape: its length, and whether it is only punctuation or only emoji.

An agent answering a buyer's question with "？？？" or a lone "[微笑]" says something no word
list can hold. Platform emoji codes (`[微笑]`, `[呵呵]`: bracketed names that chat clients
render as pictures) count as emoji.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

_EMOJI_CODE = re.compile(r"\[[^\[\]\s]{1,8}\]")
# Characters that shape an emoji without being one: joiners, variation selectors, skin tones.
_EMOJI_GLUE = {"\u200d", "\ufe0e", "\ufe0f", "\u20e3"} | {chr(c) for c in range(0x1F3FB, 0x1F400)}


_WORDY = re.compile(r"[^\W_]")
_TEXT = frozenset({"text"})


class Only(StrEnum):
    PUNCTUATION = "punctuation"
    EMOJI = "emoji"
    PUNCTUATION_OR_EMOJI = "punctuation-or-emoji"


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return (unicodedata.category(char) == "So" and code >= 0x2190) or char in _EMOJI_GLUE


def _is_punctuation(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] == "P" or (category[0] == "S" and not _is_emoji(char))


@dataclass(frozen=True)
class MessageShape:
    """Computed on demand from the original text, only for policies with shape rules."""

    text: str

    @cached_property
    def length(self) -> int:
        """Characters other than whitespace."""
        return sum(1 for c in self.text if not c.isspace())

    @cached_property
    def _kinds(self) -> frozenset[str]:
        rest = _EMOJI_CODE.sub("", self.text) if "[" in self.text else self.text
        if _WORDY.search(rest):  # letters, digits or CJK: most messages stop here, in C
            return _TEXT
        kinds = {"emoji"} if len(rest) != len(self.text) else set()
        for char in rest:
            if char.isspace():
                continue
            if _is_emoji(char):
                kinds.add("emoji")
            elif _is_punctuation(char):
                kinds.add("punctuation")
            else:
                return frozenset({"text"})
        return frozenset(kinds)

    def only(self, what: Only) -> bool:
        kinds = self._kinds
        if not kinds or "text" in kinds:
            return False
        if what is Only.PUNCTUATION:
            return kinds == {"punctuation"}
        if what is Only.EMOJI:
            return kinds == {"emoji"}
        return True

"""Message shape: its length, whether it is only punctuation or only emoji, and whether it is
a lone acknowledgement or a bare answer.

An agent answering a buyer's question with "？？？" or a lone "[微笑]" says something no word
list can hold. Platform emoji codes (`[微笑]`, `[呵呵]`: bracketed names that chat clients
render as pictures) count as emoji.

A lone reply is a structure, not a list of messages: acknowledgement words (好的, 收到, 嗯,
知道了, 👌) or bare yes/no answers (是的, 有的, 可以的, 在的), in any number and order, with
only forms of address (亲, 亲亲, 亲爱的), particles and punctuation around them: 好的亲,
嗯，收到了, 收到收到, 亲 可以的呢. Whether it falls short depends on what the buyer asked
(`when.context`).
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

_EMOJI_CODE = re.compile(r"\[[^\[\]\s]{1,8}\]")
# Characters that shape an emoji without being one: joiners, variation selectors, skin tones.
_EMOJI_GLUE = {"\u200d", "\ufe0e", "\ufe0f", "\u20e3"} | {chr(c) for c in range(0x1F3FB, 0x1F400)}


_WORDY = re.compile(r"[^\W_]")
_TEXT = frozenset({"text"})


class Only(StrEnum):
    PUNCTUATION = "punctuation"
    EMOJI = "emoji"
    PUNCTUATION_OR_EMOJI = "punctuation-or-emoji"


class Lone(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"  # 好的亲, 嗯嗯收到, 👌, a lone 亲: answers nothing
    ANSWER = "answer"                    # 是的亲, 有的呢, 可以的: a bare yes/no


_ACK = ("好的|好滴|好哒|好嘞|好吧|好呀|好|收到了?|知道了?|了解了?|明白了?|懂了?|嗯呢|嗯+|恩+"
        "|哦+|噢+|喔+|ok|okay|👌|👍")
_ANSWER = ("是的|是|对的|对|有的|有|可以的?|行的?|在的|在呢|在|会的|能的|都可以|都行|都有|没有|没"
           "|不是")
_AROUND = "亲爱的|亲爱哒|亲亲|亲|宝宝|宝|客官|哈|呢|哦|啦|呀|的|哒|滴|了|~|～"
# A whole reply made only of these, punctuation and whitespace between (latin lower-cased).
_LONE = re.compile(rf"(?:[\W_]*(?:{_ACK}|{_ANSWER}|{_AROUND}))+[\W_]*")
_ANSWERS = re.compile(_ANSWER)
# A character no lone reply has: one scan in C rules most short messages out before _LONE.
_NOT_LONE = re.compile("[^" + "".join(sorted(set(re.sub(r"[|?+()]", "", _ACK + _ANSWER + _AROUND))))
                       + r"\W_]")


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return (unicodedata.category(char) == "So" and code >= 0x2190) or char in _EMOJI_GLUE


def _is_punctuation(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] == "P" or (category[0] == "S" and not _is_emoji(char))


class MessageShape:
    """Computed on demand from the original text, only for policies with shape rules, and at
    most once per message (plain attributes: functools.cached_property takes a lock per first
    read on Python 3.11, which cost every agent message ~3 µs)."""

    __slots__ = ("_kinds", "_length", "_lone", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._length: int | None = None
        self._kinds: frozenset[str] | None = None
        self._lone: Lone | None | bool = False  # False: not computed yet

    @property
    def length(self) -> int:
        """Characters other than whitespace."""
        if self._length is None:
            self._length = sum(1 for c in self.text if not c.isspace())
        return self._length

    def kinds(self) -> frozenset[str]:
        if self._kinds is None:
            self._kinds = self._read_kinds()
        return self._kinds

    def _read_kinds(self) -> frozenset[str]:
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

    @property
    def lone(self) -> Lone | None:
        """A lone acknowledgement or bare answer (an answer word anywhere makes it an
        answer: 嗯 可以的), or None."""
        if self._lone is False:
            self._lone = self._read_lone()
        assert not isinstance(self._lone, bool)
        return self._lone

    def _read_lone(self) -> Lone | None:
        if len(self.text) > 40:  # longer than any lone reply: most messages stop here, in C
            return None
        text = self.text.lower()
        if _NOT_LONE.search(text) or not _LONE.fullmatch(text):
            return None
        return Lone.ANSWER if _ANSWERS.search(text) else Lone.ACKNOWLEDGEMENT

    def only(self, what: Only) -> bool:
        kinds = self.kinds()
        if not kinds or "text" in kinds:
            return False
        if what is Only.PUNCTUATION:
            return kinds == {"punctuation"}
        if what is Only.EMOJI:
            return kinds == {"emoji"}
        return True

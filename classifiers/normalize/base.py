"""`NormalizedText` and the two kinds of normalisation step.

Every step maps `NormalizedText -> NormalizedText` and keeps, for each character of its output,
the span of the ORIGINAL message it came from, so a hit on normalised text is reported (and
highlighted in the console) on the text the agent actually typed.

Offsets are stored only when a step changed the length: most messages go through with
`starts is None`, meaning "position i is original position i".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import itemgetter
from typing import ClassVar, Protocol, runtime_checkable

try:
    from classifiers._scanner import Spelling
except ImportError:  # a checkout that was never installed, or a pure-Python build on purpose
    Spelling = None  # type: ignore[assignment, misc]


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """`text` derived from `original`; `starts[i]:ends[i]` is the original span of `text[i]`."""

    text: str
    original: str
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    @classmethod
    def of(cls, original: str) -> NormalizedText:
        return cls(original, original)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original span covering normalised characters `start:end` (end exclusive, end > start)."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]

    def original_starts(self) -> tuple[int, ...]:
        return self.starts if self.starts is not None else tuple(range(len(self.text)))

    def original_ends(self) -> tuple[int, ...]:
        return self.ends if self.ends is not None else tuple(range(1, len(self.text) + 1))

    def keep(self, new_text: str, kept: list[int]) -> NormalizedText:
        """Result of a step that kept characters `kept` (indices into self.text) and mapped each
        to one character of `new_text`."""
        if not kept:
            return NormalizedText(new_text, self.original, (), ())
        if self.starts is None or self.ends is None:
            # Identity so far: original positions are the kept indices themselves. map() and
            # tuple() keep this at C speed for long messages.
            return NormalizedText(new_text, self.original, tuple(kept),
                                  tuple(map((1).__add__, kept)))
        pick = itemgetter(*kept)
        starts, ends = pick(self.starts), pick(self.ends)
        if len(kept) == 1:
            starts, ends = (starts,), (ends,)
        return NormalizedText(new_text, self.original, starts, ends)


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@runtime_checkable
class NormalizeStep(Protocol):
    """One named normalisation step. `label` is what a trace says the step did."""

    name: ClassVar[str]
    label: ClassVar[str]
    # True for steps that undo deliberate disguise (傻*逼, 傻\u200b逼) rather than typing habits.
    undoes_evasion: ClassVar[bool]

    def __call__(self, text: NormalizedText) -> NormalizedText: ...

    def describe(self, before: str, after: str) -> str: ...


class CharMapStep:
    """A step that maps single characters to single characters or deletes them.

    Such steps are built as one `str.translate` table, so consecutive ones can be fused into a
    single C-level pass by `Normalizer` (the hot path pays one translate for all of them).
    """

    name: ClassVar[str] = "charmap"
    label: ClassVar[str] = "character map"
    undoes_evasion: ClassVar[bool] = False

    def __init__(self) -> None:
        self.table: dict[int, str | None] = self.build_table()
        self.compiled = CompiledTable(self.table)

    def build_table(self) -> dict[int, str | None]:
        raise NotImplementedError

    def __call__(self, text: NormalizedText) -> NormalizedText:
        return apply_table(text, self.compiled)

    def describe(self, before: str, after: str) -> str:
        return f"{before}→{after}: {self.label}"


class CompiledTable:
    """A translate table in the form `str.translate` runs fastest.

    A dict table costs a hash lookup and an int allocation per character; a list indexed by code
    point roughly halves that. The list covers the BMP (where nearly all chat text lives);
    astral characters that need mapping (𝐬𝐛, plane-14 tags) are rare, so they take a second,
    dict-based pass only when the message contains any astral character at all.

    With the compiled scanner (classifiers/_scanner.pyx), `spelling` is the same BMP table in C
    arrays, and translates without an int object and a list look-up per character; it also
    lets the keyword scanner read a view without building it.
    """

    __slots__ = ("mapping", "bmp", "astral", "spelling")

    def __init__(self, mapping: dict[int, str | None]) -> None:
        self.mapping = mapping
        bmp: list[str | None] = [chr(code) if not 0xD800 <= code < 0xE000 else "\ufffd"
                                 for code in range(0x10000)]
        for code, value in mapping.items():
            if code < 0x10000:
                bmp[code] = value
        self.bmp = bmp
        self.astral = {code: value for code, value in mapping.items() if code >= 0x10000}
        self.spelling = Spelling({code: value for code, value in mapping.items()
                                  if code < 0x10000}) if Spelling is not None else None

    def translate(self, text: str) -> str:
        out = self.spelling.translate(text) if self.spelling is not None \
            else text.translate(self.bmp)
        # One range test in C (max() made a character object of each one).
        if self.astral and _ASTRAL.search(out) is not None:
            out = out.translate(self.astral)
        return out

    def get(self, code: int, default: str) -> str | None:
        return self.mapping.get(code, default)

    def __call__(self, text: NormalizedText) -> NormalizedText:
        return apply_table(text, self)


def apply_table(text: NormalizedText, table: CompiledTable) -> NormalizedText:
    return translated(text, table.translate(text.text), table)


def translated(text: NormalizedText, out: str, table: CompiledTable) -> NormalizedText:
    """`text` after `table`, given `out`, the translation of `text.text` by it."""
    if out == text.text:
        return text
    if len(out) == len(text.text):
        return NormalizedText(out, text.original, text.starts, text.ends)
    kept = [i for i, ch in enumerate(text.text) if table.get(ord(ch), ch) is not None]
    return text.keep(out, kept)

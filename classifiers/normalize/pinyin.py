"""The pinyin view: homophone and pinyin spellings of lexicon terms (煞笔, 沙比, sha bi, sb → 傻逼;
薇信, 威信, V信, vx, wx, 卫星号 → 微信).

Evasions are derived, never listed: each Chinese character of the message becomes its toneless
pinyin (pypinyin's dictionary, read once at build time), latin letters stay as typed, and each
term marked `variants=pinyin` is expanded into the spellings a person can type for it — full
pinyin, initials (wx), mixed (V信 = v + xin) — which are matched in this view.

Pinyin is folded the way IME fuzzy-pinyin settings do (zh/z, ch/c, sh/s, ing/in, eng/en, ang/an):
卫星号 reads wei-xin-hao like 微信号.
"""

from __future__ import annotations

import itertools
import re

from pypinyin import Style
from pypinyin.pinyin_dict import pinyin_dict
from pypinyin.style import convert

from classifiers.normalize.base import CompiledTable

# Wraps the syllable of every Chinese character in the view, so that letters typed in latin
# (the x of "vx") never match the first or last letters of a Chinese character's syllable.
SYLLABLE_MARK = "'"
_FUZZY = ((re.compile(r"^([zcs])h"), r"\1"), (re.compile(r"([ie]n|an)g$"), r"\1"))
# Forms per term grow as 4**n: beyond this length only full spellings are derived.
_MAX_MIXED_CHARS = 4


def fuzzy(syllable: str) -> str:
    for pattern, replacement in _FUZZY:
        syllable = pattern.sub(replacement, syllable)
    return syllable


class PinyinView:
    """Builds the pinyin view of base text and the pinyin spellings of terms."""

    name = "pinyin"

    def __init__(self) -> None:
        self.syllables: dict[int, str] = {
            code: convert(readings.split(",")[0], Style.NORMAL, strict=True)
            for code, readings in pinyin_dict.items() if 0x3400 <= code <= 0x9FFF
        }
        self.table: dict[int, str | None] = {
            code: f"{SYLLABLE_MARK}{fuzzy(s)}{SYLLABLE_MARK}" for code, s in self.syllables.items()}
        self.compiled = CompiledTable(self.table)
        # The table as the keyword matcher's compiled scanner reads it: the variant automaton
        # is run over the view without the view being built (KeyAutomaton.find_spelled).
        self.spelling = self.compiled.spelling

    def view(self, base: str) -> str:
        return self.compiled.translate(base)

    def base_span(self, base: str, start: int, end: int) -> tuple[int, int] | None:
        """Base-text span of view characters `start:end`, or None if the span cuts a syllable."""
        position = 0
        first = -1
        for index, ch in enumerate(base):
            if position == start:
                first = index
            position += len(self.table.get(ord(ch)) or ch)
            if position == end:
                return (first, index + 1) if first >= 0 else None
            if position > end:
                return None
        return None

    def term_forms(self, term: str, *, initials: bool = False,
                   latin_only: bool = False) -> set[str]:
        """Every spelling of `term` that the pinyin view can contain. Spellings made only of
        initials (wx, sb) are included only with `initials`: two latin letters are a product code
        (CS, HD, NC) far more often than an insult, so a term opts in to them. `latin_only`:
        only spellings with a full syllable in latin letters and a character of the term kept
        (jian货, chu生, si全jia), or with an initial where two characters of the term are kept
        (s全家; one kept character beside an initial, j货, is too little to tell), for terms
        whose Chinese homophones are everyday words (拣货)."""
        options: list[list[str]] = []
        for ch in term:
            syllable = self.syllables.get(ord(ch))
            if syllable is None:
                options.append([ch])
                continue
            initial = syllable[0]
            # As a Chinese character (fuzzy syllable), or typed in latin letters: the full
            # syllable or its initial.
            choices = [f"{SYLLABLE_MARK}{fuzzy(syllable)}{SYLLABLE_MARK}", syllable, initial]
            if initial == "w":
                choices.append("v")  # "V信", "vx": v stands for w in chat slang
            options.append(list(dict.fromkeys(choices)))
        if len(term) > _MAX_MIXED_CHARS:
            as_chinese = "".join(o[0] for o in options)
            as_latin = "".join(o[1] if len(o) > 1 else o[0] for o in options)
            return {as_chinese, as_latin}
        forms = set()
        for parts in itertools.product(*options):
            # A Chinese character is its marked syllable in the view (the matcher keeps only
            # spellings whose characters are the term's own: `_mixed_keeps_term`).
            if latin_only and not _latin_spelling(parts):
                continue
            if initials or any(len(part) > 1 or not part.isascii() for part in parts):
                forms.add("".join(parts))
        return forms

    def sound_form(self, term: str) -> str | None:
        """`term` read by sound only, every character its (fuzzy) syllable: the spelling of
        Chinese homophones alone (剑人 for 贱人), for terms whose other spellings are not
        derived; None if a character has no reading."""
        syllables = [self.table.get(ord(ch)) for ch in term]
        if any(s is None for s in syllables):
            return None
        return "".join(s for s in syllables if s is not None)

    def describe(self, matched: str, term: str) -> str:
        """Trace line for a hit whose (normalised) text `matched` was read as `term`."""
        spoken = [self.syllables.get(ord(c), c) for c in matched]
        if any(c.isdigit() for c in matched):
            kind = "digits read by sound or by the letters they look like"
        elif any(c.isascii() and c.isalpha() for c in matched):
            kind = "pinyin"
        elif spoken == [self.syllables.get(ord(c), c) for c in term]:
            kind = "homophone"
        else:
            kind = "near-homophone"
        return f"{matched}→{term}: {kind} ({' '.join(spoken)})"


def _latin_spelling(parts: tuple[str, ...]) -> bool:
    """A `latin_only` spelling: a character of the term typed as its full syllable beside one
    kept (jian货), or only initials typed beside two kept (s全家)."""
    kept = sum(1 for part in parts if part.startswith(SYLLABLE_MARK))
    typed = [part for part in parts if part.isalpha() and part.isascii()]
    if not typed or not kept:
        return False
    return any(len(part) > 1 for part in typed) or kept >= 2

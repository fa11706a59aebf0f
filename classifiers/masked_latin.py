"""Latin insults with symbols typed for some of their letters (f*ck, a$$hole, fμck, sh!t).

The separator step removes a symbol between two letters (f*ck → fck), and the confusables
table has no letter for $, ! or a Greek μ: so neither the base view nor the look-alike digits
(1d10t) see the word. Here a symbol or a letter of another script standing INSIDE a run of
latin letters is read as masking one letter: a run of the same length as a latin term of
`abuse` or `discrimination` (four letters or more) whose letters all agree with the term's at
their places is that term. The run is read on the message as sent, so nothing else the
normaliser does changes; fewer than half of the term's letters may be masked, the first and
the last must be typed, and a run with no mask is the ordinary term's business. A
`substring` term may be part of a longer run (f**king), a `word` term must be all of it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from classifiers.lexicon import Term
from classifiers.results import Match, MatchMode

INSULT_CATEGORIES = frozenset({"abuse", "discrimination"})
SHORTEST = 4
# A run: latin letters, with single non-space characters between them that are neither latin
# letters, digits (the look-alike digits are the automaton's), CJK nor sentence punctuation.
_MASK = r"[^\sA-Za-z0-9\u3000-\u9fff\uff00-\uffef,.;:?，。；：？、]"
_RUN = re.compile(rf"[A-Za-z](?:[A-Za-z]|{_MASK}(?=[A-Za-z]|{_MASK}))*[A-Za-z]")
# A mask between two letters somewhere: one scan in C that nearly every message fails.
_HINT = re.compile(rf"[A-Za-z]{_MASK}+[A-Za-z]")


@dataclass(frozen=True, slots=True)
class _Entry:
    letters: str
    term: Term


def _masked_term(window: str, entries: list[_Entry], whole: bool) -> _Entry | None:
    """The term `window` spells with masks, if any: first and last letters typed, at most
    half masked, every typed letter in place; a `word` term only as the whole run."""
    if not ("a" <= window[0] <= "z" and "a" <= window[-1] <= "z"):
        return None
    masked = [i for i, c in enumerate(window) if not "a" <= c <= "z"]
    if not masked or 2 * len(masked) > len(window):
        return None
    for entry in entries:
        if (whole or entry.term.mode is MatchMode.SUBSTRING) and all(
                window[i] == entry.letters[i] for i in range(len(window)) if i not in masked):
            return entry
    return None


class MaskedLatin:
    def __init__(self, terms: Iterable[Term]) -> None:
        self.by_length: dict[int, list[_Entry]] = {}
        for term in terms:
            letters = term.text.lower()
            if term.category in INSULT_CATEGORIES and not term.parts \
                    and len(letters) >= SHORTEST and letters.isascii() and letters.isalpha():
                self.by_length.setdefault(len(letters), []).append(_Entry(letters, term))

    def find(self, original: str) -> list[Match]:
        if not self.by_length or _HINT.search(original) is None:
            return []
        found = []
        for run in _RUN.finditer(original):
            word = run.group().lower()
            if word.isalpha() and word.isascii():
                continue  # no mask: the ordinary term's business
            for length, entries in self.by_length.items():
                for offset in range(len(word) - length + 1):
                    window = word[offset:offset + length]
                    entry = _masked_term(window, entries, whole=length == len(word))
                    if entry is not None:
                        start = run.start() + offset
                        found.append(self._match(start, start + length,
                                                 original[start:start + length], entry))
        return found

    @staticmethod
    def _match(start: int, end: int, text: str, entry: _Entry) -> Match:
        symbols = ", ".join(f"{c} ({unicodedata.name(c, 'symbol').lower()})"
                            for c in dict.fromkeys(c for c in text if not c.isascii()
                                                   or not c.isalpha()))
        trace = (f"{text}→{entry.letters}: {symbols} inside a latin word, read as the letter "
                 "it masks",)
        term = entry.term
        return Match(term.text, term.category, term.severity, start, end, text,
                     MatchMode.SUBSTRING if term.mode is MatchMode.SUBSTRING else term.mode,
                     "base", trace, True)

"""Look-alike letters and digits from other scripts and letter-like symbols → plain latin letters
and ASCII digits (ѕЬ → sb, 1З8 → 138, wēi xìn → wei xin, ⓢⓑ / 🅢🅑 / 🇸🇧 → sb, ❶❷ / ١٢ → 12, 1️⃣ → 1).

Three Unicode sources, none typed by hand:
- Unicode's confusables table (UTS #39 `confusables.txt`, as shipped by the
  `confusable_homoglyphs` package): a letter or digit of another script whose only plain
  look-alike is one ASCII letter or digit (Cyrillic З → 3, Greek ο → o);
- canonical decompositions: a latin letter with accents or pinyin tone marks (ē, ǜ) → the
  plain letter;
- character names: circled, squared, negative, parenthesised and regional-indicator forms of
  latin letters, which have no NFKC mapping (🅢 NEGATIVE CIRCLED LATIN CAPITAL LETTER S → s);
- digit values: a digit of any script or style (❶, ١, ໑) → its ASCII digit;
- character names again: a symbol named as an X-shaped mark (× MULTIPLICATION SIGN, ✖ HEAVY
  MULTIPLICATION X, ❌ CROSS MARK, ☓ SALTIRE, ✗ BALLOT X) → x, the letter it stands for when
  a character is masked (傻× and 傻❌ are 傻x).
Enclosing combining marks (the keycap U+20E3 of 1️⃣) only decorate the character before them
and are removed. Chinese, Japanese, Korean and bopomofo characters are never mapped.

One-to-one (or a deletion), so it fuses into the translate pass with width, case and script.
"""

from __future__ import annotations

import json
import re
import unicodedata
from importlib import resources

from classifiers.normalize.base import CharMapStep

_RANGES = (range(0x0080, 0x2E80), range(0xA000, 0xAC00), range(0xD7B0, 0xD800),
           range(0xE000, 0xF900), range(0xFB00, 0x10000), range(0x10000, 0x20000))
_LETTER_NAME = re.compile(r"(?:LATIN (?:CAPITAL|SMALL) LETTER|REGIONAL INDICATOR SYMBOL LETTER)"
                          r" ([A-Z])$")
_X_MARK = re.compile(r"^(?:[A-Z ]+ )?(?:MULTIPLICATION (?:SIGN|X)|BALLOT X|SALTIRE|CROSS MARK"
                     r"|CANCELLATION X|DIAGONAL CROSS|SCRIPT X)$")


def unicode_confusables() -> dict[str, list[str]]:
    """Character → its look-alikes, from UTS #39 data shipped by confusable_homoglyphs."""
    raw = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text(
        encoding="utf-8")
    table: dict[str, list[dict[str, str]]] = json.loads(raw)
    return {char: [entry["c"] for entry in entries] for char, entries in table.items()}


def _accented_latin(ch: str) -> str | None:
    """A latin letter carrying only combining marks (the tone marks of pinyin: wēi xìn, lǜ)
    → the plain letter, from its canonical decomposition."""
    decomposed = unicodedata.normalize("NFD", ch)
    if len(decomposed) > 1 and decomposed[0].isascii() and decomposed[0].isalpha() and all(
            unicodedata.combining(mark) for mark in decomposed[1:]):
        return decomposed[0].lower()
    return None


def _plain(target: str) -> str | None:
    if len(target) == 1 and target.isascii() and target.isalnum():
        return target.lower()
    return None


class Confusables(CharMapStep):
    name = "confusables"
    label = "look-alike character"
    undoes_evasion = True

    def build_table(self) -> dict[int, str | None]:
        confusables = unicode_confusables()
        table: dict[int, str | None] = {}
        for codes in _RANGES:
            for code in codes:
                ch = chr(code)
                category = unicodedata.category(ch)
                if category == "Me":
                    table[code] = None
                    continue
                if category[0] not in "LNS":
                    continue
                digit = unicodedata.digit(ch, None)
                if digit is not None:
                    table[code] = str(digit)
                    continue
                name = unicodedata.name(ch, "")
                named = _LETTER_NAME.search(name)
                if named:
                    table[code] = named.group(1).lower()
                    continue
                if _X_MARK.match(name):
                    table[code] = "x"
                    continue
                accented = _accented_latin(ch)
                if accented:
                    table[code] = accented
                    continue
                if category[0] != "S":
                    plain = {p for p in map(_plain, confusables.get(ch, ())) if p}
                    if len(plain) == 1:
                        table[code] = plain.pop()
        return table

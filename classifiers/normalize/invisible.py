"""Zero-width, formatting and control characters removed (傻\u200b逼 → 傻逼).

Format characters (Unicode category Cf: zero-width space/joiners, BOM, bidi marks), variation
selectors, and control characters other than tab/newline carry nothing a reader sees, so they can
only hide a term.
"""

from __future__ import annotations

import unicodedata

from classifiers.normalize.base import CharMapStep

_KEEP_CONTROLS = {"\t", "\n", "\r"}
# Cf and the variation selectors live in the BMP, plane 1 and plane 14.
_CANDIDATES = [*range(0xD800), *range(0xE000, 0x20000), *range(0xE0000, 0xE1000)]


class Invisible(CharMapStep):
    name = "invisible"
    label = "invisible character removed"
    undoes_evasion = True

    def build_table(self) -> dict[int, str | None]:
        table: dict[int, str | None] = {}
        for code in _CANDIDATES:
            ch = chr(code)
            category = unicodedata.category(ch)
            if (category == "Cf" or (category == "Cc" and ch not in _KEEP_CONTROLS)
                    or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF
                    or code in (0x115F, 0x1160, 0x3164, 0xFFA0)):  # Hangul fillers render blank
                table[code] = None
        return table

    def describe(self, before: str, after: str) -> str:
        removed = [f"U+{ord(c):04X}" for c in before if c not in after]
        return f"{after}: invisible {' '.join(removed)} removed"

"""Full-width and compatibility forms → their plain forms (ｓｂ → sb, １３８ → 138, 𝐬𝐛 → sb).

The table is Unicode's own NFKC mapping, restricted to characters whose NFKC form is a single
character, so the step stays one-to-one and offsets need no bookkeeping. Multi-character
compatibility forms (… → ..., ⑴ → (1)) are left as they are.
"""

from __future__ import annotations

import unicodedata

from classifiers.normalize.base import CharMapStep

# BMP plus the mathematical alphanumerics (𝐬𝐛) and enclosed alphanumerics supplement (🅂🄱).
_RANGES = (range(0x0080, 0x10000), range(0x1D400, 0x1D800), range(0x1F100, 0x1F200))


class Width(CharMapStep):
    name = "width"
    label = "full-width/compatibility form"

    def build_table(self) -> dict[int, str | None]:
        table: dict[int, str | None] = {}
        for codes in _RANGES:
            for code in codes:
                ch = chr(code)
                folded = unicodedata.normalize("NFKC", ch)
                if folded != ch and len(folded) == 1:
                    table[code] = folded
        # NFKC leaves the ideographic space and the CJK full stop family alone where they
        # matter to us: the ideographic space is a space for the separator step.
        table[0x3000] = " "
        return table

"""Case folding (SB → sb), one-to-one so it can share a translate pass with other steps."""

from __future__ import annotations

from classifiers.normalize.base import CharMapStep


class Case(CharMapStep):
    name = "case"
    label = "case folded"

    def build_table(self) -> dict[int, str | None]:
        table: dict[int, str | None] = {}
        for code in range(0x41, 0x2C00):
            ch = chr(code)
            lower = ch.lower()
            if lower != ch and len(lower) == 1:
                table[code] = lower
        return table

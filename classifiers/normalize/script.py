"""Traditional → simplified Chinese (傻逼 written 傻逼, 微信 written 微信), via OpenCC.

OpenCC's t2s conversion is asked once per character at build time; the result is a one-to-one
table, so the hot path never calls OpenCC and offsets stay unchanged. Phrase-level conversions
(which would need context) are not needed for matching lexicon terms.
"""

from __future__ import annotations

import opencc

from classifiers.normalize.base import CharMapStep

_CJK = (range(0x3400, 0x4DC0), range(0x4E00, 0xA000), range(0xF900, 0xFB00))


class Script(CharMapStep):
    name = "script"
    label = "traditional → simplified"

    def build_table(self) -> dict[int, str | None]:
        converter = opencc.OpenCC("t2s")
        table: dict[int, str | None] = {}
        for codes in _CJK:
            for code in codes:
                ch = chr(code)
                simplified = converter.convert(ch)
                if simplified != ch and len(simplified) == 1:
                    table[code] = simplified
        return table

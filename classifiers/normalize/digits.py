"""Digit forms unified for the contact-number view (一三八, 幺三八, 壹叁捌 → 138).

This is a VIEW, not a step of the base chain: folding 一 into 1 everywhere would turn 一次性 or
一条 into digits and break lexicon terms, so only the contact detector reads this view.
Full-width and circled digits (１３８, ①) are already plain after the width step.
"""

from __future__ import annotations

from classifiers.normalize.base import CharMapStep

NUMERALS = {
    "0": "零〇○洞",
    "1": "一幺壹妖",
    "2": "二贰",
    "3": "三叁",
    "4": "四肆",
    "5": "五伍",
    "6": "六陆",
    "7": "七柒拐",
    "8": "八捌",
    "9": "九玖勾",
}


class Digits(CharMapStep):
    name = "digits"
    label = "Chinese numerals → digits"

    def build_table(self) -> dict[int, str | None]:
        return {ord(ch): digit for digit, chars in NUMERALS.items() for ch in chars}

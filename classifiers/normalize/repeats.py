"""Repeated characters folded (嗯嗯嗯 → 嗯, ？？？ → ?) for whole-message terms.

Also a VIEW: substring terms with doubled characters (呵呵, 嘻嘻哈哈) are matched on the
unfolded text, so folding never stops them from matching.
"""

from __future__ import annotations

import re

_REPEAT = re.compile(r"(.)\1+", re.DOTALL)


def fold_repeats(text: str) -> str:
    return _REPEAT.sub(r"\1", text)

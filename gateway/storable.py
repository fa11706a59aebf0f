"""Client text that the gateway stores or looks up in the log: ids, notes, filter values.

PostgreSQL refuses NUL in text, and no database driver can encode a lone surrogate (JSON's
`"\\ud800"` decodes to one). Such a value would fail at the database as a write error or, worse,
read as "log down"; it is the client's mistake, so the edge refuses it with a clear message
(a `bad-frame` error frame, an HTTP 422) before anything is written or queried.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def storable(value: str) -> str:
    """`value` unchanged, or ValueError (Chinese, naming the character and its position)."""
    bad = _UNSTORABLE.search(value)
    if bad is not None:
        what = "NUL 字符" if bad.group() == "\x00" else "无效的 Unicode 代理字符"
        raise ValueError(f"不能包含{what}（U+{ord(bad.group()):04X}，第 {bad.start() + 1} 个字符）")
    return value


def is_storable(value: object) -> bool:
    return isinstance(value, str) and _UNSTORABLE.search(value) is None


StorableStr = Annotated[str, AfterValidator(storable)]

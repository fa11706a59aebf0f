"""The plain-data JSON files of the small models that ship beside the tone model (`answer.json`,
`sarcasm.json`): read, and refused with a message naming the file when they are unreadable, of
another kind, or of another format version (which a retrain fixes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from classifiers.errors import ConfigError


def read_weights_file(path: Path, format_name: str, version: int, kind: str,
                      error: type[ConfigError]) -> dict[str, Any]:
    """The file's JSON object; `kind` names the model in messages ("answer model")."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"cannot read {kind}: {exc.strerror}", path=path) from None
    except ValueError as exc:
        raise error(f"{kind} is not JSON: {exc}", path=path) from None
    if not isinstance(data, dict) or data.get("format") != format_name:
        raise error(f"not a ReplyGuard {kind}", path=path)
    if data.get("format_version") != version:
        raise error(f"{kind} format version {data.get('format_version')!r} is not supported "
                    f"(this ReplyGuard reads version {version}); retrain it with "
                    "`replyguard train`", path=path)
    return data

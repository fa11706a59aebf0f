"""Client frame text → a typed `ClientFrame`, or the specific FrameError saying what is wrong."""

from __future__ import annotations

import json

from pydantic import ValidationError

from gateway import errors
from gateway.protocol import CLIENT_FRAMES, CLIENT_TYPES, ClientFrame


def check_size(raw: str, limit: int) -> None:
    size = len(raw.encode("utf-8"))
    if size > limit:
        raise errors.FrameTooLarge(f"帧过大：{size} 字节（上限 {limit} 字节）")


def parse(raw: str) -> ClientFrame:
    """One client frame from its JSON text; raises BadJson, UnknownType or BadFrame (the id, when
    readable, is on the exception as `frame_id` so the error frame can echo it)."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise errors.BadJson("帧不是合法的 JSON") from None
    if not isinstance(data, dict):
        raise errors.BadJson("帧必须是 JSON 对象")
    frame_id = data.get("id") if isinstance(data.get("id"), str) else None
    kind = data.get("type")
    if kind is None:
        raise errors.UnknownType("帧缺少 type 字段", frame_id=frame_id)
    if not isinstance(kind, str) or kind not in CLIENT_TYPES:
        # quoted as JSON, the client's own notation
        raise errors.UnknownType(f"未知的帧类型：{json.dumps(kind, ensure_ascii=False)}",
                                 frame_id=frame_id)
    try:
        return CLIENT_FRAMES.validate_python(data)
    except ValidationError as exc:
        fields = "，".join(".".join(str(p) for p in e["loc"][1:]) or str(kind)
                          for e in exc.errors())
        raise errors.BadFrame(f"字段缺失或无效：{fields}", frame_id=frame_id) from None

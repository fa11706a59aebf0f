"""The wire format module and its documentation stay in step."""

from __future__ import annotations

import ast
import json
import typing
from pathlib import Path

import pytest
from pydantic import ValidationError

from classifiers.results import Match
from classifiers.tiers import Tier
from gateway import errors
from gateway.protocol import (
    CLIENT_TYPES,
    ClientFrame,
    CloseCode,
    Error,
    ErrorCode,
    MatchOut,
    ServerFrame,
    VerdictFrame,
    dump,
    parse,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def frame_types(union: object) -> set[str]:
    members = typing.get_args(typing.get_args(union)[0])
    return {m.model_fields["type"].default for m in members}


def test_protocol_every_frame_type_is_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for kind in frame_types(ClientFrame) | frame_types(ServerFrame):
        assert f"### {kind}" in doc, kind
    for code in ErrorCode:
        assert f"| {code.value} |" in doc, code
    for close in CloseCode:
        assert f"| {int(close)} |" in doc, close


def test_protocol_client_types_match_the_union() -> None:
    assert frame_types(ClientFrame) == CLIENT_TYPES


GATEWAY = Path(__file__).resolve().parents[2] / "gateway"


def _calls(attribute: str) -> list[str]:
    """Every module of gateway/ that calls `<something>.attribute(...)`."""
    found = []
    for path in sorted(GATEWAY.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == attribute:
                found.append(str(path.relative_to(GATEWAY)))
    return sorted(set(found))


def test_protocol_dump_is_the_one_serialisation_point() -> None:
    """Frames become text only in protocol.dump (one set of options), and reach a socket only
    through Connection (issue 14: nine places, three sets of options)."""
    assert _calls("model_dump_json") == ["protocol.py"]
    for send in ("send_text", "send_json", "send_bytes"):
        assert set(_calls(send)) <= {"chat/connection.py"}, send
    chat = GATEWAY / "chat"
    assert not [p.name for p in chat.rglob("*.py") if "json.dumps" in p.read_text("utf-8")]


def test_protocol_absent_never_null() -> None:
    error = json.loads(dump(Error(code=ErrorCode.BAD_JSON, message="帧不是合法的 JSON")))
    assert "id" not in error
    verdict = json.loads(dump(VerdictFrame(id="r1", tier=Tier.NONE, delivered=True,
                                           version="v1")))
    assert verdict == {"type": "verdict", "id": "r1", "tier": "none", "delivered": True,
                       "categories": [], "matches": [], "actions": [], "version": "v1"}


def test_protocol_verdict_tier_and_matches_are_typed() -> None:
    with pytest.raises(ValidationError):
        VerdictFrame(id="r1", tier="loud", delivered=True, version="v1")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        VerdictFrame.model_validate({"id": "r1", "tier": "none", "delivered": True,
                                     "version": "v1", "matches": [{"term": "x"}]})
    match = Match("微信", "off_platform", 3, 2, 4, "薇信", view="pinyin", evasion=True)
    frame = VerdictFrame(id="r1", tier=Tier.BLOCK, delivered=False, version="v1",
                         matches=[MatchOut.of(match)], escalation="repeat-attitude")
    assert json.loads(dump(frame))["matches"] == [match.to_dict()]
    assert frame.tier is Tier.BLOCK


@pytest.mark.parametrize(("raw", "error", "text"), [
    ("{", errors.BadJson, "帧不是合法的 JSON"),
    ("[]", errors.BadJson, "帧必须是 JSON 对象"),
    ('{"id": "m1"}', errors.UnknownType, "帧缺少 type 字段"),
    ('{"type": ["message"]}', errors.UnknownType, '未知的帧类型：["message"]'),
    ('{"type": "hello", "id": "m1"}', errors.UnknownType, '未知的帧类型："hello"'),
    ('{"type": "message", "id": "m1"}', errors.BadFrame, "字段缺失或无效：text"),
])
def test_protocol_parse_says_what_is_wrong(raw: str, error: type[errors.FrameError],
                                           text: str) -> None:
    with pytest.raises(error) as caught:
        parse(raw)
    assert caught.value.message == text

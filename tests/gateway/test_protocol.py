"""The wire format module and its documentation stay in step."""

from __future__ import annotations

import typing
from pathlib import Path

from gateway.protocol import CLIENT_TYPES, ClientFrame, CloseCode, ErrorCode, ServerFrame

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

"""Client-side helpers for protocol tests: what a client that only read docs/protocol.md does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

Frame = dict[str, Any]


def assert_no_null(value: Any, path: str = "frame") -> None:
    """docs/protocol.md: a field without a value is absent, never null."""
    assert value is not None, f"{path} is null"
    if isinstance(value, dict):
        for key, item in value.items():
            assert_no_null(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_no_null(item, f"{path}[{index}]")


class Peer:
    """One websocket client. `expect(type)` reads the next frame and checks its type."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._pending: list[Frame] = []  # frames that arrived while waiting for a pong

    def send(self, **frame: Any) -> None:
        self.session.send_json(frame)

    def send_text(self, raw: str) -> None:
        self.session.send_text(raw)

    def recv(self) -> Frame:
        if self._pending:
            return self._pending.pop(0)
        frame: Frame = self.session.receive_json()
        assert_no_null(frame)
        return frame

    def expect(self, kind: str, **fields: Any) -> Frame:
        frame = self.recv()
        assert frame["type"] == kind, frame
        for name, value in fields.items():
            assert frame.get(name) == value, (name, frame)
        return frame

    def sync(self) -> None:
        """Everything this peer sent so far has been handled (frames are handled in order)."""
        self.send(type="ping")
        while (frame := self.session.receive_json())["type"] != "pong":
            assert_no_null(frame)
            self._pending.append(frame)

    def arrived(self) -> list[Frame]:
        """Every frame that arrived so far (those ahead of the answer to a ping): a check that
        fails instead of waiting for a frame that never comes."""
        self.sync()
        frames, self._pending = self._pending, []
        return frames

    def idle(self) -> None:
        """Nothing arrived for this peer: its next frame is the answer to a ping."""
        self.send(type="ping")
        self.expect("pong")

    def say(self, message_id: str, text: str, conversation: str | None = None,
            **extra: Any) -> Frame:
        """Send a message and return its verdict (the next frame)."""
        frame: Frame = {"type": "message", "id": message_id, "text": text, **extra}
        if conversation is not None:
            frame["conversation"] = conversation
        self.session.send_json(frame)
        return self.expect("verdict", id=message_id)


@contextmanager
def connect(client: TestClient, token: str) -> Iterator[Peer]:
    with client.websocket_connect(f"/ws?token={token}") as session:
        peer = Peer(session)
        peer.sync()  # the connection (and a shop-side user's presence) is set up
        yield peer


@contextmanager
def assigned_chat(client: TestClient, agent_token: str, buyer_token: str,
                  conversation: str) -> Iterator[tuple[Peer, Peer]]:
    """An agent online and a buyer whose first message put `conversation` in its hands."""
    with connect(client, agent_token) as agent, connect(client, buyer_token) as buyer:
        buyer.say("m0", "你好，请问有货吗")
        agent.expect("assigned", conversation=conversation)
        agent.expect("message", id="m0")
        yield agent, buyer


def close_code(client: TestClient, url: str, headers: dict[str, str] | None = None) -> int:
    """The close code the gateway ends a connection with before any frame."""
    with client.websocket_connect(url, headers=headers or {}) as session:
        try:
            session.receive_text()
        except WebSocketDisconnect as exc:
            return exc.code
    raise AssertionError("the connection stayed open")

"""Fuzzing the websocket with hypothesis against a real app: frames of every structure, type,
size and encoding, with odd ids, sent by an agent with an assigned conversation.

For every frame the gateway answers as docs/protocol.md says — a verdict, an ok, a pong or an
error frame, each a valid server frame — and the connection survives: after each frame a ping
still gets its pong. Nothing is answered with `internal` (that is a gateway bug).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from gateway.protocol import CLIENT_TYPES, SERVER_FRAMES
from tests.conftest import TokenFor
from tests.gateway.wire import Peer, assigned_chat

pytestmark = pytest.mark.issue(18)

CONV = "s1:b1"
EXAMPLES = 300
# frames the gateway sends on its own (not as the answer to a client frame)
UNSOLICITED = {"notice", "system", "assigned", "unassigned", "message"}
REPLIES = ["亲，有货的", "好的", "不知道", "呵呵", "加我薇信", "傻逼", "在吗"]

# every code point, lone surrogates and controls included
any_char = st.characters(codec=None, categories=None)
odd_text = st.one_of(
    st.text(max_size=40), st.text(any_char, max_size=40), st.sampled_from(REPLIES),
    st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "\udfff", "🙂" * 3, "\u202e"]),
    st.text(min_size=3000, max_size=3200))  # over the 8 KiB frame limit in UTF-8
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | odd_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=12)
ids = st.one_of(st.sampled_from(["r1", "r2", "m1", "x"]), odd_text, json_values,
                st.text(min_size=65, max_size=70))
types = st.one_of(st.sampled_from(sorted(CLIENT_TYPES)), st.sampled_from(["", "shout", "MESSAGE"]),
                  json_values)
frames = st.fixed_dictionaries(
    {"type": types},
    optional={"id": ids, "text": odd_text | json_values,
              "conversation": st.sampled_from([CONV, "s2:b1", "s1:b9", "", "s1:\x00"]) | ids,
              "replaces": ids, "note": odd_text, "status": st.sampled_from(["online", "away",
                                                                            "sleep"]) | ids,
              "on": json_values, "extra": json_values})


def encode(frame: Any, ascii_only: bool) -> str:
    # a lone surrogate can only travel escaped (the wire is UTF-8)
    return json.dumps(frame, ensure_ascii=ascii_only or not _encodable(frame))


def _encodable(frame: Any) -> bool:
    try:
        json.dumps(frame, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


payloads = st.one_of(
    st.tuples(st.just("text"), st.builds(encode, frames, st.booleans())),
    st.tuples(st.just("text"), st.builds(encode, json_values, st.booleans())),
    st.tuples(st.just("text"), st.text(max_size=200)),  # not JSON at all
    st.tuples(st.just("text"), st.integers(1, 6000).map(lambda d: "[" * d + "]" * d)),
    st.tuples(st.just("text"), st.integers(1, 3000).map(
        lambda d: '{"type": "message", "id": "d", "text": ' + "[" * d + "]" * d + "}")),
    st.tuples(st.just("bytes"), st.binary(max_size=200)),
    st.tuples(st.just("bytes"), st.builds(lambda f: json.dumps(f).encode(), frames)),
)


@pytest.fixture
def agent(gateway_client: TestClient, token_for: TokenFor) -> Iterator[Peer]:
    with assigned_chat(gateway_client, token_for("agent", "a1", "s1"),
                       token_for("buyer", "b1", "s1"), CONV) as (peer, _):
        yield peer


def answers_until_pong(agent: Peer, *, ping: bool = True) -> list[dict[str, Any]]:
    """Frames up to the next pong (of a sync ping sent now, unless `ping` is False), each
    checked to be a valid server frame."""
    if ping:
        agent.session.send_json({"type": "ping"})
    seen: list[dict[str, Any]] = []
    while True:
        frame: dict[str, Any] = agent.session.receive_json()
        SERVER_FRAMES.validate_python(frame)
        if frame["type"] == "pong":
            return seen
        if frame["type"] not in UNSOLICITED:
            seen.append(frame)


def test_endpoint_fuzzed_frames_are_answered_and_the_connection_survives(agent: Peer) -> None:
    @given(payloads)
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(payload: tuple[str, str | bytes]) -> None:
        kind, data = payload
        if kind == "bytes":
            assert isinstance(data, bytes)
            agent.session.send_bytes(data)
        else:
            assert isinstance(data, str)
            agent.session.send_text(data)
        answers = answers_until_pong(agent)
        if isinstance(data, str) and _is_ping(data):
            assert answers == [], answers  # its pong was the one just read; ours follows
            answers = [{"type": "pong"}, *answers_until_pong(agent, ping=False)]
        assert answers, f"no answer to {data!r:.200}"
        assert len(answers) == 1, answers
        [answer] = answers
        assert answer["type"] in ("verdict", "ok", "pong", "error"), answer
        assert answer.get("code") != "internal", (answer, data)
        if kind == "bytes":  # the protocol is JSON text: bytes are refused, never guessed at
            assert answer["type"] == "error" and answer["code"] == "bad-json", answer

    run()


def _is_ping(data: str) -> bool:
    try:
        return bool(json.loads(data) == {"type": "ping"})
    except (ValueError, RecursionError):
        return False

"""Upstream proxy mode against a small chat server written for these tests: released messages go
up as written, held and blocked ones never do, everything from upstream comes down untouched,
and the link survives the upstream server going away."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve

from tests.conftest import ClientFactory, TokenFor, free_port
from tests.gateway.wire import Peer


class ChatServer:
    """The upstream: records every frame it receives (with the headers of the connection that
    sent it) and can push frames to every connected client. Runs on its own thread and loop,
    and can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.clients: set[ServerConnection] = set()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: Server | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/chat"

    async def _handler(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        self.headers.append({k.lower(): v for k, v in connection.request.headers.raw_items()})
        self.clients.add(connection)
        try:
            async for raw in connection:
                self.received.append(json.loads(raw))
        finally:
            self.clients.discard(connection)

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    def start(self) -> None:
        async def up() -> Server:
            return await serve(self._handler, "127.0.0.1", self.port)
        self.server = self._call(up())

    def stop(self) -> None:
        async def down(server: Server) -> None:
            server.close()
            await server.wait_closed()
        if self.server is not None:
            self._call(down(self.server))
            self.server = None

    def drop(self) -> None:
        """Cut every client connection at once, as a crashing or restarting server does (no
        closing handshake: what was in flight is gone)."""
        async def cut() -> None:
            for client in list(self.clients):
                client.transport.abort()
        self._call(cut())

    def freeze(self) -> None:
        """Stop reading from every client connection, as a server too busy to read does: what
        the gateway sends meanwhile waits in the kernel, and a `drop` then loses it."""
        async def pause() -> None:
            for client in list(self.clients):
                client.transport.pause_reading()
        self._call(pause())

    def push(self, frame: dict[str, Any]) -> None:
        async def send() -> None:
            for client in list(self.clients):
                await client.send(json.dumps(frame, ensure_ascii=False))
        self._call(send())

    def close(self) -> None:
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


@pytest.fixture
def upstream() -> Iterator[ChatServer]:
    server = ChatServer()
    server.start()
    yield server
    server.close()


def texts(server: ChatServer) -> list[str]:
    return [f["text"] for f in server.received if f.get("type") == "message"]


def agent_peer(client_factory: ClientFactory, token_for: TokenFor, url: str) -> Any:
    client = client_factory(upstream_url=url)
    token = token_for("agent", "a1", "s1")
    return client.websocket_connect(f"/ws?token={token}&upstream_token=platform-secret")


def test_released_messages_go_up_as_written(client_factory: ClientFactory,
                                            token_for: TokenFor,
                                            upstream: ChatServer) -> None:
    with agent_peer(client_factory, token_for, upstream.url) as session:
        agent = Peer(session)
        wait_for(lambda: len(upstream.clients) == 1)
        verdict = agent.say("r1", "亲，有货的，今天下单明天发货", "conv-77")
        assert (verdict["tier"], verdict["delivered"]) == ("none", True)
        wait_for(lambda: len(upstream.received) == 1)
        assert upstream.received == [{"type": "message", "id": "r1", "conversation": "conv-77",
                                      "text": "亲，有货的，今天下单明天发货"}]
    headers = upstream.headers[0]
    assert headers["authorization"] == "Bearer platform-secret"
    assert (headers["x-replyguard-user"], headers["x-replyguard-shop"],
            headers["x-replyguard-role"]) == ("a1", "s1", "agent")


def test_held_and_blocked_messages_never_go_up(client_factory: ClientFactory,
                                               token_for: TokenFor,
                                               upstream: ChatServer) -> None:
    with agent_peer(client_factory, token_for, upstream.url) as session:
        agent = Peer(session)
        wait_for(lambda: len(upstream.clients) == 1)
        assert agent.say("b1", "加我薇信聊", "c1")["tier"] == "block"
        assert agent.say("w1", "傻逼", "c1")["tier"] == "block-with-warning"
        assert agent.say("h1", "呵呵", "c2")["tier"] == "force-edit"
        agent.send(type="send-anyway", id="h1")
        agent.expect("error", code="edit-required")
        held = agent.say("s1", "不知道", "c3")
        assert (held["tier"], held["delivered"]) == ("suggest-edit", False)
        agent.sync()
        assert upstream.received == []
        # an edit that passes, and send-anyway on suggest-edit, do go up
        assert agent.say("h2", "亲，这个问题我帮您查一下", "c2", replaces="h1")["delivered"]
        agent.send(type="send-anyway", id="s1")
        agent.expect("ok", action="send-anyway")
        wait_for(lambda: len(upstream.received) == 2)
    assert texts(upstream) == ["亲，这个问题我帮您查一下", "不知道"]


def test_upstream_frames_come_down_untouched(client_factory: ClientFactory,
                                             token_for: TokenFor,
                                             upstream: ChatServer) -> None:
    frames: list[dict[str, Any]] = [
        {"type": "message", "conversation": "c9", "from": {"role": "buyer", "user": "u9"},
         "text": "在吗？能便宜点吗"},
        {"type": "typing", "conversation": "c9", "vendor_field": [1, 2, 3]}]
    with agent_peer(client_factory, token_for, upstream.url) as session:
        agent = Peer(session)
        wait_for(lambda: len(upstream.clients) == 1)
        for frame in frames:
            upstream.push(frame)
        assert [agent.recv(), agent.recv()] == frames


def test_agent_frames_the_gateway_does_not_know_are_refused_not_forwarded(
        client_factory: ClientFactory, token_for: TokenFor, upstream: ChatServer) -> None:
    with agent_peer(client_factory, token_for, upstream.url) as session:
        agent = Peer(session)
        wait_for(lambda: len(upstream.clients) == 1)
        agent.send(type="msg", conversation="c1", text="加我薇信")  # would dodge moderation
        agent.expect("error", code="unknown-type")
        agent.sync()
    assert upstream.received == []


def test_link_reconnects_and_sends_what_was_released_meanwhile(
        client_factory: ClientFactory, token_for: TokenFor, upstream: ChatServer) -> None:
    with agent_peer(client_factory, token_for, upstream.url) as session:
        agent = Peer(session)
        wait_for(lambda: len(upstream.clients) == 1)
        upstream.stop()
        agent.expect("system", code="upstream-reconnecting")
        for n in range(3):
            assert agent.say(f"q{n}", f"亲，第{n}个问题已经记录", "c1")["delivered"]
        assert agent.say("x", "加我薇信", "c1")["delivered"] is False
        upstream.start()
        agent.expect("system", code="upstream-connected")
        wait_for(lambda: len(upstream.received) == 3)
        assert agent.say("q3", "亲，已经为您处理好了", "c1")["delivered"]
        wait_for(lambda: len(upstream.received) == 4)
    assert texts(upstream) == ["亲，第0个问题已经记录", "亲，第1个问题已经记录",
                               "亲，第2个问题已经记录", "亲，已经为您处理好了"]


def test_upstream_down_with_a_full_buffer_refuses_instead_of_dropping(
        client_factory: ClientFactory, token_for: TokenFor) -> None:
    client = client_factory(upstream_url=f"ws://127.0.0.1:{free_port()}/nobody",
                            upstream_buffer=2, upstream_drain_s=0.2)
    with client.websocket_connect(f"/ws?token={token_for('agent', 'a1', 's1')}") as session:
        agent = Peer(session)
        agent.expect("system", code="upstream-reconnecting")
        assert agent.say("m1", "亲，收到您的订单信息了", "c1")["delivered"]
        assert agent.say("m2", "亲，好的，已经为您备注", "c1")["delivered"]
        agent.send(type="message", id="m3", conversation="c1", text="亲，马上处理")
        agent.expect("error", code="upstream-unavailable", id="m3")
        agent.idle()  # the connection stays open


def test_messages_in_flight_when_upstream_dies_are_sent_again(
        client_factory: ClientFactory, token_for: TokenFor, upstream: ChatServer) -> None:
    """Messages the upstream server had not read when its connection died (still in the
    kernel's buffers, never seen by the server) go up again, with their ids, after the link
    reconnects: a message the agent was told was delivered is never lost on the way."""
    with agent_peer(client_factory, token_for, upstream.url) as session:
        agent = Peer(session)
        wait_for(lambda: len(upstream.clients) == 1)
        assert agent.say("f0", "亲，您好，在的", "c1")["delivered"]
        wait_for(lambda: len(upstream.received) == 1)
        upstream.freeze()
        for n in range(1, 4):
            assert agent.say(f"f{n}", f"亲，第{n}件已经发货了", "c1")["delivered"]
        upstream.drop()
        agent.expect("system", code="upstream-reconnecting")
        agent.expect("system", code="upstream-connected")
        wait_for(lambda: {"f1", "f2", "f3"} <= {f["id"] for f in upstream.received})
    ids = [f["id"] for f in upstream.received]
    assert ids == ["f0", "f1", "f2", "f3"], "each sent once more, in order, ids unchanged"


def released_while_down(agent: Peer, upstream: ChatServer, prefix: str) -> None:
    """Upstream goes down under a connected agent, which then writes two messages the gateway
    releases (`{prefix}0`, `{prefix}1`): they wait in the agent's link."""
    wait_for(lambda: len(upstream.clients) == 1)
    upstream.stop()
    upstream.drop()
    agent.expect("system", code="upstream-reconnecting")
    for n in range(2):
        assert agent.say(f"{prefix}{n}", f"亲，第{n}个订单已经改好地址", "c1")["delivered"]


def test_messages_buffered_when_the_agent_leaves_still_go_up(
        client_factory: ClientFactory, token_for: TokenFor, upstream: ChatServer) -> None:
    """An agent that disconnects while upstream is down does not take its released messages
    with it: the link stays up to drain them once upstream is back."""
    with agent_peer(client_factory, token_for, upstream.url) as session:
        released_while_down(Peer(session), upstream, "d")
        upstream.start()
    wait_for(lambda: len(upstream.received) == 2)
    assert [f["id"] for f in upstream.received] == ["d0", "d1"]


def test_reconnecting_agent_messages_go_up_after_those_its_old_link_still_drains(
        client_factory: ClientFactory, token_for: TokenFor, upstream: ChatServer) -> None:
    """An agent leaves while upstream is down (two released messages wait in its link, which
    drains in the background, its reconnect backoff growing) and comes back once upstream is
    up: its new link takes the old one's messages over and sends them first, so upstream
    reads them before what the agent writes on the new connection, not after the old link's
    next retry."""
    client = client_factory(upstream_url=upstream.url, upstream_drain_s=30)
    url = f"/ws?token={token_for('agent', 'a1', 's1')}"
    with client.websocket_connect(url) as session:
        released_while_down(Peer(session), upstream, "o")
    time.sleep(2.5)  # the old link's backoff is now over a second
    upstream.start()
    with client.websocket_connect(url) as session:
        agent = Peer(session)
        assert agent.say("n0", "亲，还有什么可以帮您", "c1")["delivered"]
        wait_for(lambda: {"o0", "o1", "n0"} <= {f["id"] for f in upstream.received})
    first_seen = list(dict.fromkeys(f["id"] for f in upstream.received))
    assert first_seen == ["o0", "o1", "n0"]

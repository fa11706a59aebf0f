"""The websocket endpoint `/ws`: authenticate, then read frames and dispatch them one at a time.

The token comes from `?token=` or `Authorization: Bearer`. A bad one closes the socket with 4401
before any frame; a role that may not chat (supervisor, qa) with 4403. A reconnecting buyer adds
`?after=`, the id of the last message it received, and gets what it missed first
(`Pending.resume`). Each frame is size-checked, rate-limited, parsed and handed to its service;
a recoverable error becomes an error frame (`gateway.error_handlers`) and the connection stays
open.
"""

from __future__ import annotations

import logging

from starlette.websockets import WebSocket, WebSocketDisconnect

from gateway.auth import Principal, bearer
from gateway.chat.connection import Connection
from gateway.chat.ratelimit import TokenBucket
from gateway.chat.upstream import UpstreamLink
from gateway.error_handlers import close_code, error_frame
from gateway.errors import BadFrame, BadJson, Forbidden, RateLimited, StateUnavailable, Unauthorized
from gateway.protocol import (
    Ack,
    Appeal,
    Assist,
    ClientFrame,
    CloseCode,
    MessageIn,
    Ping,
    Pong,
    Presence,
    SendAnyway,
    System,
    check_size,
    parse,
    resume_after,
)
from gateway.runtime import Gateway

log = logging.getLogger("replyguard.relay")


def authenticate(websocket: WebSocket, gateway: Gateway) -> Principal:
    token = websocket.query_params.get("token") or bearer(websocket.headers.get("authorization"))
    if not token:
        raise Unauthorized("缺少令牌")
    principal = gateway.tokens.verify(token)
    if principal.role.value not in ("agent", "bot", "buyer"):
        raise Forbidden("该角色不能连接聊天网关")
    return principal


async def websocket_endpoint(websocket: WebSocket) -> None:
    gateway: Gateway = websocket.app.state.gateway
    await websocket.accept()
    if gateway.draining:
        await websocket.close(int(CloseCode.GOING_AWAY))
        return
    try:
        principal = authenticate(websocket, gateway)
    except (Unauthorized, Forbidden) as exc:
        # The reason is the message (e.g. a token signed with another secret says so); these
        # messages are short enough for a close frame's 123 bytes.
        await websocket.close(int(close_code(exc)), reason=str(exc))
        return
    settings = gateway.settings
    connection = Connection(websocket, principal,
                            TokenBucket(settings.rate_per_s, settings.rate_burst),
                            settings.close_timeout_s)
    connection.start()
    after = resume_point(gateway, connection)
    if after is not None:  # what arrives from now on waits behind what the buyer missed
        connection.hold()
    if settings.upstream_url and principal.role.shop_side:
        connection.upstream = await open_upstream(websocket, connection, gateway,
                                                  settings.upstream_url)
    await gateway.hub.attach(connection)
    gateway.metrics.connections.labels(str(principal.role)).inc()
    log.info("%s %s of shop %s connected", principal.role, principal.user, principal.shop)
    try:
        try:
            await gateway.pending.resume(connection, after)
        except StateUnavailable as exc:
            if after is None:
                raise
            # the buyer cannot be told what it missed: it reconnects with the same `after`
            refuse(gateway, connection, exc)
            connection.close(CloseCode.TRY_AGAIN_LATER)
        try:
            await gateway.presence.connected(connection)
        except StateUnavailable as exc:
            # without its presence an agent would get no buyers: it reconnects when Redis is back
            refuse(gateway, connection, exc)
            connection.close(CloseCode.TRY_AGAIN_LATER)
        while not connection.closing:
            try:
                message = await connection.receive()
            except TimeoutError:  # closed, and the client did not take the close: given up
                break
            if message["type"] == "websocket.disconnect":
                break
            raw = message.get("text")
            if raw is None:  # a binary frame: the protocol is JSON text, decoding would guess
                refuse(gateway, connection, BadJson("只接受文本帧（JSON），不接受二进制帧"))
                continue
            await handle(gateway, connection, raw)
    except WebSocketDisconnect:
        pass
    finally:
        if connection.upstream is not None:  # first: no await, so no cancellation, before it
            gateway.release_upstream(connection.upstream)
        await gateway.hub.detach(connection)
        gateway.metrics.connections.labels(str(principal.role)).dec()
        try:
            await gateway.presence.disconnected(connection)
        except StateUnavailable:
            # Redis is down: the presence expires by its TTL; the socket must still be released
            log.warning("%s %s of shop %s: presence left to expire (shared state unavailable)",
                        principal.role, principal.user, principal.shop)
        await connection.closed()  # a close the gateway started goes out first (or times out)
        await connection.stop()
        log.info("%s %s of shop %s disconnected", principal.role, principal.user,
                 principal.shop)


def resume_point(gateway: Gateway, connection: Connection) -> str | None:
    """A buyer's `?after=` (`protocol.resume_after`); a bad one, or one from a shop-side client
    (its `assigned` frames carry the history instead), is answered with an error frame and
    replays nothing."""
    raw = connection.websocket.query_params.get("after")
    try:
        if raw is not None and connection.principal.role.shop_side:
            raise BadFrame("after 仅用于买家；客服重新连接时 assigned 帧带有会话的近期消息")
        return resume_after(raw)
    except BadFrame as exc:
        refuse(gateway, connection, exc)
        return None


_UPSTREAM_STATUS = {
    "reconnecting": "上游聊天服务器连接中断，正在重连；已放行的消息将在恢复后按顺序发出",
    "connected": "上游聊天服务器已恢复连接",
}


async def open_upstream(websocket: WebSocket, connection: Connection, gateway: Gateway,
                        url: str) -> UpstreamLink:
    """Proxy mode: this agent's link to the upstream chat server; what comes down is passed
    to the agent untouched. It first takes over the messages of the agent's links still
    draining here, so they reach upstream before anything written on this connection."""
    settings = gateway.settings

    def status(state: str) -> None:
        connection.send(System(code=f"upstream-{state}", text=_UPSTREAM_STATUS[state]))

    link = UpstreamLink(url, connection.principal, deliver=connection.forward,
                        status=status, token=websocket.query_params.get("upstream_token"),
                        buffer=settings.upstream_buffer, drain=settings.upstream_drain_s)
    for old in gateway.draining_upstream(connection.principal):
        await link.take_over(old)
    link.start()
    return link


async def handle(gateway: Gateway, connection: Connection, raw: str) -> None:
    """One client frame; every error it raises is answered with an error frame."""
    frame_id = None
    try:
        check_size(raw, gateway.settings.max_frame_bytes)
        if not connection.bucket.take():
            raise RateLimited("发送过于频繁，请稍后再试")
        frame = parse(raw)
        frame_id = getattr(frame, "id", None)
        await gateway.presence.heartbeat(connection)
        await dispatch(gateway, connection, frame)
    except Exception as exc:
        refuse(gateway, connection, exc, frame_id)


def refuse(gateway: Gateway, connection: Connection, exc: Exception,
           frame_id: str | None = None) -> None:
    error = error_frame(exc, frame_id)
    gateway.metrics.frame_errors.labels(str(error.code)).inc()
    connection.send(error)


async def dispatch(gateway: Gateway, connection: Connection, frame: ClientFrame) -> None:
    if isinstance(frame, MessageIn):
        await gateway.messages.handle(connection, frame)
        return
    if isinstance(frame, Ping):
        connection.send(Pong())
        await gateway.presence.ping(connection)
        return
    if isinstance(frame, Presence):
        await gateway.presence.update(connection, frame)
        return
    if not connection.principal.role.shop_side:
        raise Forbidden(f"买家不能发送 {frame.type}", frame_id=getattr(frame, "id", None))
    if isinstance(frame, SendAnyway):
        await gateway.actions.send_anyway(connection, frame)
    elif isinstance(frame, Ack):
        await gateway.actions.ack(connection, frame)
    elif isinstance(frame, Appeal):
        await gateway.actions.appeal(connection, frame)
    elif isinstance(frame, Assist):
        await gateway.actions.assist(connection, frame)

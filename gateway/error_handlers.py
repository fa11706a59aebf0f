"""The one place exceptions become error frames, close codes and HTTP responses.

`TREATMENTS` has one row per exception class: its wire error code, its HTTP status, whether a
websocket closes on it (and with which code) rather than answering with an error frame, and the
Chinese text the user sees. A row is found by walking the exception's MRO (like Starlette's
exception middleware), so a subclass without a row of its own is treated as its parent; a test
checks that every class has its own row anyway.

What the user reads: a `GatewayError` carries its own message, written in Chinese where it is
raised. Errors of other layers (`classifiers.errors`, `gateway.log`) are the operator's language,
so the user gets the row's Chinese text, followed by the exception's detail only where that
detail is the user's business (the refused text, the file:line of a bad configuration); the rest
(a driver's error) goes to the log. Every HTTP error body is `{"detail": text, "code": error
code}` (plus `where`/`problems` for a configuration error, `errors` for a validation error).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from classifiers.errors import (
    ClassifierError,
    ConfigError,
    InputError,
    LexiconError,
    NotBuiltError,
    PolicyError,
)
from classifiers.intent.classifier import IntentModelError
from classifiers.tone.answer import AnswerModelError
from classifiers.tone.classifier import ToneModelError
from classifiers.tone.sarcasm import SarcasmModelError
from gateway import errors
from gateway.log import (
    InvalidCursor,
    RecordConflict,
    RecordNotFound,
    StoreError,
    StoreUnavailable,
    ValueRejected,
)
from gateway.protocol import CloseCode, Error, ErrorCode

log = logging.getLogger("replyguard.errors")


@dataclass(frozen=True, slots=True)
class Treatment:
    """What one exception class becomes.

    `close`: on a websocket before its first frame, the connection closes with this code (None:
    an error frame answers and the socket stays open). `detail`: the exception's own message
    follows `text` (foreign exceptions only; a GatewayError's message replaces `text`)."""

    code: ErrorCode
    status: int
    text: str
    close: CloseCode | None = None
    detail: bool = False
    # the exception's message is the operator's (hosts, ports, driver text): logged, never shown
    private: bool = False


INTERNAL = Treatment(ErrorCode.INTERNAL, 500, "网关内部错误", CloseCode.INTERNAL_ERROR)

TREATMENTS: dict[type[BaseException], Treatment] = {
    # --- the gateway's own (gateway/errors.py); the message is the exception's
    errors.GatewayError: INTERNAL,
    errors.Unauthorized: Treatment(ErrorCode.UNAUTHORIZED, 401, "令牌无效",
                                   CloseCode.UNAUTHORIZED),
    errors.Forbidden: Treatment(ErrorCode.FORBIDDEN, 403, "无权执行此操作", CloseCode.FORBIDDEN),
    errors.StateUnavailable: Treatment(ErrorCode.STATE_UNAVAILABLE, 503,
                                       "共享状态暂时不可用，请稍后重试", private=True),
    errors.NotFound: Treatment(ErrorCode.NOT_FOUND, 404, "没有找到"),
    errors.InvalidRequest: Treatment(ErrorCode.INVALID_REQUEST, 422, "请求无效"),
    errors.ConfigRejected: Treatment(ErrorCode.INVALID_CONFIG, 422, "配置修改未生效"),
    errors.FrameError: Treatment(ErrorCode.BAD_FRAME, 400, "帧无效"),
    errors.BadJson: Treatment(ErrorCode.BAD_JSON, 400, "帧不是 JSON 对象"),
    errors.UnknownType: Treatment(ErrorCode.UNKNOWN_TYPE, 400, "未知的帧类型"),
    errors.BadFrame: Treatment(ErrorCode.BAD_FRAME, 400, "字段缺失或无效"),
    errors.FrameTooLarge: Treatment(ErrorCode.TOO_LARGE, 413, "帧过大"),
    errors.RateLimited: Treatment(ErrorCode.RATE_LIMITED, 429, "发送过于频繁，请稍后再试"),
    errors.WarningUnacknowledged: Treatment(ErrorCode.WARNING_UNACKNOWLEDGED, 409,
                                            "请先确认警告"),
    errors.UnknownMessage: Treatment(ErrorCode.UNKNOWN_MESSAGE, 404, "没有这条消息"),
    errors.EditRequired: Treatment(ErrorCode.EDIT_REQUIRED, 409, "这条消息必须修改后才能发送"),
    errors.UpstreamUnavailable: Treatment(ErrorCode.UPSTREAM_UNAVAILABLE, 503,
                                          "上游聊天服务器暂时无法连接，消息未发送"),
    # --- the text pipeline (classifiers/errors.py)
    ClassifierError: INTERNAL,
    NotBuiltError: INTERNAL,
    InputError: Treatment(ErrorCode.INVALID_INPUT, 422, "消息无法审核", detail=True),
    ConfigError: Treatment(ErrorCode.INVALID_CONFIG, 422, "配置无法构建", detail=True),
    LexiconError: Treatment(ErrorCode.INVALID_CONFIG, 422, "词库无法构建", detail=True),
    PolicyError: Treatment(ErrorCode.INVALID_CONFIG, 422, "策略无法构建", detail=True),
    ToneModelError: Treatment(ErrorCode.INVALID_CONFIG, 422, "语气模型无法加载", detail=True),
    IntentModelError: Treatment(ErrorCode.INVALID_CONFIG, 422, "买家意图模型无法加载",
                                detail=True),
    AnswerModelError: Treatment(ErrorCode.INVALID_CONFIG, 422, "回答判断模型无法加载",
                                detail=True),
    SarcasmModelError: Treatment(ErrorCode.INVALID_CONFIG, 422, "讽刺判断模型无法加载",
                                 detail=True),
    # --- the interception log (gateway/log/errors.py); a driver's message stays in the log
    StoreError: Treatment(ErrorCode.INTERNAL, 500, "审核记录库出错"),
    StoreUnavailable: Treatment(ErrorCode.LOG_UNAVAILABLE, 503,
                                "审核记录暂时无法保存，消息未发送，请稍后重试"),
    RecordNotFound: Treatment(ErrorCode.NOT_FOUND, 404, "没有这条拦截记录", detail=True),
    RecordConflict: Treatment(ErrorCode.INTERNAL, 500, "拦截记录已存在"),
    ValueRejected: Treatment(ErrorCode.INVALID_INPUT, 422,
                             "内容含有无法保存的字符（NUL 或无效的 Unicode）"),
    InvalidCursor: Treatment(ErrorCode.INVALID_REQUEST, 400, "分页游标无效，请从第一页重新查询"),
}


def treatment(exc: BaseException) -> Treatment:
    for cls in type(exc).__mro__:
        found = TREATMENTS.get(cls)
        if found is not None:
            return found
    return INTERNAL


def message(exc: BaseException) -> str:
    """The Chinese text the user sees for `exc`."""
    rule = treatment(exc)
    if rule.private:
        return rule.text
    if isinstance(exc, errors.GatewayError):
        return exc.message
    if rule.detail:
        return f"{rule.text}：{_detail(exc)}"
    return rule.text


def _detail(exc: BaseException) -> str:
    if isinstance(exc, ConfigError):
        return _where(exc)
    if isinstance(exc, RecordNotFound):
        return exc.record_id
    return str(exc)


def error_frame(exc: Exception, frame_id: str | None = None) -> Error:
    """The error frame for an exception raised while handling one client frame. Unexpected
    exceptions are logged and answered with `internal`: the connection stays open."""
    rule = treatment(exc)
    if rule is INTERNAL:
        log.exception("unexpected error handling a frame", exc_info=exc)
    elif rule.code is ErrorCode.LOG_UNAVAILABLE or rule.private:
        log.warning("frame refused: %s: %s", type(exc).__name__, exc)
    own_id = exc.frame_id if isinstance(exc, errors.GatewayError) else None
    return Error(code=rule.code, message=message(exc), id=own_id or frame_id)


def close_code(exc: Exception) -> CloseCode:
    """The close code for an error that ends a connection before its first frame."""
    return treatment(exc).close or CloseCode.INTERNAL_ERROR


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    rule = treatment(exc)
    if rule.status >= 500:
        log.warning("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    headers = {"WWW-Authenticate": "Bearer"} if rule.status == 401 else None
    body: dict[str, Any] = {"detail": message(exc), "code": str(rule.code)}
    if isinstance(exc, ConfigError):
        body.update(_config_error(exc))
    return JSONResponse(body, status_code=rule.status, headers=headers)


def _where(exc: ConfigError) -> str:
    """file:line:column of a configuration error and what is wrong, naming the file but not the
    server's directories (a candidate policy is built in a temporary one)."""
    name = Path(exc.path).name if exc.path else None
    where = ":".join(str(p) for p in (name, exc.line, exc.column) if p is not None)
    return f"{where}: {exc.detail}" if where else exc.detail


def _config_error(exc: ConfigError) -> dict[str, Any]:
    name = Path(exc.path).name if exc.path else None
    body: dict[str, Any] = {"where": {"file": name, "line": exc.line, "column": exc.column}}
    if isinstance(exc, PolicyError):
        body["problems"] = [str(dataclasses.replace(p, path=Path(p.path).name if p.path else None))
                            for p in exc.problems]
    return body


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own validation (query, path, body) in the same shape as every other error."""
    assert isinstance(exc, RequestValidationError)
    found = [{"loc": [str(part) for part in e["loc"]], "msg": _message(e), "type": e["type"]}
             for e in exc.errors()]
    detail = "；".join(".".join(loc) + (f"（{hint}）" if hint else "")
                      for loc, hint in zip((e["loc"] for e in found),
                                           (_hint(e) for e in exc.errors()), strict=True))
    return JSONResponse({"detail": f"请求参数无效：{detail}",
                         "code": str(ErrorCode.INVALID_REQUEST), "errors": found},
                        status_code=422)


# pydantic's constraint errors in Chinese, from the values it gives (ctx): what was wanted
_HINTS: dict[str, str] = {
    "missing": "必填",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "datetime_parsing": "应为 ISO 8601 时间，如 2025-03-01T08:00:00Z",
    "datetime_from_date_parsing": "应为 ISO 8601 时间，如 2025-03-01T08:00:00Z",
    "date_parsing": "应为日期，如 2025-03-01",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "literal_error": "可选值：{expected}",
    "enum": "可选值：{expected}",
    "json_invalid": "不是合法的 JSON",
}


def _hint(error: Any) -> str | None:
    """What the user should have sent, in Chinese; our own validators already speak it (NUL in
    a filter, a date out of range)."""
    if error["type"] == "value_error":
        return _message(error)
    template = _HINTS.get(error["type"])
    if template is None:
        return None
    context = {key: str(value).replace(" or ", "、") for key, value in
               error.get("ctx", {}).items()}
    try:
        return template.format(**context)
    except KeyError:   # pydantic gave no value for it: say nothing rather than half
        return None


def _message(error: Any) -> str:
    """pydantic's text, or for our own validators their message without pydantic's English
    "Value error, " prefix."""
    cause = error.get("ctx", {}).get("error")
    if error["type"] == "value_error" and isinstance(cause, ValueError):
        return str(cause)
    return str(error["msg"])


# Starlette's own refusals (unknown path, method, a body it cannot parse), in our shape
_ROUTING: dict[int, tuple[ErrorCode, str]] = {
    400: (ErrorCode.INVALID_REQUEST, "请求体无法解析（不是合法的 JSON 或 UTF-8）"),
    404: (ErrorCode.NOT_FOUND, "没有这个接口"),
    405: (ErrorCode.INVALID_REQUEST, "该接口不支持这个 HTTP 方法"),
}


async def _routing_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code, text = _ROUTING.get(exc.status_code, (ErrorCode.INVALID_REQUEST, str(exc.detail)))
    return JSONResponse({"detail": text, "code": str(code)}, status_code=exc.status_code,
                        headers=exc.headers)


def install(app: FastAPI) -> None:
    for cls in TREATMENTS:
        if issubclass(cls, Exception):
            app.add_exception_handler(cls, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _routing_error)

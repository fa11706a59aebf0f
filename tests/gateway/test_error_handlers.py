"""Every exception the gateway maps, and what the user sees for it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from classifiers.errors import ClassifierError, InputError, PolicyError
from classifiers.tone.training import TrainingDataError
from gateway import errors
from gateway.error_handlers import TREATMENTS, close_code, error_frame, message, treatment
from gateway.log import RecordNotFound, StoreError, StoreUnavailable, ValueRejected
from gateway.protocol import CloseCode, ErrorCode

ROOT = Path(__file__).resolve().parents[2]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def subclasses(base: type[BaseException]) -> list[type[BaseException]]:
    found = [base]
    for cls in base.__subclasses__():
        found.extend(subclasses(cls))
    return found


# Raised only by `replyguard train/eval`, which never runs inside the gateway.
OFFLINE_ONLY = {TrainingDataError}
EVERY_ERROR = sorted({cls for base in (errors.GatewayError, ClassifierError, StoreError)
                      for cls in subclasses(base)} - OFFLINE_ONLY, key=lambda c: c.__qualname__)
FRAME_ERRORS = subclasses(errors.FrameError)[1:]


@pytest.mark.parametrize("cls", EVERY_ERROR, ids=lambda c: c.__name__)
def test_error_handlers_every_exception_has_its_own_row_in_chinese(
        cls: type[BaseException]) -> None:
    row = TREATMENTS.get(cls)
    assert row is not None, f"{cls.__module__}.{cls.__name__} has no row in TREATMENTS"
    assert CHINESE.search(row.text), row
    assert 400 <= row.status < 600


@pytest.mark.parametrize("cls", FRAME_ERRORS, ids=lambda c: c.__name__)
def test_error_handlers_every_frame_error_has_its_own_code(cls: type[errors.FrameError]) -> None:
    frame = error_frame(cls("说明", frame_id="m1"))
    assert frame.code is TREATMENTS[cls].code and frame.code is not ErrorCode.INTERNAL
    assert (frame.message, frame.id) == ("说明", "m1")


def test_error_handlers_frame_errors_have_distinct_codes() -> None:
    codes = [TREATMENTS[cls].code for cls in FRAME_ERRORS]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(("exc", "code"), [
    (InputError("消息为空"), ErrorCode.INVALID_INPUT),
    (StoreUnavailable("disk full"), ErrorCode.LOG_UNAVAILABLE),
    (errors.StateUnavailable("共享状态暂时不可用"), ErrorCode.STATE_UNAVAILABLE),
    (errors.Forbidden("不行"), ErrorCode.FORBIDDEN),
    (RuntimeError("bug"), ErrorCode.INTERNAL),
])
def test_error_handlers_foreign_errors(exc: Exception, code: ErrorCode) -> None:
    frame = error_frame(exc, "m1")
    assert frame.code is code and frame.id == "m1" and CHINESE.search(frame.message)


@pytest.mark.parametrize("exc", [
    StoreUnavailable("connection refused by psycopg.OperationalError"),
    RuntimeError("NoneType object has no attribute 'x'"),
    RecordNotFound("wx2"),
])
def test_error_handlers_never_show_the_operator_detail_or_python_names(exc: Exception) -> None:
    text = message(exc)
    assert CHINESE.search(text)
    assert "None" not in text and "psycopg" not in text and "'" not in text


def test_error_handlers_config_error_keeps_its_location() -> None:
    text = message(PolicyError("rules.0.tier: bad", path="/srv/x/policies.yaml", line=3, column=5))
    assert text == "策略无法构建：policies.yaml:3:5: rules.0.tier: bad"


def test_error_handlers_close_codes() -> None:
    assert close_code(errors.Unauthorized("x")) is CloseCode.UNAUTHORIZED
    assert close_code(errors.Forbidden("x")) is CloseCode.FORBIDDEN
    assert close_code(RuntimeError("x")) is CloseCode.INTERNAL_ERROR
    assert treatment(errors.BadJson("x")).close is None  # an error frame; the socket stays open


def _raised_messages() -> list[tuple[str, ast.expr]]:
    """The message argument of every `raise SomeGatewayError(...)` in gateway/."""
    names = {cls.__name__ for cls in subclasses(errors.GatewayError)}
    found = []
    for path in sorted((ROOT / "gateway").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.attr if isinstance(func, ast.Attribute) else \
                func.id if isinstance(func, ast.Name) else None
            if name in names and node.exc.args:
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node.exc.args[0]))
    return found


def test_error_handlers_every_raised_message_is_chinese_without_reprs() -> None:
    raised = _raised_messages()
    assert len(raised) > 20  # the walk found the raise sites
    for where, arg in raised:
        assert isinstance(arg, ast.Constant | ast.JoinedStr), f"{where}: message not a literal"
        literal = "".join(part.value for part in ast.walk(arg)
                          if isinstance(part, ast.Constant) and isinstance(part.value, str))
        assert CHINESE.search(literal), f"{where}: message not in Chinese: {literal}"
        reprs = [v for v in ast.walk(arg) if isinstance(v, ast.FormattedValue)
                 and v.conversion == ord("r")]
        assert not reprs, f"{where}: a repr in a user-facing message"


@pytest.mark.issue(18)
@pytest.mark.parametrize(("exc", "code"), [
    (StoreUnavailable("writing the interception log: connection failed: connection to server "
                      "at \"10.0.3.7\", port 5432 failed: Connection refused"),
     ErrorCode.LOG_UNAVAILABLE),
    (errors.StateUnavailable("Redis unavailable (publish): Error 111 connecting to "
                             "redis-internal.example:6379. Connection refused."),
     ErrorCode.STATE_UNAVAILABLE),
    (ValueRejected("writing the interception log: PostgreSQL text fields cannot contain NUL"),
     ErrorCode.INVALID_INPUT),
])
def test_error_handlers_frames_never_show_service_internals(exc: Exception,
                                                           code: ErrorCode) -> None:
    """A chat client learns that the log or the state is down, in Chinese; which host, port
    and driver failed is for the server log only."""
    frame = error_frame(exc, "m1")
    assert frame.code is code and frame.id == "m1"
    for internal in ("10.0.3.7", "5432", "6379", "redis-internal", "Connection refused",
                     "PostgreSQL", "NUL (0x00)", "writing"):
        assert internal not in frame.message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in frame.message)

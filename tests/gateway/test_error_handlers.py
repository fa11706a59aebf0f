"""Every exception the gateway maps, and what the user sees for it."""

from __future__ import annotations

import pytest

from classifiers.errors import InputError
from gateway import errors
from gateway.error_handlers import close_code, error_frame
from gateway.log import StoreUnavailable
from gateway.protocol import CloseCode, ErrorCode

FRAME_ERRORS = [cls for cls in vars(errors).values()
                if isinstance(cls, type) and issubclass(cls, errors.FrameError)
                and cls is not errors.FrameError]


@pytest.mark.parametrize("cls", FRAME_ERRORS)
def test_error_handlers_every_frame_error_has_its_own_code(cls: type[errors.FrameError]) -> None:
    frame = error_frame(cls("说明", frame_id="m1"))
    assert frame.code is cls.code and frame.code is not ErrorCode.INTERNAL
    assert (frame.message, frame.id) == ("说明", "m1")


@pytest.mark.parametrize(("exc", "code"), [
    (InputError("empty message"), ErrorCode.INVALID_INPUT),
    (StoreUnavailable("disk full"), ErrorCode.LOG_UNAVAILABLE),
    (errors.StateUnavailable("redis down"), ErrorCode.STATE_UNAVAILABLE),
    (errors.Forbidden("no"), ErrorCode.FORBIDDEN),
    (RuntimeError("bug"), ErrorCode.INTERNAL),
])
def test_error_handlers_foreign_errors(exc: Exception, code: ErrorCode) -> None:
    frame = error_frame(exc, "m1")
    assert frame.code is code and frame.id == "m1" and frame.message


def test_error_handlers_close_codes() -> None:
    assert close_code(errors.Unauthorized("x")) is CloseCode.UNAUTHORIZED
    assert close_code(errors.Forbidden("x")) is CloseCode.FORBIDDEN

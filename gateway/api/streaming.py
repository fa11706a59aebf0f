"""Streamed downloads (record export, QA training rows) whose failure the client can see.

A streamed response has sent `200` and its first lines before a later page is read; if that
read fails, the status can no longer change. So:

- the first `BUFFERED_LINES` lines are read before the response starts: an export that fits
  (most do) fails, if it fails, with a proper HTTP error (503 log-unavailable, …);
- past that, a failure ends the body with one explicit error line (`error_line`, documented in
  docs/api.md) and is logged: a cut export never looks complete.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

from fastapi.responses import StreamingResponse

from gateway.log import StoreError

log = logging.getLogger("replyguard.api")

BUFFERED_LINES = 2001  # a header and two pages of the log's export
CUT_TEXT = "导出中断：审核记录暂时无法读取，以上内容不完整，请稍后重新导出"


async def stream_lines(lines: AsyncIterator[str], *, media_type: str, filename: str,
                       error_line: Callable[[str], str]) -> StreamingResponse:
    """A response streaming `lines`; raises (before any byte is sent) when the first
    `BUFFERED_LINES` cannot be read."""
    head: list[str] = []
    async for line in lines:
        head.append(line)
        if len(head) >= BUFFERED_LINES:
            break
    else:
        return StreamingResponse(_replay(head), media_type=media_type,
                                 headers=_attachment(filename))
    return StreamingResponse(guarded(_replay(head, lines), filename, error_line),
                             media_type=media_type, headers=_attachment(filename))


async def guarded(lines: AsyncIterator[str], what: str,
                  error_line: Callable[[str], str]) -> AsyncIterator[str]:
    """`lines`, ended by `error_line(CUT_TEXT)` if reading them fails part way."""
    sent = 0
    try:
        async for line in lines:
            yield line
            sent += 1
    except StoreError as exc:
        log.error("export %s cut after %d lines: %s", what, sent, exc)
        yield error_line(CUT_TEXT)


async def _replay(head: list[str], rest: AsyncIterator[str] | None = None
                  ) -> AsyncIterator[str]:
    for line in head:
        yield line
    if rest is not None:
        async for line in rest:
            yield line


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}

"""A streamed export whose database fails shows it: before the first byte as an HTTP error,
part way through with an explicit last line. On a real PostgreSQL, stopped mid-export."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.pgserver import PostgresServer
from gateway.api.streaming import BUFFERED_LINES, CUT_TEXT, stream_lines
from gateway.log import LogFilter, SqlInterceptionLog, StoreUnavailable, open_log
from gateway.log.export import CUT_MARKER, jsonl_cut
from tests.gateway.log.records_factory import at, make_record

pytestmark = [pytest.mark.anyio, pytest.mark.issue(18)]

RECORDS = 3500  # more than the buffered head plus one page


@pytest.fixture
def pg_log(postgres_server: PostgresServer, tmp_path: Path) -> Iterator[SqlInterceptionLog]:
    name = f"export_{uuid.uuid4().hex[:12]}"
    log = open_log(postgres_server.create_database(name), tmp_path)
    yield log
    log.close_sync()
    postgres_server.drop_database(name)


async def fill(log: SqlInterceptionLog, count: int) -> None:
    for n in range(count):
        await log.append(make_record(time=at(n), text=f"第{n}条"), durable=False)
    await log.flush()


async def test_streaming_an_export_cut_by_an_outage_ends_with_an_error_line(
        pg_log: SqlInterceptionLog, postgres_server: PostgresServer) -> None:
    await fill(pg_log, RECORDS)
    response = await stream_lines(pg_log.export(LogFilter(), "jsonl"),
                                  media_type="application/x-ndjson", filename="x.jsonl",
                                  error_line=jsonl_cut)
    postgres_server.pause()  # the head is read; the next page is not
    try:
        body = [chunk if isinstance(chunk, str) else bytes(chunk).decode()
                async for chunk in response.body_iterator]
    finally:
        postgres_server.resume()
    assert response.status_code == 200
    assert BUFFERED_LINES <= len(body) - 1 < RECORDS
    assert all("id" in json.loads(line) for line in body[:-1])
    assert json.loads(body[-1]) == {CUT_MARKER: "log-unavailable", "detail": CUT_TEXT}


async def test_streaming_an_export_that_fails_at_once_is_an_error_not_an_empty_200(
        pg_log: SqlInterceptionLog, postgres_server: PostgresServer) -> None:
    await fill(pg_log, 10)
    postgres_server.pause()
    try:
        with pytest.raises(StoreUnavailable):
            await stream_lines(pg_log.export(LogFilter(), "jsonl"),
                               media_type="application/x-ndjson", filename="x.jsonl",
                               error_line=jsonl_cut)
    finally:
        postgres_server.resume()


async def test_streaming_a_complete_export_has_no_error_line(
        pg_log: SqlInterceptionLog) -> None:
    await fill(pg_log, 10)
    response = await stream_lines(pg_log.export(LogFilter(), "csv"),
                                  media_type="text/csv", filename="x.csv",
                                  error_line=jsonl_cut)
    body = [chunk async for chunk in response.body_iterator]
    assert len(body) == 11 and not any(CUT_MARKER in str(line) for line in body)

"""What survives: durable appends across kill -9 of the writing process, batched appends across
a database outage; and an unreachable database is a StoreUnavailable, not a hang or a
traceback from deep inside a driver."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.pgserver import PostgresServer, find_binaries
from gateway.log import LogFilter, StoreUnavailable, open_log
from tests.gateway.log.records_factory import make_record

REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.anyio

CHILD = """
import asyncio, sys
from pathlib import Path
from gateway.log import open_log
from tests.gateway.log.records_factory import make_record

async def main() -> None:
    log = open_log(sys.argv[1], Path(sys.argv[2]))
    while True:
        record = make_record(text="崩溃测试 " * 20)
        await log.append(record, durable=True)
        print(record.id, flush=True)

asyncio.run(main())
"""


async def test_every_acknowledged_durable_append_survives_kill_9(
        log_url: str, tmp_path: Path) -> None:
    printed: list[str] = []
    with subprocess.Popen([sys.executable, "-c", CHILD, log_url, str(tmp_path)], cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None and child.stderr is not None
        deadline = time.monotonic() + 60
        while len(printed) < 200 and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            printed.append(line.strip())
        os.kill(child.pid, signal.SIGKILL)  # mid-append: the next record is likely in flight
        child.wait()
        assert len(printed) == 200, child.stderr.read()[-2000:]

    log = open_log(log_url, tmp_path)
    try:
        for record_id in printed:
            assert await log.get(record_id) is not None, record_id
    finally:
        await log.close()


def test_an_unreachable_postgresql_is_store_unavailable(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="opening the interception log"):
        open_log(f"postgresql+psycopg://postgres@127.0.0.1:{port}/log", tmp_path)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("url", ["mysql://x@localhost/y", "not a url"])
def test_an_unusable_url_is_store_unavailable(url: str, tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable):
        open_log(url, tmp_path)


async def test_batched_appends_wait_out_an_outage_and_durable_ones_report_it(
        tmp_path: Path) -> None:
    if find_binaries() is None:
        pytest.skip("PostgreSQL binaries not installed")
    # a server of its own, stopped and restarted mid-test; durable settings, since the
    # stop is an immediate (crash) shutdown and the fast ones lose the last commits in it
    with PostgresServer.start() as server:
        log = open_log(server.create_database("outage"), tmp_path)
        try:
            before = make_record()
            await log.append(before, durable=True)
            server.pause()
            with pytest.raises(StoreUnavailable):
                await log.append(make_record(), durable=True)
            during = [make_record() for _ in range(5)]
            for record in during:
                await log.append(record, durable=False)  # accepted: never waits on the log
            with pytest.raises(StoreUnavailable):
                await log.flush()
            server.resume()
            for _ in range(100):  # the writer retries with backoff
                try:
                    await log.flush()
                    break
                except StoreUnavailable:
                    await asyncio.sleep(0.1)
            page = await log.query(LogFilter())
            assert {r.id for r in page.items} == {before.id, *(r.id for r in during)}
        finally:
            await log.close()

"""The log's single writer thread: every write goes through it, in the order it was submitted.

One thread means a record's append always lands before its later outcome change, and lets
writes that queue up while a commit is in flight share the next commit (group commit): under
load a durable append costs a fraction of an fsync, and a batched one never waits for one.

- a *durable* write carries a Future; the caller awaits it and it resolves after COMMIT;
- a *batched* append carries none; the relay goes on at once. If the database is down, batched
  appends are kept and retried with backoff, up to `max_backlog` queued records; past that,
  `submit` refuses new ones (StoreUnavailable) rather than grow without bound.

A batch is one transaction, so one bad operation would fail all of them: when the database
refuses a row (a duplicate id, a value it cannot store such as NUL in PostgreSQL text) the batch
is written again one operation per transaction, and only the offending one fails, with its own
error (RecordConflict, ValueRejected). Other shops' writes in the same batch are not touched.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from gateway.log.engine import unavailable_on_db_error
from gateway.log.errors import RecordConflict, StoreError, StoreUnavailable, ValueRejected
from gateway.log.records import InterceptionRecord
from gateway.log.writes import WriteOp

log = logging.getLogger(__name__)

Apply = Callable[[Connection, Sequence[WriteOp]], list[StoreError | None]]


@dataclass(slots=True)
class _Item:
    op: WriteOp | None                      # None: a barrier (flush)
    future: Future[None] | None
    live: bool = field(default=True)        # False once the awaiting caller has gone


_STOP = _Item(None, None)


class Writer:
    def __init__(self, engine: Engine, apply: Apply, *, max_batch: int = 1000,
                 max_backlog: int = 100_000) -> None:
        self._engine = engine
        self._apply = apply
        self._max_batch = max_batch
        self._max_backlog = max_backlog
        self._queue: queue.Queue[_Item] = queue.Queue()
        self._retry: list[_Item] = []
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="replyguard-log-writer",
                                        daemon=True)
        self._thread.start()

    def submit(self, op: WriteOp, *, wait: bool) -> Future[None] | None:
        if self._closed:
            raise StoreUnavailable("the interception log is closed")
        if not wait and self._queue.qsize() + len(self._retry) >= self._max_backlog:
            raise StoreUnavailable(
                f"interception log backlog is full ({self._max_backlog} records unwritten)")
        future: Future[None] | None = Future() if wait else None
        self._queue.put(_Item(op, future))
        return future

    def barrier(self) -> Future[None]:
        """Resolves once everything submitted before it is committed (or has failed)."""
        future: Future[None] = Future()
        self._queue.put(_Item(None, future))
        return future

    def stop(self) -> None:
        """Write what is queued, then end the thread (blocking; call off the event loop)."""
        if not self._closed:
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        failures = 0
        while True:
            batch, self._retry = self._retry, []
            timeout = min(5.0, 0.1 * 2 ** failures) if batch else None
            stop = self._collect(batch, timeout)
            if batch:
                failures = 0 if self._write(batch) else failures + 1
            if stop:
                if self._retry:
                    log.error("interception log closed with %d batched records unwritten",
                              len(self._retry))
                return

    def _collect(self, batch: list[_Item], timeout: float | None) -> bool:
        """Move queued items into `batch` (waiting up to `timeout` for the first); True when
        the stop marker was reached."""
        try:
            item = self._queue.get(timeout=timeout)
            while True:
                if item is _STOP:
                    return True
                if item.future is not None:
                    item.live = item.future.set_running_or_notify_cancel()
                batch.append(item)
                if len(batch) >= self._max_batch:
                    return False
                item = self._queue.get_nowait()
        except queue.Empty:
            return False

    def _write(self, batch: list[_Item]) -> bool:
        ops = [item.op for item in batch if item.op is not None]
        try:
            results = self._transaction(ops)
        except (IntegrityError, ValueRejected):
            results = [self._alone(op) for op in ops]  # find the offending one, keep the rest
        except StoreUnavailable as exc:
            results = [exc] * len(ops)
        except Exception as exc:  # a bug must not kill the only writer
            log.exception("interception log write failed")
            results = [StoreUnavailable(f"interception log write failed: {exc!r}")] * len(ops)
        ok = True
        outcomes = iter(results)
        for item in batch:
            error = next(outcomes) if item.op is not None else None
            if item.op is None and not ok:
                error = StoreUnavailable("earlier interception log writes failed")
            if isinstance(error, StoreUnavailable):
                ok = False
                if item.future is None:
                    self._retry.append(item)
                    continue
            if item.future is None:
                if error is not None:
                    log.error("batched interception log write dropped: %s", error)
            elif item.live:
                if error is None:
                    item.future.set_result(None)
                else:
                    item.future.set_exception(error)
        if not ok:
            log.warning("interception log unavailable; %d batched records kept for retry",
                        len(self._retry))
        return ok

    def _transaction(self, ops: Sequence[WriteOp]) -> list[StoreError | None]:
        with unavailable_on_db_error("writing the interception log"), \
                self._engine.begin() as connection:
            return self._apply(connection, ops)

    def _alone(self, op: WriteOp) -> StoreError | None:
        try:
            [result] = self._transaction([op])
            return result
        except IntegrityError:
            assert isinstance(op, InterceptionRecord)  # only inserts can collide
            return RecordConflict(op.id)
        except (StoreUnavailable, ValueRejected) as exc:
            return exc

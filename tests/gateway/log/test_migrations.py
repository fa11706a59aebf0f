"""The schema comes from the shipped Alembic revisions, and an upgrade keeps every record."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect, text

from gateway.log import InterceptionRecord, LogFilter, StoreUnavailable, open_log
from gateway.log.engine import make_engine
from gateway.log.migrate import (
    MIGRATIONS,
    VERSION_TABLE,
    alembic_config,
    current_revision,
    head_revision,
    upgrade_on,
)
from gateway.log.schema import categories, metadata, outcome_changes, records
from gateway.log.writes import category_rows, first_outcome_row, record_row
from tests.gateway.log.records_factory import at, make_record

REPO = Path(__file__).resolve().parents[3]
POSTGRESQL_ONLY = {"ix_interceptions_text_trgm"}
# SQLite's trigram index (0003): an FTS5 table, its shadow tables and the rowid map, kept by
# triggers and queried in raw SQL, so not part of the store's table definitions
SQLITE_FTS_PREFIX = "interceptions_fts"

pytestmark = pytest.mark.anyio


def test_the_migrated_schema_is_the_one_the_store_queries(log_url: str, tmp_path: Path
                                                         ) -> None:
    open_log(log_url, tmp_path).close_sync()
    engine = make_engine(log_url)

    def applies(obj: object, name: str | None, kind: str, reflected: bool,
                other: object) -> bool:
        if engine.dialect.name == "postgresql":
            return True
        return name not in POSTGRESQL_ONLY and not (name or "").startswith(SQLITE_FTS_PREFIX)

    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": VERSION_TABLE, "compare_type": True,
                                  "include_object": applies})
            assert compare_metadata(context, metadata) == []
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


async def test_a_database_at_the_first_revision_migrates_forward_with_its_rows(
        log_url: str, tmp_path: Path) -> None:
    [first] = [s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()
               if s.down_revision is None]
    saved = [make_record(time=at(i), categories=("abuse", "cold")) for i in range(25)]
    engine = make_engine(log_url)
    try:
        with engine.begin() as connection:
            upgrade_on(connection, first)
            # rows written the way the first revision's store wrote them: its columns only
            columns = {c["name"] for c in inspect(connection).get_columns("interceptions")}
            connection.execute(insert(records), [
                {k: v for k, v in record_row(r).items() if k in columns} for r in saved])
            connection.execute(insert(categories),
                               [row for r in saved for row in category_rows(r)])
            connection.execute(insert(outcome_changes), [first_outcome_row(r) for r in saved])
        assert current_revision(engine) == first
    finally:
        engine.dispose()

    log = open_log(log_url, tmp_path)
    try:
        assert current_revision(log.engine) == head_revision()
        page = await log.query(LogFilter(category="cold"), limit=100)
        assert list(page.items) == list(reversed(saved))
        assert len(await log.history(saved[0].id)) == 1
    finally:
        await log.close()


async def test_0005_moves_each_appeal_note_into_the_appeals_table(
        log_url: str, tmp_path: Path) -> None:
    appealed, silent, plain = (make_record(time=at(i)) for i in range(3))
    engine = make_engine(log_url)
    try:
        with engine.begin() as connection:
            upgrade_on(connection, "0004")
            # rows as 0004's store wrote them: its columns only (later revisions add some)
            columns = {c["name"] for c in inspect(connection).get_columns("interceptions")}

            def row(record: InterceptionRecord, **extra: object) -> dict[str, object]:
                return {k: v for k, v in (record_row(record) | extra).items() if k in columns}

            connection.execute(insert(records), [
                row(appealed, appealed_at=at(10)), row(silent, appealed_at=at(11)), row(plain)])
            # the single note 0001-0004 kept (the store's table no longer names the column)
            connection.execute(text("UPDATE interceptions SET appeal_note = :note WHERE id = :id"),
                               {"note": "买家自己要的", "id": appealed.id})
    finally:
        engine.dispose()

    log = open_log(log_url, tmp_path)
    try:
        assert current_revision(log.engine) == head_revision()
        first = await log.get(appealed.id)
        second = await log.get(silent.id)
        third = await log.get(plain.id)
        assert first is not None and second is not None and third is not None
        assert [(a.note, a.time) for a in first.appeals] == [("买家自己要的", at(10))]
        assert [(a.note, a.time) for a in second.appeals] == [(None, at(11))]
        assert third.appeals == () and not third.appealed
        await log.appeal(appealed.id, "补充")
        again = await log.get(appealed.id)
        assert again is not None and [a.note for a in again.appeals] == ["买家自己要的", "补充"]
    finally:
        await log.close()


def test_opening_twice_changes_nothing(log_url: str, tmp_path: Path) -> None:
    open_log(log_url, tmp_path).close_sync()
    log = open_log(log_url, tmp_path)
    try:
        assert current_revision(log.engine) == head_revision()
    finally:
        log.close_sync()


def test_a_log_written_by_a_newer_version_is_refused_untouched(log_url: str, tmp_path: Path,
                                                               ) -> None:
    open_log(log_url, tmp_path).close_sync()
    engine = make_engine(log_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    finally:
        engine.dispose()
    with pytest.raises(StoreUnavailable, match="revision '9999'.*newer version"):
        open_log(log_url, tmp_path)
    engine = make_engine(log_url)
    try:
        assert current_revision(engine) == "9999"
    finally:
        engine.dispose()


def test_the_cli_says_so_without_a_traceback(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    open_log(url, tmp_path).close_sync()
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    engine.dispose()
    done = subprocess.run([sys.executable, "-m", "gateway", "log", "purge", "--days", "30",
                           "--database-url", url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "revision '9999'" in done.stderr and "Traceback" not in done.stderr


def test_the_wheel_carries_the_migrations(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(REPO)], check=True, capture_output=True,
                   timeout=300)
    [wheel] = tmp_path.glob("replyguard-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"gateway/log/migrations/{p.relative_to(MIGRATIONS).as_posix()}"
               for p in MIGRATIONS.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert "gateway/log/migrations/env.py" in shipped
    assert shipped <= names

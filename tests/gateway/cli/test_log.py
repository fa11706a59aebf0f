"""`replyguard log purge` as a newcomer meets it: a database that is not there is refused,
not created, and a bad --days says what was given."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli.main import app

runner = CliRunner()


def test_purge_refuses_a_sqlite_file_that_does_not_exist(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLYGUARD_DATA_DIR", str(tmp_path / "data"))
    typo = tmp_path / "sub" / "typo.db"
    result = runner.invoke(app, ["log", "purge", "--days", "30",
                                 "--database-url", f"sqlite:///{typo}"])
    assert result.exit_code == 3, result.output
    assert "does not exist" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "sub").exists()
    # and the default (the data directory's file) is not created either
    result = runner.invoke(app, ["log", "purge", "--days", "30"])
    assert result.exit_code == 3, result.output
    assert not (tmp_path / "data" / "interceptions.sqlite3").exists()


@pytest.mark.parametrize("days", ["-5", "0"])
def test_purge_with_days_not_positive_says_what_was_given(days: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLYGUARD_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["log", "purge", "--days", days])
    assert result.exit_code == 2
    assert f"--days {days}" in result.output and "keep everything" not in result.output

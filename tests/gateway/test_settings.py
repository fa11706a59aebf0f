"""Settings: one default data directory everywhere, and unusable values named in one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from gateway.settings import DEFAULT_DATA_DIR, Settings, settings_problem


@pytest.mark.parametrize("value", ["", "  "])
def test_settings_empty_data_dir_is_the_default_not_the_current_directory(
        value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLYGUARD_DATA_DIR", value)
    assert Settings().data_dir == DEFAULT_DATA_DIR.expanduser() != Path(".").expanduser()
    assert Settings().data_dir.is_absolute()


def test_settings_data_dir_is_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLYGUARD_DATA_DIR", "~/rg-data")
    assert Settings().data_dir == Path.home() / "rg-data"


def test_settings_problem_names_the_variable_never_the_secret(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLYGUARD_PORT", "eighty")
    with pytest.raises(ValidationError) as error:
        Settings()
    assert settings_problem(error.value).startswith("REPLYGUARD_PORT: ")
    assert "'eighty'" in settings_problem(error.value)
    monkeypatch.delenv("REPLYGUARD_PORT")
    not_a_string: dict[str, Any] = {"secret": 12345}
    with pytest.raises(ValidationError) as error:
        Settings(**not_a_string)
    assert settings_problem(error.value).startswith("REPLYGUARD_SECRET: ")
    assert "12345" not in settings_problem(error.value)

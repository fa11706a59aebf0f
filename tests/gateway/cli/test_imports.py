"""The command line imports only what a command uses (gateway/cli/support.py says why): checked
in a fresh interpreter through `sys.modules`, not by timing (bench/bench_cli.py times it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("fastapi", "starlette", "uvicorn", "sklearn", "scipy", "sqlalchemy", "alembic",
         "matplotlib", "jieba", "redis", "numpy", "pypinyin", "ahocorasick")


def loaded_after(code: str, data_dir: Path) -> set[str]:
    """The HEAVY packages imported once `code` has run in a fresh interpreter."""
    probe = (f"import sys\n{code}\n"
             f"import json; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    env = {**os.environ, "REPLYGUARD_DATA_DIR": str(data_dir)}
    env.pop("REPLYGUARD_SECRET", None)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, check=True, timeout=120)
    return set(json.loads(done.stdout.splitlines()[-1]))


def run_command(*args: str) -> str:
    return ("from gateway.cli.main import app\n"
            f"try:\n    app({list(args)!r})\nexcept SystemExit as exit:\n"
            "    assert not exit.code, exit.code")


def test_importing_the_command_line_imports_no_heavy_package(tmp_path: Path) -> None:
    assert loaded_after("import gateway.cli.main", tmp_path) == set()


@pytest.mark.parametrize("args", [("--help",), ("score", "--help"), ("serve", "--help"),
                                  ("token", "--role", "agent", "--user", "a1", "--shop", "s1")])
def test_help_and_token_import_no_heavy_package(args: tuple[str, ...], tmp_path: Path) -> None:
    assert loaded_after(run_command(*args), tmp_path) == set()


def test_policy_check_loads_neither_jieba_nor_the_scoring_stack(tmp_path: Path) -> None:
    # The tone model's module (numpy, ahocorasick) comes for its labels; the word segmenter,
    # pinyin tables, scikit-learn and the gateway may not.
    loaded = loaded_after(run_command("policy", "check"), tmp_path)
    assert loaded <= {"numpy", "ahocorasick"}, loaded

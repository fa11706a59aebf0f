"""The README's examples run as written from a clone (with `replyguard` on the PATH, as the
README says after `source .venv/bin/activate`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def example(heading: str) -> str:
    """The first ```bash block after `heading` in the README."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"^## {re.escape(heading)}\n.*?```bash\n(.*?)```", text, re.S | re.M)
    assert found is not None, heading
    return found.group(1)


def test_readme_policy_check_and_replay_run_from_a_clone(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "replyguard"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m gateway "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    clone = tmp_path / "clone"   # the files the example names, where a clone has them
    clone.mkdir()
    for name in ("policies.yaml", "classifiers"):
        (clone / name).symlink_to(REPO / name)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
           "REPLYGUARD_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(REPO)}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", example(
        "Policy: check, preview, reload")], cwd=clone, env=env, capture_output=True, text=True,
        timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 error(s), 0 warning(s)" in done.stdout
    assert re.search(r"force-edit\s*│\s*suggest-edit", done.stdout), done.stdout

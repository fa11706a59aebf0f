"""The wheel a user installs carries the shipped lexicons, the default policy, the compiled
tone kernel and the web console (pages, scripts, vendored libraries with their licences)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_wheel_bundles_lexicons_and_policy(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(REPO)], check=True, capture_output=True,
                   timeout=300)
    [wheel] = tmp_path.glob("replyguard-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "classifiers/_bundled/policies.yaml" in names
    shipped = {p.name for p in (REPO / "lexicons").glob("*.txt")}
    bundled = {Path(n).name for n in names if n.startswith("classifiers/_bundled/lexicons/")}
    assert shipped and shipped <= bundled
    assert "gateway/cli/main.py" in names
    assert any(n.startswith("classifiers/tone/_kernel.") and n.endswith(".so") for n in names)
    assert any(n.startswith("classifiers/_scanner.") and n.endswith(".so") for n in names)
    assert "-none-any" not in wheel.name  # a platform wheel: it holds compiled code
    console = REPO / "gateway" / "console" / "static"
    static = {p.relative_to(REPO).as_posix() for p in console.rglob("*") if p.is_file()}
    assert {"gateway/console/static/agent.html", "gateway/console/static/js/agent.js",
            "gateway/console/static/vendor/uplot/LICENSE"} <= static
    assert static <= names

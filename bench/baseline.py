"""A previous release, checked out beside this one, for side-by-side figures in one run.

`checkout(rev)` adds a detached git worktree of `rev` in a temporary directory (removed on exit);
`run_python(tree, code, stdin)` runs Python code against that tree's modules with this process's
interpreter (PYTHONPATH puts the tree first). A release whose module layout differs from today's
is driven through interfaces both share: the `replyguard score --jsonl` command
(`python -m gateway`) and `Scorer.load`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The release the diversion/evasion work (issue 15) started from.
PREVIOUS_RELEASE = "60409e0"


@contextmanager
def checkout(rev: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="replyguard-baseline-") as parent:
        tree = Path(parent) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet",
                        str(tree), rev], check=True, capture_output=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                           check=False, capture_output=True)


# The compiled kernels (hatch_build.py): the text models' and the keyword automata's scanner.
KERNELS = {"classifiers.tone._kernel": Path("classifiers") / "tone" / "_kernel.pyx",
           "classifiers._scanner": Path("classifiers") / "_scanner.pyx"}

# What the install's build hook (hatch_build.py) does, run in a checkout: compile one kernel in
# place with this interpreter's Cython.
_BUILD_KERNEL = """
import sys
from Cython.Build import cythonize
from setuptools import Distribution, Extension
from setuptools.command.build_ext import build_ext
command = build_ext(Distribution({"ext_modules": cythonize(
    [Extension(sys.argv[1], [sys.argv[2]])], quiet=True, language_level=3)}))
command.inplace = True
command.ensure_finalized()
command.run()
"""


def with_kernel(tree: Path) -> None:
    """A checkout has no compiled kernels (they are built at install), and without them the
    tree would score on its slow paths (the models' Python path, the automata in
    pyahocorasick): give it this tree's build of each kernel whose source is the same, else
    compile its own (about a minute each)."""
    for name, source in KERNELS.items():
        if not (tree / source).exists():
            continue  # a release from before that kernel
        if (tree / source).read_bytes() == (REPO / source).read_bytes():
            for built in (REPO / source.parent).glob(f"{source.stem}*.so"):
                shutil.copy2(built, tree / source.parent / built.name)
            continue
        subprocess.run([sys.executable, "-c", _BUILD_KERNEL, name, str(source)], cwd=tree,
                       check=True, capture_output=True, timeout=1800)


def environment(tree: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("REPLYGUARD_")}
    env["PYTHONPATH"] = str(tree)
    return env


def run_python(tree: Path, args: list[str], stdin: str = "", timeout: float = 3600) -> str:
    """stdout of `python ARGS` run in `tree` with its modules first on the path."""
    result = subprocess.run([sys.executable, *args], cwd=tree, env=environment(tree),
                            input=stdin, capture_output=True, text=True, timeout=timeout,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"baseline run failed ({result.returncode}): {result.stderr[-2000:]}")
    return result.stdout

"""Build hook: compiles the C kernels with Cython: the text models' (classifiers/tone/_kernel.pyx)
and the keyword matcher's Aho-Corasick scanner (classifiers/_scanner.pyx).

Each kernel is built in place, next to its source, so an editable install (`pip install -e .`)
imports it straight from the checkout, and a wheel carries it as an artefact (the wheel is then
tagged for this Python and platform). Without a C compiler the build fails here, loudly: the
gateway would otherwise run the pure-Python path (ten times slower per message) without anyone
having chosen to. Set REPLYGUARD_PURE_PYTHON=1 to build without the kernel on purpose.
"""

from __future__ import annotations

import os
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

KERNELS = {"classifiers.tone._kernel": "classifiers/tone/_kernel.pyx",
           "classifiers._scanner": "classifiers/_scanner.pyx"}


class KernelBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or os.environ.get("REPLYGUARD_PURE_PYTHON") == "1":
            return
        from Cython.Build import cythonize
        from setuptools import Distribution, Extension
        from setuptools.command.build_ext import build_ext

        cwd = os.getcwd()
        os.chdir(self.root)  # setuptools resolves sources and the in-place target from here
        try:
            extensions = cythonize([Extension(name, [source]) for name, source in KERNELS.items()],
                                   quiet=True, language_level=3)
            command = build_ext(Distribution({"ext_modules": extensions}))
            command.inplace = True
            command.ensure_finalized()
            command.run()
            built = [command.get_ext_fullpath(name) for name in KERNELS]
        finally:
            os.chdir(cwd)
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        build_data["artifacts"].extend(os.path.relpath(path, self.root) for path in built)

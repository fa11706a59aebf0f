"""Name → class tables for the pieces a policy file may name (like Starlette's CONVERTOR_TYPES).

Names are resolved once when the pipeline is built; an unknown name is a PolicyError that lists
the known ones.
"""

from __future__ import annotations

from collections.abc import Callable

from classifiers.normalize.base import NormalizeStep
from classifiers.normalize.bopomofo import Bopomofo
from classifiers.normalize.case import Case
from classifiers.normalize.confusables import Confusables
from classifiers.normalize.invisible import Invisible
from classifiers.normalize.script import Script
from classifiers.normalize.separators import Separators
from classifiers.normalize.width import Width

NORMALIZE_STEPS: dict[str, Callable[[], NormalizeStep]] = {
    "invisible": Invisible,
    "width": Width,
    "confusables": Confusables,
    "case": Case,
    "script": Script,
    "bopomofo": Bopomofo,
    "separators": Separators,
}

DEFAULT_STEPS: tuple[str, ...] = ("invisible", "width", "confusables", "case", "script",
                                  "bopomofo", "separators")

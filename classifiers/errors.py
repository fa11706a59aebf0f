"""Exceptions raised by the text pipeline.

    ClassifierError
     ├── ConfigError             a lexicon or policy file cannot be used
     │    ├── LexiconError       names file:line of the bad lexicon entry
     │    └── PolicyError        names file:line:column of the bad policy item; carries every
     │                           Problem found, not only the first
     ├── InputError              a message cannot be scored (empty, too long, invalid Unicode)
     └── NotBuiltError           a component was used before build()
                                 (also a ValueError and an AttributeError)

The gateway and the CLI translate these into error frames, HTTP bodies and exit codes; nothing
below this layer knows about either.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal


class ClassifierError(Exception):
    """Base of every error raised by `classifiers`."""


class ConfigError(ClassifierError):
    """A configuration file (lexicon or policy) is unusable; the message says where and why."""

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        self.detail = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.path or ""
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.detail}" if where else self.detail


class LexiconError(ConfigError):
    """A lexicon file has a malformed line, an unknown option or an unknown category."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about a configuration file. Errors make it unusable; warnings (a shadowed
    rule, overlapping periods) do not, but are shown by `replyguard policy check`."""

    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.path, self.line, self.column) if p is not None)
        return f"{where}: {self.severity}: {self.message}" if where else \
            f"{self.severity}: {self.message}"


class PolicyError(ConfigError):
    """The policy file is not valid YAML or does not match the policy schema. `problems` holds
    every error found; the exception's message is the first."""

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None,
                 column: int | None = None, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message, path=path, line=line, column=column)
        self.problems = problems or (Problem(message, self.path, line, column),)

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> PolicyError:
        errors = [p for p in problems if p.severity == "error"]
        first = errors[0]
        more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" \
            if len(errors) > 1 else ""
        return cls(first.message + more, path=first.path, line=first.line, column=first.column,
                   problems=tuple(problems))


class InputError(ClassifierError):
    """The message itself cannot be scored: empty, too long, or not valid text."""


class NotBuiltError(ClassifierError, ValueError, AttributeError):
    """A component that needs build() was used before it (like scikit-learn's NotFittedError)."""

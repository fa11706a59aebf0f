"""Lexicon files → `Lexicon`: terms per category plus the allow list.

The file format is documented in lexicons/README.md. Every problem is a LexiconError naming
file:line, because these files are edited by hand by QA staff.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from classifiers.errors import LexiconError
from classifiers.results import MatchMode

ALLOW_FILE = "allow.txt"
_CATEGORY_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_OPTIONS = {"severity", "mode", "variants"}


@dataclass(frozen=True, slots=True)
class Term:
    """One lexicon entry as written, with where it came from."""

    text: str
    category: str
    severity: int = 2
    mode: MatchMode = MatchMode.SUBSTRING
    variants: str = "none"  # none | pinyin | initials
    source: str = ""


@dataclass(frozen=True)
class Lexicon:
    """All deny terms by category, and the allow phrases."""

    terms: tuple[Term, ...]
    allow: tuple[Term, ...]
    digest: str = ""
    categories: tuple[str, ...] = field(default=())

    @classmethod
    def load(cls, directory: Path | str) -> Lexicon:
        directory = Path(directory)
        if not directory.is_dir():
            raise LexiconError("lexicon directory not found", path=directory)
        files = sorted(directory.glob("*.txt"))
        if not files:
            raise LexiconError("no *.txt lexicon files", path=directory)
        terms: list[Term] = []
        allow: list[Term] = []
        categories: list[str] = []
        digest = hashlib.sha256()
        for path in files:
            raw = path.read_bytes()
            digest.update(path.name.encode() + b"\0" + raw + b"\0")
            if path.name == ALLOW_FILE:
                allow.extend(parse_file(path, raw, "allow"))
                continue
            category = path.stem
            if not _CATEGORY_NAME.match(category):
                raise LexiconError(f"file name {path.name!r} is not a category name "
                                   "(lower-case letters, digits, _)", path=path)
            categories.append(category)
            terms.extend(parse_file(path, raw, category))
        return cls(tuple(terms), tuple(allow), digest.hexdigest(), tuple(categories))


def parse_file(path: Path, raw: bytes, category: str) -> list[Term]:
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LexiconError(f"not valid UTF-8 (byte {exc.start})", path=path) from None
    defaults: dict[str, str] = {}
    terms: list[Term] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(content.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("@defaults"):
            defaults = _parse_options(stripped[len("@defaults"):], path, number)
            continue
        if stripped.startswith("@"):
            raise LexiconError(f"unknown directive {stripped.split()[0]!r} (known: @defaults)",
                               path=path, line=number)
        text, _, rest = line.partition("\t")
        text = text.strip()
        if not text:
            raise LexiconError("empty term", path=path, line=number)
        if "  " in text:
            raise LexiconError(f"term {text!r} contains a run of spaces; separate options "
                               "with a TAB", path=path, line=number)
        options = {**defaults, **_parse_options(rest, path, number)}
        key = text.lower()
        if key in seen:
            raise LexiconError(f"duplicate term {text!r} (first on line {seen[key]})",
                               path=path, line=number)
        seen[key] = number
        terms.append(_term(text, category, options, f"{path.name}:{number}", path, number))
    return terms


def _parse_options(rest: str, path: Path, number: int) -> dict[str, str]:
    options: dict[str, str] = {}
    for item in rest.split():
        if item.startswith("#"):
            break
        key, eq, value = item.partition("=")
        if not eq or key not in _OPTIONS:
            raise LexiconError(f"unknown option {item!r} (known: "
                               f"{', '.join(sorted(_OPTIONS))}, written key=value)",
                               path=path, line=number)
        options[key] = value
    return options


def _term(text: str, category: str, options: dict[str, str], source: str, path: Path,
          number: int) -> Term:
    severity_text = options.get("severity", "2")
    if severity_text not in {"1", "2", "3"}:
        raise LexiconError(f"severity must be 1, 2 or 3, not {severity_text!r}",
                           path=path, line=number)
    try:
        mode = MatchMode(options.get("mode", "substring"))
    except ValueError:
        raise LexiconError(f"mode must be substring, word or message, not {options['mode']!r}",
                           path=path, line=number) from None
    variants = options.get("variants", "none")
    if variants not in {"pinyin", "initials", "none"}:
        raise LexiconError(f"variants must be none, pinyin or initials, not {variants!r}",
                           path=path, line=number)
    return Term(text, category, int(severity_text), mode, variants, source)

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
_OPTIONS = {"severity", "mode", "variants", "part"}
_NEAR_OPTIONS = {"within", "severity", "order"}
_SCOPE_OPTIONS = {"not", "not_in_message"}
_GROUP_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# The widest `within` a co-occurrence rule may ask for (characters).
MAX_WINDOW = 60


@dataclass(frozen=True, slots=True)
class Term:
    """One lexicon entry as written, with where it came from."""

    text: str
    category: str
    severity: int = 2
    mode: MatchMode = MatchMode.SUBSTRING
    variants: str = "none"  # none | pinyin | initials
    source: str = ""
    # A part term belongs to the named groups and raises nothing alone: it is one side of a
    # co-occurrence rule (`@near`) or a cancelling scope (`@scope`).
    parts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NearRule:
    """`@near first second`: a member of group `first` and one of group `second` within
    `within` characters of each other (`order=any`) or with `first` before `second`
    (`order=ab`, the default) raise one hit of the file's category."""

    first: str
    second: str
    within: int
    severity: int
    category: str
    ordered: bool = True
    source: str = ""

    @property
    def name(self) -> str:
        return f"{self.first}+{self.second}"


@dataclass(frozen=True, slots=True)
class Scope:
    """`@scope`: a hit of the file's category is cancelled by a member of a `not` group in the
    same clause, or of a `not_in_message` group anywhere in the message (negation, refusal,
    warning), unless that member lies inside another hit of the category."""

    category: str
    not_in_clause: tuple[str, ...] = ()
    not_in_message: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class ParsedFile:
    terms: list[Term]
    near: list[NearRule]
    scope: Scope | None


@dataclass(frozen=True)
class Lexicon:
    """All deny terms by category, and the allow phrases."""

    terms: tuple[Term, ...]
    allow: tuple[Term, ...]
    digest: str = ""
    categories: tuple[str, ...] = field(default=())
    near: tuple[NearRule, ...] = ()
    scopes: tuple[Scope, ...] = ()

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
        near: list[NearRule] = []
        scopes: list[Scope] = []
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
            parsed = parse_lexicon_file(path, raw, category)
            terms.extend(parsed.terms)
            near.extend(parsed.near)
            if parsed.scope is not None:
                scopes.append(parsed.scope)
        check_groups(terms, near, scopes)
        return cls(tuple(terms), tuple(allow), digest.hexdigest(), tuple(categories),
                   tuple(near), tuple(scopes))


def check_groups(terms: list[Term], near: list[NearRule], scopes: list[Scope]) -> None:
    """Every group a rule names has at least one member (in any file)."""
    groups = {g for t in terms for g in t.parts}
    for rule in near:
        for group in (rule.first, rule.second):
            if group not in groups:
                raise LexiconError(f"@near names group {group!r}, which has no member "
                                   f"(a term with part={group})", path=rule.source)
    for scope in scopes:
        for group in (*scope.not_in_clause, *scope.not_in_message):
            if group not in groups:
                raise LexiconError(f"@scope names group {group!r}, which has no member "
                                   f"(a term with part={group})", path=scope.source)


def parse_file(path: Path, raw: bytes, category: str) -> list[Term]:
    """The terms of one file (its `@near` and `@scope` lines are checked, not returned)."""
    return parse_lexicon_file(path, raw, category).terms


def parse_lexicon_file(path: Path, raw: bytes, category: str) -> ParsedFile:
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LexiconError(f"not valid UTF-8 (byte {exc.start})", path=path) from None
    defaults: dict[str, str] = {}
    terms: list[Term] = []
    near: list[NearRule] = []
    scope: Scope | None = None
    seen: dict[str, int] = {}
    for number, line in enumerate(content.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("@defaults"):
            defaults = _parse_options(stripped[len("@defaults"):], path, number)
            continue
        if stripped.startswith("@near"):
            near.append(_near(stripped[len("@near"):], category, path, number))
            continue
        if stripped.startswith("@scope"):
            if scope is not None:
                raise LexiconError("a file has one @scope line", path=path, line=number)
            scope = _scope(stripped[len("@scope"):], category, path, number)
            continue
        if stripped.startswith("@"):
            raise LexiconError(f"unknown directive {stripped.split()[0]!r} (known: @defaults, "
                               "@near, @scope)", path=path, line=number)
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
    return ParsedFile(terms, near, scope)


def _words_and_options(rest: str, known: set[str], what: str, path: Path,
                       number: int) -> tuple[list[str], dict[str, str]]:
    words: list[str] = []
    options: dict[str, str] = {}
    for item in rest.split():
        if item.startswith("#"):
            break
        key, eq, value = item.partition("=")
        if not eq:
            words.append(item)
        elif key in known and value:
            options[key] = value
        else:
            raise LexiconError(f"unknown {what} option {item!r} (known: "
                               f"{', '.join(sorted(known))}, written key=value)",
                               path=path, line=number)
    return words, options


def _group(name: str, path: Path, number: int) -> str:
    if not _GROUP_NAME.match(name):
        raise LexiconError(f"group name {name!r} must be lower-case letters, digits and _",
                           path=path, line=number)
    return name


def _near(rest: str, category: str, path: Path, number: int) -> NearRule:
    words, options = _words_and_options(rest, _NEAR_OPTIONS, "@near", path, number)
    if len(words) != 2:
        raise LexiconError("@near takes two group names, then options: @near GROUP GROUP "
                           "within=N [severity=1|2|3] [order=ab|any]", path=path, line=number)
    within_text = options.get("within", "")
    if not within_text.isdigit() or not 0 <= int(within_text) <= MAX_WINDOW:
        raise LexiconError(f"@near needs within=N characters, N from 0 to {MAX_WINDOW}",
                           path=path, line=number)
    severity = options.get("severity", "3")
    if severity not in {"1", "2", "3"}:
        raise LexiconError(f"severity must be 1, 2 or 3, not {severity!r}",
                           path=path, line=number)
    order = options.get("order", "ab")
    if order not in {"ab", "any"}:
        raise LexiconError(f"order must be ab or any, not {order!r}", path=path, line=number)
    first, second = (_group(w, path, number) for w in words)
    return NearRule(first, second, int(within_text), int(severity), category, order == "ab",
                    f"{path.name}:{number}")


def _scope(rest: str, category: str, path: Path, number: int) -> Scope:
    words, options = _words_and_options(rest, _SCOPE_OPTIONS, "@scope", path, number)
    if words or not options:
        raise LexiconError("@scope takes options only: @scope not=GROUP[,GROUP] "
                           "not_in_message=GROUP[,GROUP]", path=path, line=number)
    def groups(key: str) -> tuple[str, ...]:
        return tuple(_group(g, path, number) for g in options.get(key, "").split(",") if g)
    return Scope(category, groups("not"), groups("not_in_message"), f"{path.name}:{number}")


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
    parts = tuple(_group(g, path, number) for g in options.get("part", "").split(",") if g)
    return Term(text, category, int(severity_text), mode, variants, source, parts)

"""Lexicon files → `Lexicon`: terms per category plus the allow list, and per-shop overlays.

The file format is documented in lexicons/README.md. Every problem is a LexiconError naming
file:line, because these files are edited by hand by QA staff.

A shop's overlay is `shops/<shop>/<category>.txt` (and `shops/<shop>/allow.txt`) in the same
format: terms that apply to that shop's messages only, on top of the shared ones. An overlay may
only use the shared categories, because the policy maps categories to tiers.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from classifiers.errors import LexiconError
from classifiers.results import MatchMode

ALLOW_FILE = "allow.txt"
SHOPS_DIR = "shops"
# A shop id as tokens carry it (gateway/auth.py) that is also a plain, visible directory name.
_SHOP_NAME = re.compile(r"^[A-Za-z0-9_@-][A-Za-z0-9_.@-]{0,63}$")
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
class ShopLexicon:
    """One shop's own deny terms and allow phrases, applied on top of the shared lexicon."""

    shop: str
    terms: tuple[Term, ...]
    allow: tuple[Term, ...]
    digest: str


@dataclass(frozen=True)
class Lexicon:
    """All deny terms by category, and the allow phrases; `shops` holds the overlays of the
    shops that have one. `digest` covers everything (it is part of the configuration version);
    `shared_digest` only the shared files."""

    terms: tuple[Term, ...]
    allow: tuple[Term, ...]
    digest: str = ""
    categories: tuple[str, ...] = field(default=())
    shops: dict[str, ShopLexicon] = field(default_factory=dict)
    shared_digest: str = ""

    @classmethod
    def load(cls, directory: Path | str, previous: Lexicon | None = None) -> Lexicon:
        """`previous`: the lexicon loaded before (a reload), whose shop overlays are reused
        where their files did not change, so a reload with many shops parses only what
        changed."""
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
        shared = digest.hexdigest()
        shops = _load_shops(directory / SHOPS_DIR, set(categories),
                            previous.shops if previous is not None else {})
        if shops:  # without overlays the version stays what it was before overlays existed
            for name, overlay in shops.items():
                digest.update(f"{SHOPS_DIR}/{name}\0{overlay.digest}\0".encode())
        return cls(tuple(terms), tuple(allow), digest.hexdigest(), tuple(categories), shops,
                   shared)


def shop_file(shop: str, category: str) -> str:
    """Where a shop's overlay for `category` lives, relative to the lexicon directory."""
    return f"{SHOPS_DIR}/{shop}/{ALLOW_FILE if category == 'allow' else category + '.txt'}"


def is_shop_name(name: str) -> bool:
    return bool(_SHOP_NAME.match(name))


def _load_shops(root: Path, categories: set[str],
                previous: dict[str, ShopLexicon]) -> dict[str, ShopLexicon]:
    if not root.is_dir():
        return {}
    shops: dict[str, ShopLexicon] = {}
    for directory in sorted(root.iterdir()):
        if directory.name.startswith("."):
            continue  # an editor's or a sync's temporary entry
        if not directory.is_dir() or not is_shop_name(directory.name):
            raise LexiconError("shops/ holds one directory per shop, named by its shop id "
                               "(1-64 of A-Z a-z 0-9 _ . @ -)", path=directory)
        files = [(path, path.read_bytes()) for path in sorted(directory.glob("*.txt"))]
        digest = hashlib.sha256()
        for path, raw in files:
            digest.update(path.name.encode() + b"\0" + raw + b"\0")
            if path.name != ALLOW_FILE and path.stem not in categories:
                raise LexiconError(f"a shop's file is named after a shared category or is "
                                   f"{ALLOW_FILE}; {path.stem!r} is not one (known: "
                                   f"{', '.join(sorted(categories))})", path=path)
        known = previous.get(directory.name)
        if known is not None and known.digest == digest.hexdigest():
            shops[directory.name] = known
            continue
        terms: list[Term] = []
        allow: list[Term] = []
        for path, raw in files:
            label = f"{SHOPS_DIR}/{directory.name}/{path.name}"
            if path.name == ALLOW_FILE:
                allow.extend(parse_file(path, raw, "allow", label))
            else:
                terms.extend(parse_file(path, raw, path.stem, label))
        if terms or allow:  # a shop whose files hold no term has no overlay: it pays nothing
            shops[directory.name] = ShopLexicon(directory.name, tuple(terms), tuple(allow),
                                                digest.hexdigest())
    return shops


def parse_file(path: Path, raw: bytes, category: str, label: str | None = None) -> list[Term]:
    """The terms of one file; `label` names it in each term's source (default: its name)."""
    label = label or path.name
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
        terms.append(_term(text, category, options, f"{label}:{number}", path, number))
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

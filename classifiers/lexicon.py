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
_OPTIONS = {"severity", "mode", "variants", "part"}
_NEAR_OPTIONS = {"within", "severity", "order"}
_SCOPE_OPTIONS = {"not", "not_in_message", "contrast", "stance", "product_head"}
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
    variants: str = "none"  # none | latin | pinyin | initials
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
    warning), unless that member lies inside another hit of the category. A hit before a
    `contrast` member that opens a later clause of its sentence (但, 不过) is cancelled when a
    member of a `stance` group follows that member in the sentence: the first part is conceded,
    the stance after the contrast is what the agent says (微信聊天是方便，但还是在这里聊吧).
    A group member right before a `product_head` member is the start of a product's name
    (QQ糖, 微信读书, 美团外卖), no member of any group: it joins no rule."""

    category: str
    not_in_clause: tuple[str, ...] = ()
    not_in_message: tuple[str, ...] = ()
    source: str = ""
    contrast: tuple[str, ...] = ()
    stance: tuple[str, ...] = ()
    product_head: tuple[str, ...] = ()

    @property
    def groups(self) -> tuple[str, ...]:
        """Every group the scope reads."""
        return (*self.not_in_clause, *self.not_in_message, *self.contrast, *self.stance,
                *self.product_head)


@dataclass(frozen=True)
class ParsedFile:
    terms: list[Term]
    near: list[NearRule]
    scope: Scope | None


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
    near: tuple[NearRule, ...] = ()
    scopes: tuple[Scope, ...] = ()
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
        shared = digest.hexdigest()
        shops = _load_shops(directory / SHOPS_DIR, set(categories),
                            previous.shops if previous is not None else {})
        if shops:  # without overlays the version stays what it was before overlays existed
            for name, overlay in shops.items():
                digest.update(f"{SHOPS_DIR}/{name}\0{overlay.digest}\0".encode())
        return cls(tuple(terms), tuple(allow), digest.hexdigest(), tuple(categories),
                   tuple(near), tuple(scopes), shops, shared)


def check_groups(terms: list[Term], near: list[NearRule], scopes: list[Scope]) -> None:
    """Every group a rule names has at least one member (in any file)."""
    groups = {g for t in terms for g in t.parts}
    for rule in near:
        for group in (rule.first, rule.second):
            if group not in groups:
                raise LexiconError(f"@near names group {group!r}, which has no member "
                                   f"(a term with part={group})", path=rule.source)
    for scope in scopes:
        for group in scope.groups:
            if group not in groups:
                raise LexiconError(f"@scope names group {group!r}, which has no member "
                                   f"(a term with part={group})", path=scope.source)


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
            category = "allow" if path.name == ALLOW_FILE else path.stem
            parsed = parse_lexicon_file(path, raw, category, label, overlay=True)
            (allow if path.name == ALLOW_FILE else terms).extend(parsed.terms)
        if terms or allow:  # a shop whose files hold no term has no overlay: it pays nothing
            shops[directory.name] = ShopLexicon(directory.name, tuple(terms), tuple(allow),
                                                digest.hexdigest())
    return shops


def parse_file(path: Path, raw: bytes, category: str, label: str | None = None) -> list[Term]:
    """The terms of one file (its `@near` and `@scope` lines are checked, not returned);
    `label` names it in each term's source (default: its name)."""
    return parse_lexicon_file(path, raw, category, label).terms


def parse_lexicon_file(path: Path, raw: bytes, category: str, label: str | None = None, *,
                       overlay: bool = False) -> ParsedFile:
    """`overlay`: a shop's file. Groups, co-occurrence rules and scopes are shared (they
    apply to a shop's terms like to any other), so an overlay holds terms and allow phrases."""
    label = label or path.name
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
        if overlay and stripped.startswith(("@near", "@scope")):
            raise LexiconError(f"{stripped.split()[0]} is for the shared lexicon only; a "
                               "shop's overlay holds terms and allow phrases",
                               path=path, line=number)
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
        if overlay and "part" in options:
            raise LexiconError("part= (groups) is for the shared lexicon only; a shop's "
                               "overlay holds terms and allow phrases", path=path, line=number)
        key = text.lower()
        if key in seen:
            raise LexiconError(f"duplicate term {text!r} (first on line {seen[key]})",
                               path=path, line=number)
        seen[key] = number
        terms.append(_term(text, category, options, f"{label}:{number}", path, number))
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
                           "not_in_message=GROUP[,GROUP] [contrast=GROUP stance=GROUP[,GROUP]] "
                           "[product_head=GROUP]",
                           path=path, line=number)
    def groups(key: str) -> tuple[str, ...]:
        return tuple(_group(g, path, number) for g in options.get(key, "").split(",") if g)
    if bool(options.get("contrast")) != bool(options.get("stance")):
        raise LexiconError("@scope: contrast= and stance= go together (a contrast marker and "
                           "what after it makes the part before it conceded)",
                           path=path, line=number)
    return Scope(category, groups("not"), groups("not_in_message"), f"{path.name}:{number}",
                 groups("contrast"), groups("stance"), groups("product_head"))


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
    if variants not in {"latin", "pinyin", "initials", "none"}:
        raise LexiconError(f"variants must be none, latin, pinyin or initials, not {variants!r}",
                           path=path, line=number)
    parts = tuple(_group(g, path, number) for g in options.get("part", "").split(",") if g)
    return Term(text, category, int(severity_text), mode, variants, source, parts)

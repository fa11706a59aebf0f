"""QA edits lexicon terms through the API or the CLI: one term added or removed at a time, in
the shared lexicon or in one shop's overlay (`lexicons/shops/<shop>/<category>.txt`).

A change is checked with the lexicon parser, written atomically (temporary file + rename, so the
watcher and other readers never see half a file), then applied with `LiveConfig.reload("api")`,
which builds the whole configuration. If that reload is rejected, the previous file is put back
and the change is refused (`ConfigRejected`): the files on disk always describe a configuration
that builds.

Audit trail: one JSON line per attempted change, refused ones included, in
`<data_dir>/lexicon-audit.jsonl` (appended and fsynced before the API answers): who, when, what
line, the result and the version after.
It lives beside the lexicon files it describes rather than in the log database: lexicons are
files on each node, the audit needs no schema migration, and an append-only file survives the
log database being purged or moved.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import tempfile
import unicodedata
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classifiers.contacts import CHANNEL_GROUPS
from classifiers.errors import LexiconError
from classifiers.lexicon import ALLOW_FILE, Term, parse_file, shop_file
from classifiers.results import MatchMode
from gateway.auth import Principal
from gateway.config.live import LiveConfig, ReloadEvent
from gateway.config.scope import error_for_scope, only_shop
from gateway.errors import ConfigRejected, Forbidden, InvalidRequest, NotFound

AUDIT_FILE = "lexicon-audit.jsonl"
ALLOW_CATEGORY = "allow"
MAX_TERM_CHARS = 100
# A term is one line of text before the TAB that starts its options; these would break that.
_BAD_TERM = re.compile(r"[\t\r\n\x00-\x1f\x7f\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class TermOptions:
    severity: int | None = None
    mode: str | None = None
    variants: str | None = None

    def line(self, text: str) -> str:
        options = " ".join(f"{key}={value}" for key, value in (
            ("severity", self.severity), ("mode", self.mode), ("variants", self.variants))
            if value is not None)
        return f"{text}\t{options}" if options else text


class LexiconFiles:
    """The lexicon directory as QA sees it: each category's file in the shared lexicon
    (`shop` None) or in one shop's overlay (`shop` named), and the terms in it. Read only."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def files(self, shop: str | None = None) -> dict[str, Path]:
        """Category → its file; the allow list is the category `allow`. A shop's overlay has a
        file for every shared category, most of them not written yet (its first term
        creates it)."""
        shared = {ALLOW_CATEGORY if p.name == ALLOW_FILE else p.stem: p
                  for p in sorted(self.directory.glob("*.txt"))}
        if shop is None:
            return shared
        return {category: self.directory / shop_file(shop, category) for category in shared}

    def file_of(self, category: str, shop: str | None = None) -> Path:
        path = self.files(shop).get(category)
        if path is None:
            raise InvalidRequest(f"未知的词库类别 {category}；可用：{'、'.join(self.files())}")
        return path

    def terms(self, category: str, contains: str | None = None,
              shop: str | None = None) -> list[Term]:
        path = self.file_of(category, shop)
        if not path.exists():
            return []
        terms = parse_file(path, path.read_bytes(), category, self._label(path))
        if contains:
            needle = contains.lower()
            terms = [t for t in terms if needle in t.text.lower()]
        return terms

    def _label(self, path: Path) -> str:
        return path.relative_to(self.directory).as_posix()


class LexiconEditor(LexiconFiles):
    """Edits the shared lexicon or one shop's overlay, under the running configuration.

    Which lexicon a caller may address is the API's business (gateway/api/tenancy.py); what
    the reload may then apply is `scope` here: a caller confined to one shop passes that shop,
    and a reload that would also change anything else is refused (gateway/config/scope.py)."""

    def __init__(self, live: LiveConfig, audit_path: Path, origin: str = "api") -> None:
        super().__init__(live.source.lexicon_dir)
        self.live = live
        self.audit_path = audit_path
        self.origin = origin  # the reload's origin: api, or cli
        self._lock = asyncio.Lock()  # one read-modify-write of the files at a time

    async def add(self, user: Principal, category: str, text: str, options: TermOptions,
                  shop: str | None = None, scope: str | None = None) -> ReloadEvent:
        async with self._lock, self._audited(user, "add", category, shop, text):
            text = check_term(text)
            line = options.line(text)
            path = self.file_of(category, shop)
            old = path.read_text(encoding="utf-8-sig") if path.exists() else None
            base = old or ""
            new = base + ("" if not base or base.endswith("\n") else "\n") + line + "\n"
            added = parse_file(path, new.encode("utf-8"), category, self._label(path))[-1]
            check_strength(added)
            if shop is not None and any(t.text.lower() == text.lower()
                                        for t in self.terms(category)):
                raise InvalidRequest(f"共享词库的 {category} 已有「{text}」，店铺词库无需再加")
            if scope is not None and category == ALLOW_CATEGORY:
                self._check_not_a_shared_term(text)
            return await self._apply(user, "add", category, shop, scope, path, old, new, text,
                                     line)

    def _check_not_a_shared_term(self, phrase: str) -> None:
        """A shop's allow phrase names something longer that holds a risky term (QQ糖 holds
        qq); one that is nothing but shared deny terms or group members (微信, 加我微信, 微信。,
        ＱＱ: a channel joins the shared `@near` rules) would switch the platform's rules off
        for the shop, which only a platform-wide edit may do. Members of groups that only
        cancel (a product head such as the 糖 of QQ糖, a negation) switch nothing off."""
        scorer = self.live.current
        normalized = scorer.normalizer(phrase)
        hits = scorer.matcher.match_hits(normalized, every_member=True)
        risky = scorer.structure.rule_groups_ | CHANNEL_GROUPS
        found = [(m.start, m.end, m.term) for m in hits.matches if m.view != "message"]
        found += [(*normalized.span(p.start, p.end), p.term.text) for p in hits.parts
                  if p.group in risky]
        covered = {i for start, end, _ in found for i in range(start, end)}
        if found and all(i in covered for i, c in enumerate(phrase) if _is_meaningful(c)):
            terms = "、".join(dict.fromkeys(term for _, _, term in found))
            raise InvalidRequest(f"店铺白名单「{phrase}」只由共享词库的违规词「{terms}」组成，"
                                 "会让本店铺绕过平台规则；请写包含它的完整商品名（如 QQ糖）")

    async def remove(self, user: Principal, category: str, text: str, shop: str | None = None,
                     scope: str | None = None) -> ReloadEvent:
        async with self._lock, self._audited(user, "remove", category, shop, text):
            text = check_term(text)
            path = self.file_of(category, shop)
            old = path.read_text(encoding="utf-8-sig") if path.exists() else ""
            lines = old.splitlines(keepends=True)
            kept = [ln for ln in lines if _term_of(ln) != text.lower()]
            if len(kept) == len(lines):
                raise NotFound(f"{category} 词库中没有词条 {text}")
            removed = next(ln for ln in lines if _term_of(ln) == text.lower()).rstrip("\r\n")
            new: str | None = "".join(kept)
            # a shop's file left without terms goes: a shop without terms has no overlay
            if shop is not None and not any(_term_of(ln) for ln in kept):
                new = None
            return await self._apply(user, "remove", category, shop, scope, path, old, new,
                                     text, removed)

    @contextlib.asynccontextmanager
    async def _audited(self, user: Principal, action: str, category: str, shop: str | None,
                       term: str) -> AsyncIterator[None]:
        """An attempt refused before anything was written (a bad or weak term, an unknown
        category, a term that is not there, a file the parser refuses) is audited as rejected
        too; one the reload refused or rejected was audited by `_apply`."""
        try:
            yield
        except (InvalidRequest, NotFound, LexiconError) as exc:
            error = str(exc).replace(f"{self.directory}{os.sep}", "")
            await asyncio.to_thread(self._audit, user, action, category, shop, term, None,
                                    "rejected", self.live.version, error)
            raise

    async def _apply(self, user: Principal, action: str, category: str, shop: str | None,
                     scope: str | None, path: Path, old: str | None, new: str | None,
                     term: str, line: str) -> ReloadEvent:
        if new is not None:
            parse_file(path, new.encode("utf-8"), category, self._label(path))  # file:line
        await asyncio.to_thread(_write, path, new)
        admit = only_shop(scope) if scope is not None else None
        try:
            event = await self.live.reload(self.origin, admit=admit)
        except Forbidden as refused:
            await asyncio.to_thread(_write, path, old)
            await asyncio.to_thread(self._audit, user, action, category, shop, term, line,
                                    "refused", self.live.version, str(refused))
            raise
        if event.result == "rejected":
            await asyncio.to_thread(_write, path, old)
            # back on the running version's files: this reload is "unchanged" and clears the
            # error, unless something else on disk is broken too
            with contextlib.suppress(Forbidden):
                await self.live.reload(self.origin, admit=admit)
        await asyncio.to_thread(self._audit, user, action, category, shop, term, line,
                                event.result, event.version, event.error)
        if event.result == "rejected":
            error = (event.error or "").replace(f"{self.directory}{os.sep}", "")
            raise ConfigRejected(f"词库修改未生效，已恢复原文件：{error_for_scope(error, scope)}")
        return event

    def _audit(self, user: Principal, action: str, category: str, shop: str | None, term: str,
               line: str | None, result: str, version: str, error: str | None) -> None:
        entry = {"time": datetime.now(UTC).isoformat(), "user": user.user,
                 "role": str(user.role), "shop": user.shop, "lexicon_shop": shop,
                 "action": action, "category": category, "term": term, "line": line,
                 "result": result, "version": version, "error": error}
        self.audit_path.parent.mkdir(parents=True, exist_ok=True)
        with self.audit_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def audit(self, limit: int, shops: frozenset[str] | None = None) -> list[dict[str, Any]]:
        """The newest `limit` audit entries, oldest first; with `shops`, only the changes of
        those shops' overlays (an entry written before overlays existed changed the shared
        lexicon)."""
        return read_audit(self.audit_path, limit, shops)


def read_audit(path: Path, limit: int, shops: frozenset[str] | None = None
               ) -> list[dict[str, Any]]:
    """`LexiconEditor.audit` of the audit file at `path` (the CLI reads it without a running
    configuration)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        entries = (json.loads(line) for line in handle)
        if shops is not None:
            entries = (e for e in entries if e.get("lexicon_shop") in shops)
        return list(deque(entries, maxlen=limit))


def check_term(text: str) -> str:
    """The term as it will be written, or InvalidRequest saying what is wrong with it."""
    bad = _BAD_TERM.search(text)
    if bad:
        raise InvalidRequest(f"词条不能包含制表符、换行或控制字符 (U+{ord(bad.group()):04X})")
    text = text.strip()
    if not text:
        raise InvalidRequest("词条为空")
    if len(text) > MAX_TERM_CHARS:
        raise InvalidRequest(f"词条最长 {MAX_TERM_CHARS} 个字符")
    if text[0] in "#@":
        raise InvalidRequest("词条不能以 # 或 @ 开头（注释和指令）")
    return text


def check_strength(term: Term) -> None:
    """Refuse a term too weak for its mode: it would hit ordinary messages wholesale (`~` in
    every message with a tilde, `a` in every English word, 的 in most Chinese sentences)."""
    meaningful = [c for c in term.text if _is_meaningful(c)]
    if not meaningful and term.mode is not MatchMode.MESSAGE:
        raise InvalidRequest(f"词条「{term.text}」只有标点或符号，会命中大量正常消息；只有"
                             "整条消息模式（mode=message）可以用它")
    if len(term.text) == 1 and not _is_emoji(term.text):
        if term.mode is MatchMode.SUBSTRING:
            raise InvalidRequest(f"词条「{term.text}」只有一个字，子串模式下会命中所有含这个"
                                 "字的词；请写完整的词，或用 mode=word（按词边界）")
        if term.mode is MatchMode.WORD and term.text.isascii():
            raise InvalidRequest(f"词条「{term.text}」只是一个字母或数字，太短，会误伤正常消息")


def _is_meaningful(char: str) -> bool:
    """A letter, digit or combining mark, or an emoji (one can stand for a word)."""
    return unicodedata.category(char)[0] in "LNM" or _is_emoji(char)


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) == "So" and ord(char) >= 0x1F000


def _term_of(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped[0] in "#@":
        return None
    return line.partition("\t")[0].strip().lower()


def _write(path: Path, text: str | None) -> None:
    """Write `text` into `path` (creating a shop's directory), or remove the file for None
    (and the shop's directory once it is empty)."""
    if text is None:
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # only if empty; the shared directory never is
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text)


def write_atomically(path: Path, text: str) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

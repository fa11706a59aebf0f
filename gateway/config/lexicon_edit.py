"""QA edits lexicon terms through the API: one term added or removed at a time.

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
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classifiers.errors import LexiconError
from classifiers.lexicon import ALLOW_FILE, Term, parse_file
from gateway.auth import Principal
from gateway.config.live import LiveConfig, ReloadEvent
from gateway.errors import ConfigRejected, InvalidRequest, NotFound

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


class LexiconEditor:
    def __init__(self, live: LiveConfig, audit_path: Path) -> None:
        self.live = live
        self.audit_path = audit_path
        self._lock = asyncio.Lock()  # one read-modify-write of the files at a time

    @property
    def directory(self) -> Path:
        return self.live.source.lexicon_dir

    def files(self) -> dict[str, Path]:
        """Category → its file; the allow list is the category `allow`."""
        return {ALLOW_CATEGORY if p.name == ALLOW_FILE else p.stem: p
                for p in sorted(self.directory.glob("*.txt"))}

    def file_of(self, category: str) -> Path:
        path = self.files().get(category)
        if path is None:
            raise InvalidRequest(f"未知的词库类别 {category}；可用：{'、'.join(self.files())}")
        return path

    def terms(self, category: str, contains: str | None = None) -> list[Term]:
        path = self.file_of(category)
        terms = parse_file(path, path.read_bytes(), category)
        if contains:
            needle = contains.lower()
            terms = [t for t in terms if needle in t.text.lower()]
        return terms

    async def add(self, user: Principal, category: str, text: str,
                  options: TermOptions) -> ReloadEvent:
        async with self._lock, self._audited(user, "add", category, text):
            text = check_term(text)
            line = options.line(text)
            path = self.file_of(category)
            old = path.read_text(encoding="utf-8-sig")
            new = old + ("" if not old or old.endswith("\n") else "\n") + line + "\n"
            return await self._apply(user, "add", category, path, old, new, text, line)

    async def remove(self, user: Principal, category: str, text: str) -> ReloadEvent:
        async with self._lock, self._audited(user, "remove", category, text):
            text = check_term(text)
            path = self.file_of(category)
            old = path.read_text(encoding="utf-8-sig")
            lines = old.splitlines(keepends=True)
            kept = [ln for ln in lines if _term_of(ln) != text.lower()]
            if len(kept) == len(lines):
                raise NotFound(f"{category} 词库中没有词条 {text}")
            removed = next(ln for ln in lines if _term_of(ln) == text.lower()).rstrip("\r\n")
            return await self._apply(user, "remove", category, path, old, "".join(kept),
                                     text, removed)

    @contextlib.asynccontextmanager
    async def _audited(self, user: Principal, action: str, category: str,
                       term: str) -> AsyncIterator[None]:
        """An attempt refused before anything was written (a bad term, an unknown category, a
        term that is not there, a file the parser refuses) is audited as rejected too; one
        the reload refused was audited by `_apply` with the reload's event."""
        try:
            yield
        except (InvalidRequest, NotFound, LexiconError) as exc:
            error = str(exc).replace(f"{self.directory}{os.sep}", "")
            refused = ReloadEvent(time.time(), "api", "rejected", self.live.version,
                                  error=error)
            await asyncio.to_thread(self._audit, user, action, category, term, None, refused)
            raise

    async def _apply(self, user: Principal, action: str, category: str, path: Path, old: str,
                     new: str, term: str, line: str) -> ReloadEvent:
        parse_file(path, new.encode("utf-8"), category)  # LexiconError names file:line
        await asyncio.to_thread(write_atomically, path, new)
        event = await self.live.reload("api")
        if event.result == "rejected":
            await asyncio.to_thread(write_atomically, path, old)
            # back on the running version's files: this reload is "unchanged" and clears the
            # error, unless something else on disk is broken too
            await self.live.reload("api")
        await asyncio.to_thread(self._audit, user, action, category, term, line, event)
        if event.result == "rejected":
            error = (event.error or "").replace(f"{self.directory}{os.sep}", "")
            raise ConfigRejected(f"词库修改未生效，已恢复原文件：{error}")
        return event

    def _audit(self, user: Principal, action: str, category: str, term: str,
               line: str | None, event: ReloadEvent) -> None:
        entry = {"time": datetime.now(UTC).isoformat(), "user": user.user,
                 "role": str(user.role), "shop": user.shop, "action": action,
                 "category": category, "term": term, "line": line, "result": event.result,
                 "version": event.version, "error": event.error}
        self.audit_path.parent.mkdir(parents=True, exist_ok=True)
        with self.audit_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def audit(self, limit: int) -> list[dict[str, Any]]:
        """The newest `limit` audit entries, oldest first."""
        if not self.audit_path.exists():
            return []
        with self.audit_path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in deque(handle, maxlen=limit)]


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


def _term_of(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped[0] in "#@":
        return None
    return line.partition("\t")[0].strip().lower()


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

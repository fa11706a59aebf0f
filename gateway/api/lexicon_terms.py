"""QA manages lexicon terms: list, search, add, remove, and the audit trail of changes, in the
shared lexicon or a shop's overlay. Who may address which: gateway/api/tenancy.py; validation,
atomic writes, hot reload and the audit file: gateway/config/lexicon_edit.py."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from gateway.api.deps import LexiconEditorDep, RequireQA
from gateway.api.responses import GUARDED, WITH_BODY, errors
from gateway.api.tenancy import EditLexiconShop, ReadLexiconShop, own_scope, visible_error
from gateway.config.lexicon_edit import MAX_TERM_CHARS, TermOptions

router = APIRouter(prefix="/api/lexicon", tags=["qa: lexicon"], responses=GUARDED)

Category = Annotated[str, Path(description="lexicon category (file name), or `allow`")]


class TermOut(BaseModel):
    text: str
    category: str
    severity: int
    mode: str
    variants: str
    source: str = Field(description="file:line, relative to the lexicon directory")
    shop: str | None = Field(description="the shop whose overlay holds it; null: shared")


class CategoryOut(BaseModel):
    category: str
    file: str = Field(description="relative to the lexicon directory (a shop's file may not "
                      "exist yet: its first term creates it)")
    terms: int
    shop: str | None = Field(description="the shop whose overlay this is; null: shared")


class TermIn(BaseModel):
    term: str = Field(max_length=MAX_TERM_CHARS * 2, description="the term, no TAB or newline")
    severity: Literal[1, 2, 3] | None = None
    mode: Literal["substring", "word", "message"] | None = None
    variants: Literal["none", "latin", "pinyin", "initials"] | None = None


class ChangeOut(BaseModel):
    result: str = Field(description="applied or unchanged")
    version: str = Field(description="configuration version running after the change")


class AuditEntry(BaseModel):
    time: str
    user: str
    role: str
    shop: str = Field(description="the editor's token's shop")
    lexicon_shop: str | None = Field(default=None, description="whose lexicon changed: the "
                                     "shop of the overlay; null: the shared lexicon")
    action: Literal["add", "remove"]
    category: str
    term: str
    line: str | None  # None: refused before a line was written or found
    result: str = Field(description="applied, unchanged, rejected (did not build, or refused "
                        "before anything was written) or refused (other changes pending on "
                        "disk that this token may not apply)")
    version: str
    error: str | None


@router.get("", summary="Lexicon categories (qa)")
async def categories(editor: LexiconEditorDep, shop: ReadLexiconShop) -> list[CategoryOut]:
    """Role **qa**. Every category with its file and number of terms, in the shared lexicon or
    in a shop's overlay (`shop`; a shop's token: its own by default)."""
    root = editor.directory
    return [CategoryOut(category=c, file=p.relative_to(root).as_posix(),
                        terms=len(editor.terms(c, shop=shop)), shop=shop)
            for c, p in editor.files(shop).items()]


@router.get("/audit", summary="Who changed which term when (qa)")
async def audit(editor: LexiconEditorDep, user: RequireQA,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AuditEntry]:
    """Role **qa**. The newest changes made through this API or the CLI (rejected and refused
    ones included), oldest first. A shop's token sees the changes of its own overlay only."""
    scope = own_scope(user)
    entries: list[dict[str, Any]] = editor.audit(
        limit, None if scope is None else frozenset({scope}))
    return [AuditEntry.model_validate(e | {"error": visible_error(e.get("error"), user)})
            for e in entries]


@router.get("/{category}/terms", summary="List or search a category's terms (qa)")
async def list_terms(editor: LexiconEditorDep, shop: ReadLexiconShop, category: Category,
                     q: Annotated[str | None, Query(max_length=MAX_TERM_CHARS,
                                                    description="terms containing this")]
                     = None) -> list[TermOut]:
    """Role **qa**. The terms as written in the file (options resolved), of the shared lexicon
    or a shop's overlay (`shop`). Unknown category: 422; another shop's overlay: 403."""
    return [TermOut(text=t.text, category=t.category, severity=t.severity, mode=str(t.mode),
                    variants=t.variants, source=t.source, shop=shop)
            for t in editor.terms(category, q, shop)]


@router.post("/{category}/terms", status_code=201, summary="Add a term (qa)",
             responses=WITH_BODY)
async def add_term(editor: LexiconEditorDep, user: RequireQA, shop: EditLexiconShop,
                   category: Category, body: TermIn) -> ChangeOut:
    """Role **qa**. Appends the term to the category's file — the shared one (platform-wide
    token) or a shop's overlay (a shop's token: always its own) — and hot-reloads. 422 for a
    term with a TAB, newline or control character, one too weak for its mode (only
    punctuation or symbols; one character in substring mode; one latin letter or digit), a
    duplicate, an unknown category, or a change the reload rejects (the file is restored).
    403 for another shop's overlay, the shared lexicon with a shop's token, or when the files
    hold other changes a shop's token may not apply. Audited."""
    event = await editor.add(user, category, body.term,
                             TermOptions(body.severity, body.mode, body.variants), shop,
                             own_scope(user))
    return ChangeOut(result=event.result, version=event.version)


@router.delete("/{category}/terms/{term}", summary="Remove a term (qa)",
               responses=errors(404))
async def remove_term(editor: LexiconEditorDep, user: RequireQA, shop: EditLexiconShop,
                      category: Category,
                      term: Annotated[str, Path(description="the term as written")]
                      ) -> ChangeOut:
    """Role **qa**. Removes the term's line and hot-reloads (the same lexicon as adding). 404
    if the category has no such term. Audited."""
    event = await editor.remove(user, category, term, shop, own_scope(user))
    return ChangeOut(result=event.result, version=event.version)

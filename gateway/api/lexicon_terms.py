"""QA manages lexicon terms: list, search, add, remove, and the audit trail of changes.
See gateway/config/lexicon_edit.py for validation, atomic writes, hot reload and the audit file."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from gateway.api.deps import LexiconEditorDep, RequireQA
from gateway.api.responses import GUARDED, WITH_BODY, errors
from gateway.config.lexicon_edit import MAX_TERM_CHARS, TermOptions

router = APIRouter(prefix="/api/lexicon", tags=["qa: lexicon"], responses=GUARDED)

Category = Annotated[str, Path(description="lexicon category (file name), or `allow`")]


class TermOut(BaseModel):
    text: str
    category: str
    severity: int
    mode: str
    variants: str
    source: str = Field(description="file:line")


class CategoryOut(BaseModel):
    category: str
    file: str
    terms: int


class TermIn(BaseModel):
    term: str = Field(max_length=MAX_TERM_CHARS * 2, description="the term, no TAB or newline")
    severity: Literal[1, 2, 3] | None = None
    mode: Literal["substring", "word", "message"] | None = None
    variants: Literal["none", "pinyin", "initials"] | None = None


class ChangeOut(BaseModel):
    result: str = Field(description="applied or unchanged")
    version: str = Field(description="configuration version running after the change")


class AuditEntry(BaseModel):
    time: str
    user: str
    role: str
    shop: str
    action: Literal["add", "remove"]
    category: str
    term: str
    line: str | None  # None: refused before a line was written or found
    result: str
    version: str
    error: str | None


@router.get("", summary="Lexicon categories (qa)")
async def categories(editor: LexiconEditorDep, user: RequireQA) -> list[CategoryOut]:
    """Role **qa**. Every category with its file and number of terms."""
    return [CategoryOut(category=c, file=p.name, terms=len(editor.terms(c)))
            for c, p in editor.files().items()]


@router.get("/audit", summary="Who changed which term when (qa)")
async def audit(editor: LexiconEditorDep, user: RequireQA,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AuditEntry]:
    """Role **qa**. The newest changes made through this API (rejected ones included),
    oldest first."""
    entries: list[dict[str, Any]] = editor.audit(limit)
    return [AuditEntry.model_validate(e) for e in entries]


@router.get("/{category}/terms", summary="List or search a category's terms (qa)")
async def list_terms(editor: LexiconEditorDep, user: RequireQA, category: Category,
                     q: Annotated[str | None, Query(max_length=MAX_TERM_CHARS,
                                                    description="terms containing this")]
                     = None) -> list[TermOut]:
    """Role **qa**. The terms as written in the file (options resolved). Unknown category:
    422."""
    return [TermOut(text=t.text, category=t.category, severity=t.severity, mode=str(t.mode),
                    variants=t.variants, source=t.source) for t in editor.terms(category, q)]


@router.post("/{category}/terms", status_code=201, summary="Add a term (qa)",
             responses=WITH_BODY)
async def add_term(editor: LexiconEditorDep, user: RequireQA, category: Category,
                   body: TermIn) -> ChangeOut:
    """Role **qa**. Appends the term to the category's file and hot-reloads. 422 for a term
    with a TAB, newline or control character, a duplicate, an unknown category, or a change
    the reload rejects (the file is restored). Audited."""
    event = await editor.add(user, category, body.term,
                             TermOptions(body.severity, body.mode, body.variants))
    return ChangeOut(result=event.result, version=event.version)


@router.delete("/{category}/terms/{term}", summary="Remove a term (qa)",
               responses=errors(404))
async def remove_term(editor: LexiconEditorDep, user: RequireQA, category: Category,
                      term: Annotated[str, Path(description="the term as written")]
                      ) -> ChangeOut:
    """Role **qa**. Removes the term's line and hot-reloads. 404 if the category has no such
    term. Audited."""
    event = await editor.remove(user, category, term)
    return ChangeOut(result=event.result, version=event.version)

"""QA edits the policy in the browser: read the running file, check a candidate (every problem
at its line, as `replyguard policy check`), apply it (hot reload). Preview a candidate on the log
first with `POST /api/replay`."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gateway.api.deps import PolicyEditorDep, RequireQA
from gateway.api.replay import MAX_POLICY_CHARS
from gateway.api.responses import GUARDED, WITH_BODY

router = APIRouter(prefix="/api/policy", tags=["qa: policy"], responses=GUARDED)


class PolicyOut(BaseModel):
    file: str = Field(description="the policy file's name")
    text: str
    version: str = Field(description="configuration version running now")


class PolicyIn(BaseModel):
    policy: str = Field(max_length=MAX_POLICY_CHARS, description="the candidate policies.yaml")


class ProblemOut(BaseModel):
    severity: Literal["error", "warning"]
    line: int | None
    column: int | None
    message: str


class CheckOut(BaseModel):
    valid: bool = Field(description="no errors (warnings allowed)")
    problems: list[ProblemOut]


class AppliedOut(BaseModel):
    result: str = Field(description="applied or unchanged")
    version: str


@router.get("", summary="The running policy file (qa)")
async def read_policy(editor: PolicyEditorDep, user: RequireQA) -> PolicyOut:
    """Role **qa**. The policy file as it is on this node; a shop's token sees the default part
    and its own `shops: <shop>:` section, not other shops' sections."""
    return PolicyOut(file=editor.live.source.policy_file.name, text=editor.text(user),
                     version=editor.live.version)


@router.post("/check", summary="Check a candidate policy (qa)", responses=WITH_BODY)
async def check_policy(editor: PolicyEditorDep, user: RequireQA, body: PolicyIn) -> CheckOut:
    """Role **qa**. Every error and warning with its line and column, against the running
    lexicons and tone model. Nothing is applied."""
    problems = editor.check(body.policy)
    return CheckOut(valid=not any(p.severity == "error" for p in problems),
                    problems=[ProblemOut(severity=p.severity, line=p.line, column=p.column,
                                         message=p.message) for p in problems])


@router.put("", summary="Apply a policy (qa)", responses=WITH_BODY)
async def apply_policy(editor: PolicyEditorDep, user: RequireQA, body: PolicyIn) -> AppliedOut:
    """Role **qa**. Writes the policy file and hot-reloads it. A candidate with errors is 422
    `invalid-config` with every problem, and nothing is written. A shop's token sends its view
    (as read) and may change only its own `shops: <shop>:` section: other shops' sections are
    kept as they are, and a candidate that changes anything else (the default rules and tiers,
    or that names another shop) is 403 and the file stays as it was."""
    event = await editor.apply(user, body.policy)
    return AppliedOut(result=event.result, version=event.version)

"""QA scores a message with the running configuration, as `replyguard score --json` does."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from classifiers.results import Role
from gateway.api.deps import GatewayDep, RequireQA
from gateway.api.responses import GUARDED, WITH_BODY
from gateway.api.tenancy import scored_shop

router = APIRouter(prefix="/api/score", tags=["qa: scoring"], responses=GUARDED)


class ScoreIn(BaseModel):
    text: str = Field(description="the message")
    sender: Role = Field(default=Role.AGENT, alias="from", description="who sent it")
    shop: str | None = Field(default=None, max_length=64,
                             description="score as this shop (its policy section and lexicon "
                             "overlay); a shop's token always scores as its own shop")
    context: str | None = Field(default=None, description="the buyer's previous message, which "
                                "the reply answers (lone replies are judged against it)")


class VerdictOut(BaseModel):
    """`Verdict.to_dict()`; `tone`, `intent` and `context` are absent when they do not apply
    (never `escalation`: a repeat-offence rule needs an agent's history)."""

    text: str
    sender: Role = Field(alias="from")
    tier: str
    rule: str | None
    reason: str | None
    categories: list[str]
    matches: list[dict[str, Any]]
    normalized: str
    version: str
    timing_us: float
    tone: dict[str, Any] | None = None
    intent: dict[str, Any] | None = None
    context: dict[str, Any] | None = None


@router.post("", summary="Score a message (qa)", response_model=VerdictOut, responses=WITH_BODY,
             response_class=JSONResponse)
async def score(gateway: GatewayDep, user: RequireQA, body: ScoreIn) -> JSONResponse:
    """Role **qa**. The verdict of the configuration this node runs, the same JSON as
    `replyguard score --json` (repeat-offence escalation is not applied: it needs an agent's
    history). Text the scorer refuses (empty, too long, control characters) is 422. A shop's
    token naming another shop is 403."""
    shop = scored_shop(user, body.shop)
    verdict = gateway.live.current.score(body.text, body.sender, shop=shop, context=body.context)
    return JSONResponse(verdict.to_dict())

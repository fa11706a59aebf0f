"""The HTTP API, one router per audience resource, assembled here."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.api import (
    config,
    health,
    interceptions,
    lexicon_terms,
    policy,
    qa_export,
    qa_score,
    replay,
    review,
    stats,
)

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(config.router)
for router in (interceptions.router, review.router, stats.router, qa_score.router,
               lexicon_terms.router, qa_export.router, replay.router, policy.router):
    api_router.include_router(router)

"""`create_app(settings)`: the FastAPI app of one gateway node (uvicorn runs it with
factory=True). Its lifespan opens one `Gateway` (gateway/runtime.py builds, and closes in reverse
order, everything the node holds) and keeps it on `app.state`; nothing is global."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from classifiers.scorer import Scorer
from gateway import error_handlers
from gateway.api import api_router
from gateway.chat.endpoint import websocket_endpoint
from gateway.console import site as console_site
from gateway.runtime import Gateway
from gateway.settings import Settings

API_DESCRIPTION = """The gateway's HTTP API (the chat itself is the websocket at `/ws`).

Authenticate with `Authorization: Bearer <JWT>` (`replyguard token`). Each endpoint names the
role it needs: **supervisor** (the interception log, reviews, statistics) or **qa** (scoring,
lexicon terms, false-positive exports, replay). Records are confined to the token's shop; a
token for shop `*` (supervisor and qa only) sees every shop. Errors are
`{"detail": …, "code": …}`. See docs/api.md."""
API_TAGS = [
    {"name": "supervisor: interceptions", "description": "the interception log (supervisor)"},
    {"name": "supervisor: review", "description": "reviews and the review queue (supervisor)"},
    {"name": "supervisor: stats", "description": "what the interventions achieved (supervisor)"},
    {"name": "qa: scoring", "description": "score a message (qa)"},
    {"name": "qa: lexicon", "description": "lexicon terms, hot-reloaded and audited (qa)"},
    {"name": "qa: false positives", "description": "allow-list and retraining exports (qa)"},
    {"name": "qa: replay", "description": "a candidate policy on past records (qa)"},
    {"name": "qa: policy", "description": "read, check and apply the policy file (qa)"},
    {"name": "config", "description": "the running configuration (qa; supervisor reads)"},
    {"name": "operations", "description": "health, readiness and metrics (no token)"},
]


def create_app(settings: Settings, *, scorer: Scorer | None = None) -> FastAPI:
    """`scorer`: an already built scorer for `settings`' configuration (tests build it once)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.gateway = gateway = await Gateway.open(settings, scorer=scorer)
        try:
            yield
        finally:
            await gateway.close()

    # Swagger UI's assets come from the fastapi-offline package, not a CDN: /docs works on a
    # machine without internet.
    app = FastAPIOffline(title="ReplyGuard gateway", lifespan=lifespan,
                         description=API_DESCRIPTION, openapi_tags=API_TAGS)
    error_handlers.install(app)
    app.include_router(api_router)
    console_site.install(app)
    app.add_api_websocket_route("/ws", websocket_endpoint)
    return app

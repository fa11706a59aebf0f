"""The HTTP API, one router per audience resource, assembled here."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.api import config, health

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(config.router)

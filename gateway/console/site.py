"""Serving the console: `/console/` (login), `/console/{page}` and `/console/static/…`.

Everything comes from the package directory `static/`, so an installed gateway on a machine
without internet serves the whole console. Pages are sent with a Content-Security-Policy that
allows scripts from the gateway only: even if a page ever put buyer text into HTML, an injected
script or inline event handler would not run.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from gateway.errors import NotFound

STATIC_DIR = Path(__file__).parent / "static"
PAGES = ("agent", "buyer", "qa", "supervisor")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
                               "connect-src 'self' ws: wss:; img-src 'self' data:; "
                               "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC_DIR / f"{name}.html", headers=SECURITY_HEADERS,
                        media_type="text/html; charset=utf-8")


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/console/")


@router.get("/console")
async def console_root() -> RedirectResponse:
    return RedirectResponse("/console/")


@router.get("/console/")
async def login() -> FileResponse:
    return _page("login")


@router.get("/console/{page}")
async def page(page: str) -> FileResponse:
    if page not in PAGES:
        raise NotFound(f"没有页面 {page}；可用：{', '.join(PAGES)}")
    return _page(page)


def install(app: FastAPI) -> None:
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    app.include_router(router)

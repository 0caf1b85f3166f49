"""The ASGI app of ``okot web``: the pages, the login and the HTTP API v1.

:func:`create_app` wires the parts (one module each): sessions and CSRF
(:mod:`okot.web.sessions`), login (:mod:`okot.web.oidc`), pages
(:mod:`okot.web.pages`), the management report (:mod:`okot.web.report_pages`),
the API (:mod:`okot.web.api`), the codec server for the Temporal Web UI
(:mod:`okot.web.codec`). Errors of the API are
``{"detail": "one line"}``; a page without a login goes to the login.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from temporalio.client import Client
from temporalio.service import RPCError

from okot.domain.reasons import errors_reason
from okot.settings import Settings
from okot.web import api, codec, oidc, pages, report_pages
from okot.web.cases import CaseError
from okot.web.runtime import Runtime
from okot.web.sessions import COOKIE, CsrfRefused
from okot.web.templating import render

STATIC = Path(__file__).parent / "static"


class WebConfigError(ValueError):
    """``okot web`` cannot start with these settings (one line says what is missing)."""


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(
    settings: Settings, engine: Engine, connect: Callable[[], Awaitable[Client]],
    oidc_client: Any | None = None,
) -> FastAPI:
    """The app; ``connect`` gives the Temporal client (called once, at startup)."""
    if not settings.web_secret or len(settings.web_secret) < 16:
        raise WebConfigError("OKOT_WEB_SECRET must be set (at least 16 characters): it signs "
                             "the session cookies")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = await connect()
        app.state.runtime = Runtime(settings, engine, client, settings.task_queue)
        yield

    app = FastAPI(
        title="okot-flow", version="1", lifespan=lifespan,
        openapi_url="/api/v1/openapi.json", docs_url="/api/v1/docs", redoc_url=None,
        description="The HTTP API v1 of okot-flow (shared/domain.md).",
    )
    if oidc_client is None and settings.oidc_issuer and settings.oidc_client_id:
        oidc_client = oidc.oauth_client(settings.oidc_issuer, settings.oidc_client_id,
                                        settings.oidc_client_secret)
    app.state.oidc = oidc_client
    app.add_middleware(
        SessionMiddleware, secret_key=settings.web_secret, session_cookie=COOKIE,
        max_age=settings.web_session_hours * 3600, same_site="lax",
        https_only=settings.web_url.startswith("https://"),
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router())
    app.include_router(codec.router())
    app.include_router(oidc.router())
    app.include_router(pages.router())
    app.include_router(report_pages.router())

    @app.exception_handler(CaseError)
    async def case_error(request: Request, error: CaseError) -> Response:
        return JSONResponse({"detail": error.detail}, status_code=error.status_code)

    @app.exception_handler(RPCError)
    async def temporal_trouble(request: Request, error: RPCError) -> Response:
        detail = "Temporal cannot be reached or did not answer; nothing was decided"
        if _is_api(request):
            return JSONResponse({"detail": detail}, status_code=503)
        return render(request, "fout.html", {"titel": "Even niet beschikbaar",
                      "uitleg": "Het systeem antwoordt niet; er is niets gewijzigd. Probeer zo "
                                "meteen opnieuw."}, status_code=503)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        text = (errors_reason(error.errors(), skip=("query", "path", "body"))
                or "invalid request")
        if not _is_api(request):
            return render(request, "fout.html", {"titel": "Ongeldige vraag", "uitleg": text},
                          status_code=422)
        return JSONResponse({"detail": text}, status_code=422)

    @app.exception_handler(CsrfRefused)
    async def csrf(request: Request, error: CsrfRefused) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "X-CSRF-Token: missing or wrong (needed with the "
                                 "web session)"}, status_code=403)
        return render(request, "fout.html", {
            "titel": "Formulier geweigerd",
            "uitleg": "Dit formulier is verlopen of komt niet van deze website. "
                      "Open de pagina opnieuw en probeer nog eens; er is niets gewijzigd."},
            status_code=403)

    @app.exception_handler(pages.LoginNeeded)
    async def login_needed(request: Request, error: pages.LoginNeeded) -> Response:
        return RedirectResponse("/inloggen", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        detail = error.detail if isinstance(error.detail, str) else "error"
        if _is_api(request) or error.status_code == 405:
            return JSONResponse({"detail": detail}, status_code=error.status_code)
        return render(request, "fout.html", {"titel": "Niet gevonden",
                      "uitleg": "Deze pagina bestaat niet."}, status_code=error.status_code)

    return app

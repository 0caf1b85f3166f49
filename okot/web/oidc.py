"""Login with OpenID Connect (authorization code + PKCE, authlib's Starlette client).

``/inloggen`` sends the browser to ``OKOT_OIDC_ISSUER``; ``/auth/callback``
takes the verified ``email`` claim (``email_verified`` true), matches it to the
staff directory and starts a new session (an operations person's session
serves only the codec server, ``/codec``). Unknown people get a clear Dutch page
and nothing else. ``/uitloggen`` (POST, with the CSRF token) ends the session.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from okot.db.staff import OPERATIONS, lookup_staff_by_email
from okot.logging import get_logger
from okot.web.identity import caller_from_email
from okot.web.runtime import runtime
from okot.web.sessions import check_csrf_form, end_session, start_session
from okot.web.templating import render

log = get_logger(__name__)


def oauth_client(issuer: str, client_id: str, client_secret: str | None) -> Any:
    oauth = OAuth()
    oauth.register(
        "okot",
        server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_id=client_id,
        client_secret=client_secret,
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )
    return oauth.create_client("okot")


def router() -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/inloggen")
    async def login(request: Request) -> Response:
        client = request.app.state.oidc
        if client is None:
            return render(request, "fout.html", {"titel": "Inloggen niet ingesteld",
                          "uitleg": "Inloggen is niet ingesteld (OKOT_OIDC_ISSUER ontbreekt). "
                                    "Vraag het aan de beheerder."}, status_code=503)
        redirect_uri = runtime(request).settings.web_url.rstrip("/") + "/auth/callback"
        response: Response = await client.authorize_redirect(request, redirect_uri)
        return response

    @web.get("/auth/callback")
    async def callback(request: Request) -> Response:
        client = request.app.state.oidc
        if client is None:
            return RedirectResponse("/inloggen", status_code=303)
        try:
            token = await client.authorize_access_token(request)
        except OAuthError:
            return render(request, "fout.html", {"titel": "Inloggen mislukt",
                          "uitleg": "Het inloggen is niet gelukt of duurde te lang. "
                                    "Probeer opnieuw."}, status_code=400)
        claims = token.get("userinfo") or {}
        email = claims.get("email")
        if not isinstance(email, str) or claims.get("email_verified") is not True:
            return _unknown(request)
        engine = runtime(request).engine
        caller = caller_from_email(engine, email)
        if caller is None:
            member = lookup_staff_by_email(engine, email)
            if member is not None and member.role == OPERATIONS:
                start_session(request, member.id)  # for the codec server only
                log.info("logged in", extra={"staff_id": member.id, "role": OPERATIONS})
                return RedirectResponse("/codec", status_code=303)
            log.info("login refused: not in the staff directory")
            return _unknown(request)
        start_session(request, caller.id)
        log.info("logged in", extra={"staff_id": caller.id, "role": caller.role.value})
        return RedirectResponse("/dossiers", status_code=303)

    @web.post("/uitloggen")
    async def logout(request: Request) -> Response:
        form = await request.form()
        check_csrf_form(request, form.get("csrf_token"))
        end_session(request)
        return render(request, "uitgelogd.html", {})

    return web


def _unknown(request: Request) -> Response:
    end_session(request)
    return render(request, "onbekend.html", {}, status_code=403)

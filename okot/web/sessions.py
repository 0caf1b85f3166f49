"""Web sessions and CSRF protection.

The session is Starlette's signed cookie (itsdangerous, ``OKOT_WEB_SECRET``):
HttpOnly, SameSite=Lax, Secure when ``OKOT_WEB_URL`` is https. A login starts
a new session (everything from before is dropped, a new CSRF token is made);
it expires ``OKOT_WEB_SESSION_HOURS`` after the login; logout clears it. Every
form carries the session's CSRF token and a POST without it is refused.
"""

from __future__ import annotations

import hmac
import secrets
import time

from fastapi import Request
from sqlalchemy.engine import Engine

from okot.web.identity import Caller, caller_from_staff_id

COOKIE = "okot_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class CsrfRefused(Exception):
    """A state-changing request without the session's CSRF token."""


def start_session(request: Request, staff_id: str) -> None:
    """A new session for ``staff_id`` (called at login)."""
    request.session.clear()
    request.session.update(
        {"staff_id": staff_id, "login_at": int(time.time()), "csrf": secrets.token_urlsafe(24)}
    )


def end_session(request: Request) -> None:
    request.session.clear()


def session_staff_id(request: Request) -> str | None:
    """The staff id of the session's login, or None (no session, or expired)."""
    staff_id = request.session.get("staff_id")
    login_at = request.session.get("login_at")
    if not isinstance(staff_id, str) or not isinstance(login_at, int):
        return None
    hours: int = request.app.state.runtime.settings.web_session_hours
    if time.time() - login_at > hours * 3600:
        request.session.clear()
        return None
    return staff_id


def session_caller(request: Request, engine: Engine) -> Caller | None:
    """The logged-in caller, or None (no session, expired, or no longer in the directory)."""
    staff_id = session_staff_id(request)
    return caller_from_staff_id(engine, staff_id) if staff_id is not None else None


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def _matches(request: Request, presented: object) -> bool:
    expected = request.session.get("csrf")
    return (isinstance(expected, str) and isinstance(presented, str)
            and hmac.compare_digest(expected, presented))


def check_csrf_form(request: Request, presented: object) -> None:
    if not _matches(request, presented):
        raise CsrfRefused()


def check_csrf_header(request: Request) -> None:
    if not _matches(request, request.headers.get(CSRF_HEADER)):
        raise CsrfRefused()

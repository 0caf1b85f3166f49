"""The Dutch pages: "Mijn dossiers", the case page with its forms, opening a trajectory.

Server-rendered (Jinja2), usable without JavaScript. Every page needs a login;
every form carries the CSRF token. A refused or malformed form shows the reason
next to the field and changes nothing; after a message the page shows the new
stage.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from okot.db.caseload import caseload
from okot.db.clients import client_of
from okot.domain.deadlines import overdue_of
from okot.domain.messages import MESSAGE_TYPES
from okot.domain.values import MessageName, Role, Stage
from okot.temporal import trajectories
from okot.web import texts
from okot.web.cases import (
    CaseError,
    case_status,
    open_case,
    send_message,
    sendable,
)
from okot.web.forms import MessageForm, body_from_form, dutch_errors, empty_form
from okot.web.identity import Caller
from okot.web.runtime import runtime
from okot.web.sessions import check_csrf_form, session_caller
from okot.web.templating import render


class LoginNeeded(Exception):
    """No (valid) session: the browser goes to the login."""


def _caller(request: Request) -> Caller:
    caller = session_caller(request, runtime(request).engine)
    if caller is None:
        raise LoginNeeded()
    request.state.caller = caller
    return caller


def _error_page(request: Request, error: CaseError) -> Response:
    titles = {403: "Geen toegang", 404: "Dossier niet gevonden", 409: "Niet mogelijk",
              422: "Ongeldige invoer"}
    uitleg = {403: "U bent niet betrokken bij dit dossier en kunt het niet bekijken.",
              404: "Dit dossier bestaat niet."}.get(error.status_code, error.detail)
    return render(request, "fout.html", {"titel": titles.get(error.status_code, "Fout"),
                                         "uitleg": uitleg}, status_code=error.status_code)


async def _case_page(request: Request, caller: Caller, case_id: str,
                     form: MessageForm | None = None, status_code: int = 200,
                     sent: str | None = None) -> Response:
    rt = runtime(request)
    try:
        status = await case_status(rt.client, caller, case_id)
    except CaseError as error:
        return _error_page(request, error)
    timeline = await trajectories.timeline(rt.client, case_id)
    forms = [form if form is not None and form.name is name else empty_form(name, caller.role)
             for name in sendable(status, caller)]
    return render(request, "dossier.html", {
        "status": status, "timeline": list(reversed(timeline)), "forms": forms,
        "client": client_of(rt.engine, case_id), "sent": sent,
        "awaited": texts.awaited(status.next_deadline.kind if status.next_deadline else None),
        "overdue": overdue_of(status),
    }, status_code=status_code)


def router() -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/")
    async def home(request: Request) -> Response:
        if session_caller(request, runtime(request).engine) is not None:
            return RedirectResponse("/dossiers", status_code=303)
        return render(request, "welkom.html", {})

    @web.get("/dossiers")
    async def my_cases(request: Request, fase: str | None = None) -> Response:
        caller = _caller(request)
        stage = fase if fase in {s.value for s in Stage} else None
        items = caseload(runtime(request).engine, caller.id, caller.role, stage=stage)
        return render(request, "dossiers.html", {
            "items": items, "fase": stage, "stages": [s for s in Stage if s is not Stage.CLOSED],
            "awaited": texts.awaited,
        })

    @web.get("/dossiers/nieuw")
    async def new_case(request: Request) -> Response:
        caller = _caller(request)
        if caller.role is not Role.CASEWORKER:
            return _error_page(request, CaseError(403, "alleen een maatschappelijk assistent"))
        return render(request, "nieuw.html", {"values": {}, "errors": {}})

    @web.post("/dossiers/nieuw")
    async def open_new(request: Request) -> Response:
        caller = _caller(request)
        form = await request.form()
        check_csrf_form(request, form.get("csrf_token"))
        values = {k: str(form.get(k, "")).strip() for k in
                  ("case_id", "ocmw", "mediator", "opened_on", "client_name",
                   "vdab_client_number")}
        body: dict[str, Any] = {k: v for k, v in values.items() if v}
        body["registered_jobseeker"] = form.get("registered_jobseeker") == "ja"
        rt = runtime(request)
        try:
            await open_case(rt.client, rt.engine, caller, body, rt.task_queue)
        except CaseError as error:
            if error.status_code == 403:
                return _error_page(request, error)
            where = error.field or "case_id"
            text = ("Voor dit dossier loopt al een traject." if error.status_code == 409
                    else f"Ongeldig: {error.detail}")
            return render(request, "nieuw.html", {"values": values, "errors": {where: text}},
                          status_code=error.status_code)
        return RedirectResponse(f"/dossiers/{body['case_id']}", status_code=303)

    @web.get("/dossiers/{case_id}")
    async def case(request: Request, case_id: str, verzonden: str | None = None) -> Response:
        caller = _caller(request)
        sent = verzonden if verzonden in {m.value for m in MessageName} else None
        return await _case_page(request, caller, case_id, sent=sent)

    @web.post("/dossiers/{case_id}/berichten/{name}")
    async def send(request: Request, case_id: str, name: str) -> Response:
        caller = _caller(request)
        form_data = await request.form()
        check_csrf_form(request, form_data.get("csrf_token"))
        try:
            kind = MessageName(name)
        except ValueError:
            return _error_page(request, CaseError(404, "geen zo'n bericht"))
        form = empty_form(kind, caller.role)
        form.values = {k: form_data.getlist(k) if f.kind == "enums" else form_data.get(k)
                       for f in form.fields for k in [f.name]}
        body = body_from_form(kind, form_data)
        try:  # Dutch errors per field before anything is sent
            MESSAGE_TYPES[kind].model_validate({**body, "actor": caller.actor.model_dump()})
        except ValidationError as error:
            form.errors, form.problem = dutch_errors(error)
            return await _case_page(request, caller, case_id, form, 422)
        rt = runtime(request)
        try:
            await send_message(rt.client, rt.engine, caller, case_id, kind, body)
        except CaseError as error:
            if error.status_code in (403, 404):
                return _error_page(request, error)
            if error.status_code == 422 and error.field:
                form.errors[error.field] = ("Onbekend in de personeelslijst, of met een andere "
                                            "rol.")
            else:
                form.problem = texts.refusal(error.detail)
            return await _case_page(request, caller, case_id, form, error.status_code)
        return RedirectResponse(f"/dossiers/{case_id}?verzonden={kind.value}", status_code=303)

    return web

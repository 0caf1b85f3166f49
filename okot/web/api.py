"""The HTTP API v1 (``shared/domain.md``, "The HTTP API (version 1)").

JSON, documented by the OpenAPI schema at ``/api/v1/openapi.json``. Every call
needs credentials: ``Authorization: Bearer <token>`` (``okot token create``) or
the web session (a POST with the session also needs the ``X-CSRF-Token``
header). Errors are ``{"detail": "one line"}`` with 401, 403, 404, 409, 422.
One route per message, its body the message's fields without ``actor``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from okot.db.caseload import caseload
from okot.db.clients import client_of
from okot.db.report_export import ReportView, management_report
from okot.db.tokens import verify
from okot.domain.messages import MESSAGE_TYPES
from okot.domain.shapes import status_json, timeline_entry_json
from okot.domain.status import TrajectoryStatus
from okot.domain.values import MessageName, Stage
from okot.web.cases import CaseError, case_status, case_timeline, open_case, send_message
from okot.web.identity import Caller, caller_from_token
from okot.web.report_access import Reader, reader_of, report_filter
from okot.web.runtime import Runtime, runtime
from okot.web.sessions import check_csrf_header, session_caller, session_staff_id

MAX_BODY_BYTES = 2_000_000


def _bearer(request: Request) -> str | None:
    """The API token of the ``Authorization`` header (None without one; 401 if malformed)."""
    header = request.headers.get("authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise CaseError(401, "credentials: use 'Authorization: Bearer <token>'")
    return token.strip()


async def api_caller(request: Request) -> Caller:
    """The authenticated caller (401 without valid credentials)."""
    rt = runtime(request)
    token = _bearer(request)
    if token is not None:
        caller = caller_from_token(rt.engine, token)
        if caller is None:
            raise CaseError(401, "credentials: unknown, revoked or expired token")
        return caller
    caller = session_caller(request, rt.engine)
    if caller is None:
        raise CaseError(401, "credentials: log in or send 'Authorization: Bearer <token>'")
    if request.method == "POST":
        check_csrf_header(request)
    return caller


async def report_reader(request: Request) -> Reader:
    """Any staff member with credentials (401 otherwise); :func:`report_filter` decides (403)."""
    engine = runtime(request).engine
    token = _bearer(request)
    staff_id = verify(engine, token) if token is not None else session_staff_id(request)
    reader = reader_of(engine, staff_id) if staff_id is not None else None
    if reader is None:
        raise CaseError(401, "credentials: unknown, revoked or expired token, or no login")
    return reader


CallerDep = Annotated[Caller, Depends(api_caller)]
ReaderDep = Annotated[Reader, Depends(report_reader)]
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {"application/json": {"schema": {
        "type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"],
    }}}}
    for code, text in ((401, "no or bad credentials"),
                       (403, "the caller may not act on this trajectory"),
                       (404, "no such trajectory"),
                       (409, "the rules refuse it here (wrong stage, wrong role)"),
                       (422, "malformed body (names the field)"))
}


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise CaseError(422, f"body: larger than {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise CaseError(422, "body: not valid JSON") from None


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its ``$defs`` inlined (for an OpenAPI request body)."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def message_body_schema(name: MessageName) -> dict[str, Any]:
    schema = _inline(MESSAGE_TYPES[name].model_json_schema())
    schema["properties"].pop("actor", None)
    schema["properties"].pop("teamlead", None)
    schema["required"] = [f for f in schema.get("required", []) if f != "actor"]
    schema["additionalProperties"] = False
    return schema


OPEN_BODY = {
    "type": "object", "additionalProperties": False, "required": ["case_id", "ocmw"],
    "properties": {
        "case_id": {"type": "string", "minLength": 3, "maxLength": 64,
                    "pattern": "^[A-Za-z0-9_-]+$"},
        "ocmw": {"type": "string", "minLength": 1, "maxLength": 64},
        "registered_jobseeker": {"type": "boolean", "default": True},
        "mediator": {"type": ["string", "null"]},
        "opened_on": {"type": ["string", "null"], "format": "date"},
        "client_name": {"type": ["string", "null"], "maxLength": 200, "description":
                        "the client's name: to the encrypted client register only"},
        "vdab_client_number": {"type": ["string", "null"], "maxLength": 32,
                               "pattern": "^[A-Za-z0-9-]+$",
                               "description": "VDAB's client number (needs client_name)"},
    },
}


def with_client(engine: Engine, status: TrajectoryStatus) -> dict[str, Any]:
    """The status answer with the client's identity (for a caller authorized on the case)."""
    who = client_of(engine, status.case_id)
    client = None if who is None else {"name": who.name,
                                       "vdab_client_number": who.vdab_client_number}
    return {**status_json(status), "client": client}


def router() -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["v1"], responses=ERRORS)

    @api.get("/me", summary="Who am I")
    async def me(caller: CallerDep) -> dict[str, str]:
        return {"id": caller.id, "role": caller.role.value, "name": caller.name}

    @api.get("/cases", summary="The caller's caseload, overdue first")
    async def cases(
        request: Request, caller: CallerDep,
        stage: Stage | None = None, overdue: bool | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[dict[str, Any]]:
        rt = runtime(request)
        items = caseload(rt.engine, caller.id, caller.role, stage=stage.value if stage else None)
        if overdue is not None:
            items = [i for i in items if i.overdue == overdue]
        out = []
        for item in items[:limit]:
            try:
                out.append(status_json(await case_status(rt.client, caller, item.case_id)))
            except CaseError:
                continue  # moved on since the snapshot (reassigned, gone)
        return out

    @api.post("/cases", status_code=201, summary="Open a trajectory (caseworker)",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": OPEN_BODY}}}})
    async def open_(request: Request, caller: CallerDep) -> JSONResponse:
        rt = runtime(request)
        body = await _json_body(request)
        status = await open_case(rt.client, rt.engine, caller, body, rt.task_queue)
        return JSONResponse(with_client(rt.engine, status), status_code=201)

    @api.get("/cases/{case_id}", summary="Status (with the client's identity)")
    async def case(request: Request, caller: CallerDep, case_id: str) -> dict[str, Any]:
        rt = runtime(request)
        return with_client(rt.engine, await case_status(rt.client, caller, case_id))

    @api.get("/cases/{case_id}/timeline", summary="Timeline, oldest first")
    async def timeline(request: Request, caller: CallerDep,
                       case_id: str) -> list[dict[str, Any]]:
        entries = await case_timeline(runtime(request).client, caller, case_id)
        return [timeline_entry_json(e) for e in entries]

    @api.get("/report", summary="The management report (team leads: their OCMW; operations)",
             response_model=ReportView, responses={403: {**ERRORS[403], "description":
                 "only team leads (their own OCMW) and operations staff see the report"}})
    async def report(
        request: Request, reader: ReaderDep, ocmw: Annotated[str | None, Query(
            max_length=64, description="only this OCMW (code); a team lead: their own")] = None,
        opened_from: Annotated[date | None, Query(
            alias="from", description="trajectories opened on or after")] = None,
        opened_to: Annotated[date | None, Query(
            alias="to", description="trajectories opened on or before")] = None,
    ) -> ReportView:
        """The figures of ``okot report --format json``: small counts suppressed, no
        personal data."""
        rt = runtime(request)
        flt = report_filter(reader, ocmw, opened_from, opened_to)
        return management_report(rt.engine, flt, rt.settings.report_min_count)

    for name in MessageName:
        _message_route(api, name)
    return api


def _message_route(api: APIRouter, name: MessageName) -> None:
    async def send(request: Request, caller: CallerDep, case_id: str) -> dict[str, Any]:
        rt: Runtime = runtime(request)
        body = await _json_body(request)
        status = await send_message(rt.client, rt.engine, caller, case_id, name, body)
        return status_json(status)

    send.__name__ = f"send_{name.value}"
    api.post(
        f"/cases/{{case_id}}/messages/{name.value}",
        summary=f"Send {name.value}; the caller is the actor",
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": message_body_schema(name)}}}},
    )(send)

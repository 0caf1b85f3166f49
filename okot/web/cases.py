"""What the web pages and the HTTP API do with a case, for an authenticated caller.

One place decides, for both surfaces: 404 no such trajectory, 403 the caller
may not act on it (:mod:`okot.domain.authorization`), 409 the rules refuse the
message here, 422 a malformed body (naming the field). The caller is always
the actor: a body never chooses the sender, and a reassignment's teamlead comes
from the staff directory.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from okot.crypto.data_keys import DataKeyStore
from okot.db.client_register import register
from okot.db.staff import UnknownStaff, lookup_staff, require_staff
from okot.domain import authorization
from okot.domain.identity import ClientIdentity, ClientIdentityError, identity_from
from okot.domain.messages import MESSAGE_TYPES, Message
from okot.domain.reasons import field_name, validation_reason
from okot.domain.status import OpenTrajectory, TimelineEntry, TrajectoryStatus
from okot.domain.values import MessageName, Role
from okot.temporal import trajectories
from okot.temporal.connection import key_store_in_use
from okot.web.identity import Caller


class CaseError(Exception):
    """A refusal for the caller: an HTTP status and a one-line detail."""

    def __init__(self, status_code: int, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.field = field


_STAFF_FIELDS: dict[str, Role | None] = {
    "caseworker": Role.CASEWORKER, "mediator": Role.MEDIATOR, "contact": None,
}


def one_line(error: ValidationError) -> tuple[str, str | None]:
    """A pydantic error as one line naming the field (never the input:
    :func:`okot.domain.reasons.validation_reason`), and that field."""
    first = error.errors(include_url=False)[0]
    field = ".".join(field_name(p) for p in first["loc"]) or None
    return validation_reason(error), field


async def _status(client: Client, case_id: str) -> TrajectoryStatus:
    try:
        return await trajectories.status(client, case_id)
    except ValueError:  # not a case id at all
        raise CaseError(404, "no such trajectory") from None
    except RPCError as error:
        if error.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            raise CaseError(404, "no such trajectory") from None
        raise


async def case_status(client: Client, caller: Caller, case_id: str) -> TrajectoryStatus:
    """The status of ``case_id`` if the caller holds their role on it (404/403 otherwise)."""
    status = await _status(client, case_id)
    if not authorization.on_case(status, caller.actor):
        raise CaseError(403, f"you are not the {caller.role.value} of this trajectory")
    return status


async def case_timeline(client: Client, caller: Caller, case_id: str) -> list[TimelineEntry]:
    await case_status(client, caller, case_id)
    return await trajectories.timeline(client, case_id)


def sendable(status: TrajectoryStatus, caller: Caller) -> list[MessageName]:
    """The messages this caller may send on this trajectory now (stage, role and person)."""
    from okot.domain.journey import RULES

    return [
        name for name, rule in RULES.items()
        if status.stage in rule.stages and caller.role in rule.roles
        and authorization.may_send(status, caller.actor, name)
    ]


def build_message(engine: Engine, caller: Caller, name: MessageName,
                  body: Any) -> Message:
    """The message ``name`` from a JSON-like body, sent by the caller (422 when malformed)."""
    if not isinstance(body, dict):
        raise CaseError(422, "body: must be a JSON object with the message's fields")
    if "actor" in body:
        raise CaseError(422, "actor: not allowed; the caller is the actor", "actor")
    if "teamlead" in body:
        raise CaseError(422, "teamlead: not allowed; it comes from the staff directory",
                        "teamlead")
    payload = {**body, "actor": {"role": caller.role.value, "id": caller.id}}
    try:
        message = MESSAGE_TYPES[name].model_validate(payload)
    except ValidationError as error:
        text, field = one_line(error)
        raise CaseError(422, text, field) from None
    for field, role in _STAFF_FIELDS.items():
        value = getattr(message, field, None)
        if isinstance(value, str):
            try:
                require_staff(engine, value, role)
            except UnknownStaff as error:
                raise CaseError(422, f"{field}: {error}", field) from None
    caseworker = getattr(message, "caseworker", None)
    if name is MessageName.REASSIGN and isinstance(caseworker, str):
        member = lookup_staff(engine, caseworker)
        message = message.model_copy(update={"teamlead": member.teamlead if member else None})
    return message


async def send_message(client: Client, engine: Engine, caller: Caller, case_id: str,
                       name: MessageName, body: Any) -> TrajectoryStatus:
    """Send one message as the caller; the new status (or a :class:`CaseError`)."""
    status = await _status(client, case_id)
    if not authorization.may_send(status, caller.actor, name):
        raise CaseError(403, f"you are not the {caller.role.value} of this trajectory")
    message = build_message(engine, caller, name, body)
    try:
        return await trajectories.send(client, case_id, message)
    except trajectories.MessageRejected as error:
        raise CaseError(409, str(error)) from None
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:  # the workflow finished meanwhile
            raise CaseError(409, f"{name.value} refused: the trajectory is closed; nothing more "
                            "can be recorded on it") from None
        raise


async def open_case(client: Client, engine: Engine, caller: Caller, body: Any,
                    task_queue: str | None = None) -> TrajectoryStatus:
    """Open a trajectory with the caller as its caseworker (caseworkers only); the
    client's name and VDAB client number (optional) go to the encrypted client
    register once it has started, never to Temporal."""
    if caller.role is not Role.CASEWORKER:
        raise CaseError(403, "only a caseworker opens a trajectory")
    if not isinstance(body, dict):
        raise CaseError(422, "body: must be a JSON object")
    allowed = {"case_id", "ocmw", "registered_jobseeker", "mediator", "opened_on",
               *IDENTITY_FIELDS}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise CaseError(422, f"{unknown[0][:40]}: unknown field; allowed: "
                        + ", ".join(sorted(allowed)), unknown[0][:40])
    body = dict(body)
    identity, store = _identity(*(body.pop(f, None) for f in IDENTITY_FIELDS))
    member = lookup_staff(engine, caller.id)
    try:
        request = OpenTrajectory.model_validate(
            {**body, "caseworker": caller.id, "teamlead": member.teamlead if member else None}
        )
    except ValidationError as error:
        text, field = one_line(error)
        raise CaseError(422, text, field) from None
    if request.mediator is not None:
        try:
            require_staff(engine, request.mediator, Role.MEDIATOR)
        except UnknownStaff as error:
            raise CaseError(422, f"mediator: {error}", "mediator") from None
    try:
        await trajectories.open_trajectory(client, request, task_queue)
    except trajectories.AlreadyOpen:
        raise CaseError(409, "this case already has an open trajectory") from None
    except ValueError as error:
        raise CaseError(422, f"opened_on: {error}", "opened_on") from None
    if identity is not None and store is not None:
        register(engine, store.keyring, request.case_id, identity)
    return await trajectories.status(client, request.case_id)


IDENTITY_FIELDS = ("client_name", "vdab_client_number")


def _identity(name: object, number: object) -> tuple[ClientIdentity | None, DataKeyStore | None]:
    """The client's identity from the body, checked before anything starts, and the
    key store that seals it (a 422 naming the field; never echoing the value)."""
    for field, value in zip(IDENTITY_FIELDS, (name, number), strict=True):
        if value is not None and not isinstance(value, str):
            raise CaseError(422, f"{field}: must be a string", field)
    try:
        identity = identity_from(name, number)  # type: ignore[arg-type]
    except ClientIdentityError as error:
        field = "vdab_client_number" if str(error).startswith("VDAB") else "client_name"
        raise CaseError(422, str(error), field) from None
    if identity is None:
        return None, None
    store = key_store_in_use()
    if store is None:
        raise CaseError(422, "client_name: needs encryption (the client register is encrypted "
                        "at rest; OKOT_ENCRYPTION=off)", "client_name")
    return identity, store

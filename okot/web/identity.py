"""Who is calling: a staff member, from an API token or from the web session.

Nobody types their own identity: the caller is the authenticated person, looked
up in the staff directory (which gives the staff id, role and name).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from okot.db.staff import lookup_staff, lookup_staff_by_email
from okot.db.tokens import verify
from okot.domain.values import Actor, Role


@dataclass(frozen=True)
class Caller:
    id: str
    role: Role
    name: str

    @property
    def actor(self) -> Actor:
        return Actor(role=self.role, id=self.id)


def _caller(engine: Engine, staff_id: str) -> Caller | None:
    member = lookup_staff(engine, staff_id)
    if member is None or member.role not in {r.value for r in (
            Role.CASEWORKER, Role.MEDIATOR, Role.TEAMLEAD)}:
        return None
    return Caller(id=member.id, role=Role(member.role), name=member.name)


def caller_from_token(engine: Engine, token: str) -> Caller | None:
    staff_id = verify(engine, token)
    return _caller(engine, staff_id) if staff_id is not None else None


def caller_from_staff_id(engine: Engine, staff_id: str) -> Caller | None:
    return _caller(engine, staff_id)


def caller_from_email(engine: Engine, email: str) -> Caller | None:
    """The staff member with this (verified) e-mail address, if exactly one."""
    member = lookup_staff_by_email(engine, email)
    return _caller(engine, member.id) if member is not None else None

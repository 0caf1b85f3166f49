"""The staff directory: import from CSV, look up by staff id.

``okot staff import staff.csv`` (columns ``id,role,name,email,phone,ocmw,teamlead``)
is idempotent: a re-import updates changed rows and never duplicates. Opening a
trajectory or reassigning it to an unknown staff id is refused with
:func:`require_staff` (an :class:`UnknownStaff` with a clear message).

Names, e-mail addresses and phone numbers are never logged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from okot.db.engine import write
from okot.db.tables import STAFF
from okot.domain.values import (
    Role,
    check_code,
    check_staff_id,
)
from okot.logging import get_logger

log = get_logger(__name__)

COLUMNS = ("id", "role", "name", "email", "phone", "ocmw", "teamlead")
OPERATIONS = Role.OPERATIONS.value
"""Operations staff: organisation-wide; in a journey they may only update the reminder
policy (``update_policy``); they may read decoded payloads in the Temporal Web UI (the
web app's codec server, ``/codec``)."""
STAFF_ROLES = (Role.CASEWORKER.value, Role.MEDIATOR.value, Role.TEAMLEAD.value, OPERATIONS)


class UnknownStaff(LookupError):
    """A staff id that the directory does not know (or with the wrong role)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown staff id"


class StaffImportError(ValueError):
    """The CSV cannot be imported; nothing was changed."""


@dataclass(frozen=True)
class StaffMember:
    id: str
    role: str
    name: str
    email: str
    phone: str | None
    ocmw: str
    teamlead: str | None


@dataclass(frozen=True)
class ImportResult:
    inserted: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def parse_csv(text: str) -> list[StaffMember]:
    """Parse and validate the staff CSV; raises :class:`StaffImportError` listing every problem."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise StaffImportError(
            f"staff CSV lacks column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}"
        )
    reader.fieldnames = header
    members: list[StaffMember] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        get = {k: _clean(row.get(k)) for k in COLUMNS}
        try:
            staff_id = check_staff_id(get["id"] or "")
            role = (get["role"] or "").lower()
            if role not in STAFF_ROLES:
                raise ValueError(f"role {role!r} must be one of {', '.join(STAFF_ROLES)}")
            if not get["name"]:
                raise ValueError("name is empty")
            email = get["email"] or ""
            if "@" not in email:
                raise ValueError("email is not an e-mail address")
            ocmw = check_code((get["ocmw"] or "").lower())
            teamlead = check_staff_id(get["teamlead"]) if get["teamlead"] else None
            if staff_id in seen:
                raise ValueError(f"id {staff_id} is listed twice (also on line {seen[staff_id]})")
        except ValueError as error:
            problems.append(f"line {line}: {error}")
            continue
        seen[staff_id] = line
        members.append(
            StaffMember(
                id=staff_id, role=role, name=get["name"] or "", email=email,
                phone=get["phone"], ocmw=ocmw, teamlead=teamlead,
            )
        )
    if problems:
        raise StaffImportError("staff CSV not imported:\n  " + "\n  ".join(problems))
    return members


def import_members(engine: Engine, members: Iterable[StaffMember]) -> ImportResult:
    """Insert new staff and update changed ones, in one transaction."""
    members = list(members)
    s = STAFF.c
    inserted = updated = unchanged = 0
    now = datetime.now(UTC)
    with write(engine) as conn:
        existing = {
            row.id: StaffMember(
                id=row.id, role=row.role, name=row.name, email=row.email, phone=row.phone,
                ocmw=row.ocmw, teamlead=row.teamlead,
            )
            for row in conn.execute(select(STAFF).where(s.id.in_([m.id for m in members])))
        }
        for member in members:
            values: dict[str, Any] = {
                "role": member.role, "name": member.name, "email": member.email,
                "phone": member.phone, "ocmw": member.ocmw, "teamlead": member.teamlead,
                "updated_at": now,
            }
            before = existing.get(member.id)
            if before is None:
                conn.execute(STAFF.insert().values(id=member.id, **values))
                inserted += 1
            elif before != member:
                conn.execute(STAFF.update().where(s.id == member.id).values(**values))
                updated += 1
            else:
                unchanged += 1
    result = ImportResult(inserted, updated, unchanged)
    log.info("staff imported", inserted=inserted, updated=updated, unchanged=unchanged)
    return result


def import_csv(engine: Engine, path: Path) -> ImportResult:
    """``okot staff import``: read, validate and import ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise StaffImportError(f"cannot read {path}: {error.strerror}") from None
    return import_members(engine, parse_csv(text))


def lookup_staff(engine: Engine, staff_id: str) -> StaffMember | None:
    """The directory entry of ``staff_id``, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(STAFF).where(STAFF.c.id == staff_id)).first()
    if row is None:
        return None
    return StaffMember(
        id=row.id, role=row.role, name=row.name, email=row.email, phone=row.phone,
        ocmw=row.ocmw, teamlead=row.teamlead,
    )


def lookup_staff_by_email(engine: Engine, email: str) -> StaffMember | None:
    """The one directory entry with this e-mail address (case-insensitive), or None."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(STAFF.c.id).where(func.lower(STAFF.c.email) == email.strip().lower())
        ).all()
    return lookup_staff(engine, rows[0].id) if len(rows) == 1 else None


def require_staff(engine: Engine, staff_id: str, role: Role | str | None = None) -> StaffMember:
    """The directory entry of ``staff_id``; :class:`UnknownStaff` if absent or of another role.

    Use it before opening a trajectory or reassigning one, so an unknown or
    mistyped staff id is refused with a message that says what to do.
    """
    member = lookup_staff(engine, staff_id)
    if member is None:
        raise UnknownStaff(
            f"unknown staff id {staff_id!r}: it is not in the staff directory; check the id "
            "or add the person with `okot staff import staff.csv`"
        )
    wanted = Role(role).value if role is not None else None
    if wanted is not None and member.role != wanted:
        raise UnknownStaff(
            f"staff id {staff_id!r} is a {member.role} in the staff directory, not a {wanted}"
        )
    return member

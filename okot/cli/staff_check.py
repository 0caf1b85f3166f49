"""Staff ids typed on the command line checked against the staff directory
(the database of ``OKOT_DATABASE_URL``) before anything is sent to Temporal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from okot.cli.errors import EXIT_TROUBLE, fail, first_line, warn
from okot.domain.values import Role

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from okot.domain.messages import Message
    from okot.domain.status import OpenTrajectory

# The database modules are imported where they are used: registering the commands
# that check staff ids does not load SQLAlchemy.


def _engine() -> Engine:
    from okot.db.engine import DatabaseNotReady, get_engine, prepare_database

    engine = get_engine()
    try:
        prepare_database(engine)
    except DatabaseNotReady as error:
        fail(f"database not ready: {error}", EXIT_TROUBLE)
    except Exception as error:  # an unreachable PostgreSQL, a read-only file, ...
        fail(f"cannot use the database: {first_line(error)}", EXIT_TROUBLE)
    return engine


def _directory_is_empty(engine: Engine) -> bool:
    from sqlalchemy import func, select

    from okot.db.tables import STAFF

    with engine.connect() as conn:
        return not conn.execute(select(func.count()).select_from(STAFF)).scalar_one()


EMPTY_DIRECTORY_WARNING = (
    "the staff directory is empty, so staff ids are not checked; "
    "import it with `okot staff import staff.csv`"
)


class StaffCheck:
    """Refuses unknown staff ids with :func:`okot.db.staff.require_staff`'s message.

    An empty directory allows everything (first-run friendliness) with one warning.
    """

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self._empty: bool | None = None

    def _directory(self) -> Engine | None:
        """The directory's engine, or None while it is empty (warned once)."""
        if self._engine is None:
            self._engine = _engine()
            self._empty = _directory_is_empty(self._engine)
            if self._empty:
                warn(EMPTY_DIRECTORY_WARNING)
        return None if self._empty else self._engine

    def teamlead_of(self, caseworker: str) -> str | None:
        """The caseworker's teamlead in the directory (None if unknown or empty)."""
        from okot.db.staff import lookup_staff

        engine = self._directory()
        member = lookup_staff(engine, caseworker) if engine is not None else None
        return member.teamlead if member is not None else None

    def with_teamlead(self, request: OpenTrajectory) -> OpenTrajectory:
        """``request`` with its caseworker's teamlead filled in from the directory."""
        if request.teamlead is not None:
            return request
        return request.model_copy(update={"teamlead": self.teamlead_of(request.caseworker)})

    def problem(self, ids: Sequence[tuple[str, Role | None]]) -> str | None:
        from okot.db.staff import UnknownStaff, require_staff

        if not ids:
            return None
        engine = self._directory()
        if engine is None:
            return None
        for staff_id, role in ids:
            try:
                require_staff(engine, staff_id, role)
            except UnknownStaff as error:
                return str(error)
        return None


def staff_ids(request: OpenTrajectory) -> list[tuple[str, Role | None]]:
    ids: list[tuple[str, Role | None]] = [(request.caseworker, Role.CASEWORKER)]
    if request.mediator is not None:
        ids.append((request.mediator, Role.MEDIATOR))
    return ids


_STAFF_FIELDS: dict[str, Role | None] = {
    "caseworker": Role.CASEWORKER,
    "mediator": Role.MEDIATOR,
    "contact": None,
}


def message_staff_ids(message: Message) -> list[tuple[str, Role | None]]:
    """The staff ids a message names, its sender (``--as``, with that role) first."""
    ids: list[tuple[str, Role | None]] = [(message.actor.id, message.actor.role)]
    for field, role in _STAFF_FIELDS.items():
        value = getattr(message, field, None)
        if isinstance(value, str):
            ids.append((value, role))
    return ids

"""Who may read the management report on the web, and which trajectories it covers.

The report is figures only (counts, codes, months, working days; small counts
suppressed), for the people who manage the project: a **team lead** sees the
figures of their own OCMW (the staff directory's ``ocmw``), **operations**
(organisation-wide) those of every OCMW or of the one they choose. Caseworkers
and mediators work case by case and get a 403; so does a team lead asking for
another OCMW. The same decision serves the page (``/rapport``) and the API
(``GET /api/v1/report``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine

from okot.db.reports import ReportFilter
from okot.db.staff import lookup_staff
from okot.domain.values import Role, check_code
from okot.web.cases import CaseError
from okot.web.identity import Caller

REPORT_ROLES: frozenset[Role] = frozenset({Role.TEAMLEAD, Role.OPERATIONS})
"""The roles that see the management report; everyone else gets a 403."""


class ReportRefused(CaseError):
    """A refusal with the one-line ``detail`` of the API and the Dutch ``uitleg`` of the page."""

    def __init__(self, status_code: int, detail: str, uitleg: str,
                 field: str | None = None) -> None:
        super().__init__(status_code, detail, field)
        self.uitleg = uitleg


@dataclass(frozen=True)
class Reader:
    """A logged-in staff member, with the OCMW their figures are limited to (None: all)."""

    caller: Caller
    ocmw: str | None

    @property
    def allowed(self) -> bool:
        return self.caller.role in REPORT_ROLES


def may_read(caller: Caller | None) -> bool:
    """Whether the navigation shows the report to this caller."""
    return caller is not None and caller.role in REPORT_ROLES


def reader_of(engine: Engine, staff_id: str) -> Reader | None:
    """The staff member ``staff_id`` as a report reader (None: not in the directory)."""
    member = lookup_staff(engine, staff_id)
    if member is None:
        return None
    role = Role(member.role)
    caller = Caller(id=member.id, role=role, name=member.name)
    return Reader(caller=caller, ocmw=None if role is Role.OPERATIONS else member.ocmw)


def refuse_unless_allowed(reader: Reader) -> None:
    if not reader.allowed:
        raise ReportRefused(
            403, "only team leads and operations staff see the management report",
            "Het managementrapport is er voor teamverantwoordelijken en beheerders; "
            "u ziet uw dossiers onder Mijn dossiers.")


def report_filter(reader: Reader, ocmw: str | None, opened_from: date | None,
                  opened_to: date | None) -> ReportFilter:
    """The trajectories ``reader`` asks for: checked, and limited to what they may see."""
    refuse_unless_allowed(reader)
    if ocmw is not None:
        try:
            check_code(ocmw)
        except ValueError as error:
            raise ReportRefused(422, f"ocmw: {error}", "Dit is geen OCMW-code: gebruik kleine "
                                "letters, cijfers, '-' of '_' (bijvoorbeeld gent).",
                                "ocmw") from None
    if reader.ocmw is not None:
        if ocmw is not None and ocmw != reader.ocmw:
            raise ReportRefused(
                403, f"a team lead sees the figures of their own OCMW only ({reader.ocmw})",
                f"U ziet de cijfers van uw eigen OCMW ({reader.ocmw}), niet die van een ander "
                "OCMW.", "ocmw")
        ocmw = reader.ocmw
    if opened_from is not None and opened_to is not None and opened_from > opened_to:
        raise ReportRefused(422, "from: after to; give a period that starts before it ends",
                            "De begindatum ligt na de einddatum.", "van")
    return ReportFilter(ocmw=ocmw, opened_from=opened_from, opened_to=opened_to)

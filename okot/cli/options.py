"""Command-line values of the ``okot`` CLI: the shared arguments and options and
their parsers (dates, ``--as ROLE:ID``, case ids), and pydantic errors as one
line that names the options the user typed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import typer
from pydantic import ValidationError

from okot.cli.cohort_csv import parse_date as _parse_cohort_date
from okot.cli.errors import fail
from okot.domain.calendar import local_date
from okot.domain.reasons import validation_reason
from okot.domain.values import (
    Actor,
    Role,
    workflow_id_for,
)

HUMAN_ROLES: tuple[str, ...] = (Role.CASEWORKER.value, Role.MEDIATOR.value, Role.TEAMLEAD.value,
                                Role.OPERATIONS.value)
DATE_METAVAR = "YYYY-MM-DD"


def brussels_today() -> date:
    """Today as the workflow sees it: the date in Brussels, whatever the machine's zone."""
    return local_date(datetime.now(UTC))


def parse_date_option(value: str | date) -> date:
    """Click parser for ``YYYY-MM-DD`` options (the message names the option)."""
    if isinstance(value, date):
        return value
    try:
        return _parse_cohort_date(value)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def parse_actor(spec: str | None) -> Actor:
    """``ROLE:ID`` (from ``--as`` or ``OKOT_ACTOR``) as an :class:`Actor`."""
    roles = ", ".join(HUMAN_ROLES)
    if not spec or not spec.strip():
        fail(f"missing actor: give --as ROLE:ID or set OKOT_ACTOR (ROLE one of {roles}), "
             "for example --as caseworker:cw-anna")
    role, sep, staff_id = spec.strip().partition(":")
    role = role.strip().lower()
    if not sep or role not in HUMAN_ROLES:
        fail(f"--as / OKOT_ACTOR: give ROLE:ID with ROLE one of {roles} "
             "(for example caseworker:cw-anna)")
    try:
        return Actor(role=Role(role), id=staff_id.strip())
    except ValidationError as error:
        fail(validation_reason(error, "--as / OKOT_ACTOR"))


def check_case_id(case_id: str) -> str:
    try:
        workflow_id_for(case_id)
    except ValueError as error:
        fail(f"CASE: {error}")
    return case_id


def option_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def describe(error: ValidationError, names: dict[str, str], context: str) -> str:
    """A pydantic error as one line that names the options the user typed (never the value)."""
    return validation_reason(error, context, names)


CaseArg = Annotated[str, typer.Argument(metavar="CASE", help="The opaque, pseudonymous case id.",
                                        show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (shape: README.md).")]

OcmwOpt = Annotated[str, typer.Option("--ocmw", help="OCMW code, e.g. gent.", show_default=False)]
CaseworkerOpt = Annotated[str, typer.Option("--caseworker", help="Staff id of the caseworker.",
                                            show_default=False)]
MediatorOpt = Annotated[str | None, typer.Option(
    "--mediator", help="Staff id of the VDAB mediator, if already known.")]
RegisteredOpt = Annotated[bool, typer.Option(
    "--registered-jobseeker/--not-registered",
    help="Whether the client is already registered as a jobseeker at VDAB (if not, "
         "registration follows the formal agreement).")]
OpenedOnOpt = Annotated[date | None, typer.Option(
    "--opened-on", parser=parse_date_option, metavar=DATE_METAVAR,
    help="When the file was really opened (a case kept elsewhere until now); default today.")]

"""The ``okot`` command line: open trajectories, send them messages, read them.

* ``okot open CASE --ocmw X --caseworker ID``: start a client's trajectory;
* one command per message of ``shared/domain.md`` (``okot record-info``,
  ``okot give-agreement``, ...), generated from the message models so their
  options mirror the fields exactly; the actor is ``--as ROLE:ID`` or
  ``OKOT_ACTOR``;
* ``okot status CASE``, ``okot timeline CASE``, ``okot list``: read them (``--json``
  for scripts);
* ``okot import cohort.csv``: open a cohort of cases (idempotent);
* ``okot worker``: run the worker (same as ``python worker.py``);
* plus the database commands of :mod:`okot.cli.data`, ``okot vdab-sim``
  (:mod:`okot_dev.commands`) and ``okot dev`` (:mod:`okot_dev.devstack`).

Exit codes: 0 done; 1 trouble reaching Temporal or the database (nothing was
decided); 2 refused (the workflow refused the message, a malformed option, an
unknown staff id, a cohort row that failed). Errors are one line on stderr.
``README.md`` documents the commands, the ``--json`` shapes and the cohort CSV.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
import types
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar, Union, get_args, get_origin

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowExecution
from temporalio.service import RPCError, RPCStatusCode
from typer.core import TyperCommand, TyperGroup

from okot.cli import (
    data as cli_data,
)
from okot.cli import (
    outbox as cli_outbox,
)
from okot.cli.cohort import (
    CohortEntry,
    CohortFileError,
    CohortProblem,
    CohortRow,
    describe_validation_error,
    parse_cohort,
)
from okot.cli.cohort import parse_date as _parse_cohort_date
from okot.db.engine import (
    DatabaseNotReady,
    get_engine,
    prepare_database,
)
from okot.db.staff import (
    UnknownStaff,
    require_staff,
)
from okot.db.tables import STAFF
from okot.domain import deadlines, journey
from okot.domain.messages import (
    MESSAGE_TYPES,
    Message,
)
from okot.domain.status import (
    OpenTrajectory,
    TimelineEntry,
    TrajectoryStatus,
)
from okot.domain.values import (
    Actor,
    MessageName,
    Role,
    Stage,
    check_code,
    check_staff_id,
    workflow_id_for,
)
from okot.logging import configure_logging
from okot.settings import get_settings
from okot.temporal import connection as okot_temporal
from okot.temporal import search_attributes as sa
from okot.temporal import trajectories
from okot.temporal.contract import WORKFLOW_TYPE
from okot_dev import (
    commands as cli_vdab,
)
from okot_dev import (
    devstack,
)

T = TypeVar("T")

EXIT_OK = 0
EXIT_TROUBLE = 1
"""Temporal or the database could not be reached (or did not answer): nothing was decided."""
EXIT_REFUSED = 2
"""Refused: by the workflow, or because an option, a staff id or a cohort row is wrong."""

WAIT_SECONDS = 60.0
"""How long a command waits for a worker to answer an Update or a query."""

HUMAN_ROLES: tuple[str, ...] = (Role.CASEWORKER.value, Role.MEDIATOR.value, Role.TEAMLEAD.value)
DATE_METAVAR = "YYYY-MM-DD"


# ------------------------------------------------------------------ errors, output


class CliError(Exception):
    """A failure to report as one line on stderr, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    raise CliError(message, code)


def _error_line(message: str) -> None:
    """One line on stderr (never wrapped: scripts and people grep it)."""
    typer.echo(" ".join(message.split()), err=True)


def _warn(message: str) -> None:
    _error_line(f"warning: {message}")


def _console() -> Console:
    """Standard output; 120 columns when it is not a terminal (pipes, tests)."""
    return Console(highlight=False) if sys.stdout.isatty() else Console(width=120, highlight=False)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


class _OneLineErrors:
    """Usage errors (a bad date, an unknown choice, a missing option) as one line on stderr."""

    def main(  # type: ignore[no-untyped-def]
        self, *args: Any, standalone_mode: bool = True, **kwargs: Any
    ):
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]
        except typer.TyperException as error:
            if not standalone_mode:
                raise
            if type(error).__name__ != "NoArgsIsHelpError":  # the help was shown already
                ctx = getattr(error, "ctx", None)
                hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
                text = error.format_message().replace("Value error, ", "")
                _error_line(f"error: {text}{hint}")
            sys.exit(error.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            _error_line("aborted")
            sys.exit(EXIT_TROUBLE)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


class OkotGroup(_OneLineErrors, TyperGroup):
    pass


class OkotCommand(_OneLineErrors, TyperCommand):
    pass


def _run(make: Callable[[], Awaitable[T]]) -> T:
    """Run one async operation; a :class:`CliError` becomes its line and exit code."""

    async def runner() -> T:
        return await make()

    try:
        return asyncio.run(runner())
    except CliError as error:
        _error_line(error.message)
        raise typer.Exit(error.code) from None


def _guard(body: Callable[[], None]) -> None:
    """Run a command body; a :class:`CliError` raised outside :func:`_run` ends it too."""
    try:
        body()
    except CliError as error:
        _error_line(error.message)
        raise typer.Exit(error.code) from None


# ------------------------------------------------------------------- parsing


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
        _fail(f"missing actor: give --as ROLE:ID or set OKOT_ACTOR (ROLE one of {roles}), "
              "for example --as caseworker:cw-anna")
    role, sep, staff_id = spec.strip().partition(":")
    role = role.strip().lower()
    if not sep or role not in HUMAN_ROLES:
        _fail(f"--as / OKOT_ACTOR: {spec!r} is not ROLE:ID with ROLE one of {roles} "
              "(for example caseworker:cw-anna)")
    try:
        return Actor(role=Role(role), id=staff_id.strip())
    except ValidationError as error:
        _fail(f"--as / OKOT_ACTOR: {describe_validation_error(error)}")


def _check_case_id(case_id: str) -> str:
    try:
        workflow_id_for(case_id)
    except ValueError as error:
        _fail(f"CASE: {error}")
    return case_id


def _option_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def _describe(error: ValidationError, names: dict[str, str], context: str) -> str:
    """A pydantic error as one line that names the options the user typed."""
    parts = []
    for item in error.errors():
        loc = tuple(str(p) for p in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        if not loc:
            parts.append(message)
            continue
        where = names.get(loc[0], _option_name(loc[0]))
        parts.append(f"{where}: {message}")
    return f"{context}: " + "; ".join(parts)


# ---------------------------------------------------------------- database, staff


def _engine() -> Engine:
    engine = get_engine()
    try:
        prepare_database(engine)
    except DatabaseNotReady as error:
        _fail(f"database not ready: {error}", EXIT_TROUBLE)
    except Exception as error:  # an unreachable PostgreSQL, a read-only file, ...
        _fail(f"cannot use the database: {_first_line(error)}", EXIT_TROUBLE)
    return engine


def _directory_is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return not conn.execute(select(func.count()).select_from(STAFF)).scalar_one()


EMPTY_DIRECTORY_WARNING = (
    "the staff directory is empty, so staff ids are not checked; "
    "import it with `okot staff import staff.csv`"
)


class StaffCheck:
    """Refuses unknown staff ids with :func:`okot.staff.require_staff`'s message.

    An empty directory allows everything (first-run friendliness) with one warning.
    """

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self._empty: bool | None = None

    def problem(self, ids: Sequence[tuple[str, Role | None]]) -> str | None:
        if not ids:
            return None
        if self._engine is None:
            self._engine = _engine()
            self._empty = _directory_is_empty(self._engine)
            if self._empty:
                _warn(EMPTY_DIRECTORY_WARNING)
        if self._empty:
            return None
        for staff_id, role in ids:
            try:
                require_staff(self._engine, staff_id, role)
            except UnknownStaff as error:
                return str(error)
        return None


def _staff_ids(request: OpenTrajectory) -> list[tuple[str, Role | None]]:
    ids: list[tuple[str, Role | None]] = [(request.caseworker, Role.CASEWORKER)]
    if request.mediator is not None:
        ids.append((request.mediator, Role.MEDIATOR))
    return ids


_STAFF_FIELDS: dict[str, Role | None] = {
    "caseworker": Role.CASEWORKER,
    "mediator": Role.MEDIATOR,
    "contact": None,
}


def _message_staff_ids(message: Message) -> list[tuple[str, Role | None]]:
    ids: list[tuple[str, Role | None]] = []
    for field, role in _STAFF_FIELDS.items():
        value = getattr(message, field, None)
        if isinstance(value, str):
            ids.append((value, role))
    return ids


# ---------------------------------------------------------------------- Temporal


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]


def _target() -> str:
    try:
        config = okot_temporal.connect_config()
    except Exception:
        return "the configured address"
    return f"{config.get('target_host')} (namespace {config.get('namespace', 'default')})"


async def _client() -> Client:
    try:
        return await okot_temporal.connect()
    except Exception as error:
        _fail(f"cannot connect to Temporal at {_target()}: {_first_line(error)}; "
              "check TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_PROFILE", EXIT_TROUBLE)


def _rpc_trouble(error: RPCError, case_id: str | None = None) -> CliError:
    if error.status is RPCStatusCode.NOT_FOUND and case_id is not None:
        return CliError(
            f"no trajectory for case {case_id} (workflow {workflow_id_for(case_id)}); "
            f"open one with `okot open {case_id}`",
            EXIT_REFUSED,
        )
    return CliError(f"Temporal at {_target()} answered {error.status.name}: {_first_line(error)}",
                    EXIT_TROUBLE)


def _no_answer(what: str, case_id: str) -> CliError:
    return CliError(
        f"no answer to {what} for case {case_id} within {WAIT_SECONDS:.0f} s: is a worker "
        f"running (`okot worker`)? Check later with `okot status {case_id}`",
        EXIT_TROUBLE,
    )


async def _query(what: str, case_id: str, query: Awaitable[T]) -> T:
    try:
        return await asyncio.wait_for(query, WAIT_SECONDS)
    except TimeoutError:
        raise _no_answer(what, case_id) from None
    except RPCError as error:
        raise _rpc_trouble(error, case_id) from None


async def _query_status(client: Client, case_id: str) -> TrajectoryStatus:
    return await _query("the status query", case_id, trajectories.status(client, case_id))


async def _query_timeline(client: Client, case_id: str) -> list[TimelineEntry]:
    return await _query("the timeline query", case_id, trajectories.timeline(client, case_id))


async def _send(case_id: str, message: Message, as_signal: bool) -> TrajectoryStatus | None:
    client = await _client()
    name = message.name.value
    try:
        if as_signal:
            await trajectories.signal(client, case_id, message)
            return None
        return await asyncio.wait_for(trajectories.send(client, case_id, message), WAIT_SECONDS)
    except trajectories.MessageRejected as rejected:
        raise CliError(f"refused: {rejected}", EXIT_REFUSED) from None
    except TimeoutError:
        raise CliError(
            f"no answer to {name} for case {case_id} within {WAIT_SECONDS:.0f} s: is a worker "
            f"running (`okot worker`)? The message may still be applied when one picks it up; "
            f"check with `okot status {case_id}`",
            EXIT_TROUBLE,
        ) from None
    except RPCError as error:
        if error.status is not RPCStatusCode.NOT_FOUND:
            raise _rpc_trouble(error) from None
    # Not found: no trajectory at all, or one that is closed (its workflow has completed).
    current = await _query_status(client, case_id)
    closure = current.closure.value if current.closure else "closed"
    raise CliError(
        f"refused: {name} refused: the trajectory of case {case_id} is closed ({closure}); "
        "nothing more can be recorded on it",
        EXIT_REFUSED,
    )


# ------------------------------------------------------------------- JSON shapes


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def status_json(status: TrajectoryStatus) -> dict[str, Any]:
    """The stable ``--json`` shape of a status (see README.md)."""
    deadline = status.next_deadline
    return {
        "case_id": status.case_id,
        "workflow_id": workflow_id_for(status.case_id),
        "ocmw": status.ocmw,
        "stage": status.stage.value,
        "stage_since": _iso(status.stage_since),
        "open": status.is_open,
        "closure": status.closure.value if status.closure else None,
        "closure_reason": status.closure_reason,
        "outcome": status.outcome.value if status.outcome else None,
        "opened_at": _iso(status.opened_at),
        "closed_at": _iso(status.closed_at),
        "caseworker": status.caseworker,
        "mediator": status.mediator,
        "registered_jobseeker": status.registered_jobseeker,
        "study_level": status.study_level.value if status.study_level else None,
        "next_deadline": None if deadline is None else {
            "kind": deadline.kind.value,
            "due": _iso(deadline.due),
            "due_at": _iso(deadline.due_at),
            "notify": [r.value for r in deadline.notify],
            "awaiting": deadline.awaiting,
        },
        "awaiting": deadlines.awaiting(status),
        "overdue": status.overdue,
        "reminders_sent": status.reminders_sent,
        "escalations_sent": status.escalations_sent,
        "seq": status.seq,
        "status": status.model_dump(mode="json"),
    }


def timeline_entry_json(entry: TimelineEntry) -> dict[str, Any]:
    """The stable ``--json`` shape of one timeline entry (see README.md)."""
    return {
        "seq": entry.seq,
        "at": _iso(entry.at),
        "kind": entry.kind,
        "name": entry.name,
        "actor": {"role": entry.actor.role.value, "id": entry.actor.id},
        "accepted": entry.accepted,
        "summary": entry.summary,
        "reason": entry.reason,
        "stage_before": entry.stage_before.value,
        "stage_after": entry.stage_after.value,
    }


def execution_json(execution: WorkflowExecution) -> dict[str, Any]:
    """The stable ``--json`` shape of one ``okot list`` row (see README.md)."""
    attrs = execution.typed_search_attributes
    deadline = attrs.get(sa.NEXT_DEADLINE)
    since = attrs.get(sa.STAGE_SINCE)
    workflow_id = execution.id
    return {
        "case_id": workflow_id.removeprefix("okot-"),
        "workflow_id": workflow_id,
        "run_id": execution.run_id,
        "execution_status": execution.status.name.lower() if execution.status else None,
        "start_time": _iso(execution.start_time),
        "close_time": _iso(execution.close_time),
        "stage": attrs.get(sa.STAGE),
        "ocmw": attrs.get(sa.OCMW),
        "caseworker": attrs.get(sa.CASEWORKER),
        "mediator": attrs.get(sa.MEDIATOR),
        "study_level": attrs.get(sa.STUDY_LEVEL),
        "outcome": attrs.get(sa.OUTCOME),
        "closure": attrs.get(sa.CLOSURE),
        "next_deadline": _iso(deadline),
        "stage_since": _iso(since),
        "overdue": attrs.get(sa.OVERDUE),
    }


# ------------------------------------------------------------------ human output


def _print_status(status: TrajectoryStatus, *, brief: bool = False) -> None:
    console = _console()
    deadline = status.next_deadline
    stage = status.stage.value
    if status.closure is not None:
        stage += f" ({status.closure.value})"
    rows: list[tuple[str, str]] = [
        ("case", f"{status.case_id} ({workflow_id_for(status.case_id)})"),
        ("stage", f"{stage} since {status.stage_since:%Y-%m-%d %H:%M}"),
    ]
    if not brief:
        rows += [
            ("OCMW", status.ocmw),
            ("caseworker", status.caseworker),
            ("mediator", status.mediator or "-"),
            ("registered jobseeker", "yes" if status.registered_jobseeker else "no"),
            ("study level", status.study_level.value if status.study_level else "-"),
        ]
        if status.candidacy is not None:
            rows.append(("programme", f"{status.candidacy.programme} at {status.candidacy.school}"))
        for label, day in (
            ("agreement", status.agreement_on), ("handover", status.handover_on),
            ("intake", status.intake_date), ("probable start", status.probable_start),
            ("started", status.started_on), ("expected end", status.expected_end),
            ("ended", status.ended_on),
        ):
            if day is not None:
                rows.append((label, day.isoformat()))
        if status.outcome is not None:
            rows.append(("outcome", status.outcome.value))
        if status.follow_up_lead is not None:
            rows.append(("follow-up by", status.follow_up_lead.value))
        for e in status.employment:
            rows.append((f"employment ({e.check.value})",
                         f"{'employed' if e.employed else 'not employed'} on {e.date}"))
    rows.append(("awaiting", deadlines.awaiting(status)))
    if deadline is not None:
        rows.append(("next deadline", f"{deadline.due} ({deadline.kind.value})"))
    if status.overdue:
        rows.append(("overdue", "[red]OVERDUE[/red]"))
    if not brief:
        rows.append(("reminders sent", f"{status.reminders_sent} "
                     f"(escalations {status.escalations_sent})"))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, value if label == "overdue" else escape(value))
    console.print(grid)


def _print_timeline(entries: list[TimelineEntry]) -> None:
    table = Table(title=f"{len(entries)} events")
    for column in ("#", "at", "event", "actor", "", "stage", "summary"):
        table.add_column(column, overflow="fold")
    for e in entries:
        stage = e.stage_after.value if e.stage_before is e.stage_after else (
            f"{e.stage_before.value} -> {e.stage_after.value}"
        )
        table.add_row(
            str(e.seq), f"{e.at:%Y-%m-%d %H:%M}", escape(e.name),
            escape(f"{e.actor.role.value}:{e.actor.id}"),
            "ok" if e.accepted else "[red]REJECTED[/red]", stage,
            escape(e.summary if e.accepted else (e.reason or e.summary)),
        )
    _console().print(table)


def _print_list(rows: list[dict[str, Any]]) -> None:
    if not rows:
        _console().print("no trajectories match")
        return
    table = Table(title=f"{len(rows)} trajectories")
    for column in ("case", "OCMW", "stage", "since", "next deadline", "overdue", "caseworker",
                   "mediator", "workflow"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            escape(r["case_id"]), escape(r["ocmw"] or "-"),
            escape((r["stage"] or "-") + (f" ({r['closure']})" if r["closure"] else "")),
            (r["stage_since"] or "-")[:10], (r["next_deadline"] or "-")[:10],
            "[red]OVERDUE[/red]" if r["overdue"] else "",
            escape(r["caseworker"] or "-"), escape(r["mediator"] or "-"),
            r["execution_status"] or "-",
        )
    _console().print(table)


# ------------------------------------------------------------------------ the app

app = typer.Typer(
    name="okot",
    cls=OkotGroup,
    help="OKOT trajectories of OCMW clients, as durable Temporal workflows.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def _logging() -> None:
    """Log lines go to stderr (structlog), never into the command's output."""
    configure_logging()


CaseArg = Annotated[str, typer.Argument(metavar="CASE", help="The opaque, pseudonymous case id.",
                                        show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (shape: README.md).")]


# ----------------------------------------------------------------------- opening


def _open_request(
    case_id: str, ocmw: str, caseworker: str, mediator: str | None,
    registered_jobseeker: bool, opened_on: date | None,
) -> OpenTrajectory:
    names = {"case_id": "CASE", "ocmw": "--ocmw", "caseworker": "--caseworker",
             "mediator": "--mediator", "opened_on": "--opened-on"}
    if opened_on is not None and opened_on > date.today():
        _fail(f"--opened-on: {opened_on} is in the future (today is {date.today()})")
    try:
        return OpenTrajectory(
            case_id=case_id, ocmw=ocmw.strip().lower(), caseworker=caseworker,
            mediator=mediator or None, registered_jobseeker=registered_jobseeker,
            opened_on=opened_on,
        )
    except ValidationError as error:
        _fail(_describe(error, names, "cannot open"))


def _open_one(request: OpenTrajectory, as_json: bool) -> None:
    problem = StaffCheck().problem(_staff_ids(request))
    if problem is not None:
        _fail(f"refused: {problem}")
    task_queue = get_settings().task_queue

    async def start() -> str:
        client = await _client()
        try:
            handle = await trajectories.open_trajectory(client, request, task_queue)
        except trajectories.AlreadyOpen as error:
            raise CliError(f"refused: {error}", EXIT_REFUSED) from None
        except RPCError as error:
            raise _rpc_trouble(error) from None
        return handle.result_run_id or handle.first_execution_run_id or ""

    run_id = _run(start)
    workflow_id = workflow_id_for(request.case_id)
    if as_json:
        _echo_json({"case_id": request.case_id, "workflow_id": workflow_id, "run_id": run_id,
                    "task_queue": task_queue, "opened": True})
        return
    _console().print(
        f"opened {escape(workflow_id)}: OCMW {escape(request.ocmw)}, caseworker "
        f"{escape(request.caseworker)}, stage orientation (task queue {escape(task_queue)})"
    )


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


@app.command("open")
def open_command(
    case_id: CaseArg,
    ocmw: OcmwOpt,
    caseworker: CaseworkerOpt,
    mediator: MediatorOpt = None,
    registered_jobseeker: RegisteredOpt = True,
    opened_on: OpenedOnOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a client's OKOT trajectory (stage orientation)."""
    _guard(lambda: _open_one(
        _open_request(case_id, ocmw, caseworker, mediator, registered_jobseeker, opened_on),
        as_json,
    ))


# ---------------------------------------------------------------------- messages

COMMAND_HELP: dict[MessageName, str] = {
    MessageName.RECORD_INFO: "Record the info session or the talk with the VDAB mediator.",
    MessageName.RECORD_PRECHECK: "Record the pre-check of the entry conditions (all but the "
    "screening) and whether a TWE is active; a negative pre-check closes the file as ineligible.",
    MessageName.SUBMIT_CANDIDACY: "Submit the client's candidacy for a study (via the training "
    "guide or the mediator).",
    MessageName.GIVE_AGREEMENT: "Give the caseworker's formal agreement ('formeel akkoord'); "
    "VDAB gets the contact details of --contact (default: the caseworker).",
    MessageName.DECLINE_AGREEMENT: "Decline the formal agreement; closes the trajectory.",
    MessageName.CONFIRM_HANDOVER: "Confirm the warm handover to the VDAB mediator.",
    MessageName.SCHEDULE_INTAKE: "Plan the date of VDAB's intake and screening.",
    MessageName.RECORD_SCREENING: "Record the screening: --approved with the probable "
    "--start-date and --location, or --no-approved with one or more --reason codes (closes).",
    MessageName.POSTPONE_START: "Postpone the probable start (optionally at another location).",
    MessageName.CONFIRM_START: "Confirm that the training has started.",
    MessageName.RECORD_PROGRESS: "Record a progress check (in the Klantendossier).",
    MessageName.RECORD_END: "Record the end of the training and its result.",
    MessageName.AGREE_FOLLOW_UP: "Record who guides the client to work next (vdab or ocmw) "
    "and how.",
    MessageName.RECORD_EMPLOYMENT: "Record an employment check (the 12-month check completes "
    "the trajectory).",
    MessageName.WITHDRAW: "The client stops before the training starts; closes the trajectory.",
    MessageName.REASSIGN: "Hand the trajectory over to another caseworker and/or mediator.",
}

_PRIVATE = " Kept in the trajectory, never logged."
FIELD_HELP: dict[str, str] = {
    "date": "The date (YYYY-MM-DD).",
    "channel": "The channel.",
    "conditions_met": "Whether the entry conditions (all but the screening) are met.",
    "twe_active": "Whether a TWE (temporary work experience) is active: an OKOT cannot be "
    "combined with one.",
    "study_level": "The study level.",
    "notes": "Free-text notes." + _PRIVATE,
    "programme": "The study programme, as in the training guide.",
    "school": "The school.",
    "mediator": "Staff id of the VDAB mediator.",
    "caseworker": "Staff id of the caseworker.",
    "contact": "Staff id whose contact details VDAB gets (default: the caseworker).",
    "reason": "Free-text reason." + _PRIVATE,
    "approved": "Whether the screening approved the candidacy.",
    "reasons": "Reason code of a rejected screening; repeat the option for several.",
    "start_date": "The probable start date (YYYY-MM-DD).",
    "location": "Where the training takes place.",
    "expected_end": "Expected end of the training (YYYY-MM-DD).",
    "note": "Free-text progress note." + _PRIVATE,
    "result": "The result of the training.",
    "lead": "Who guides the client to work next.",
    "plan": "The follow-up plan, free text." + _PRIVATE,
    "employed": "Whether the client is employed.",
}
MESSAGE_FIELD_HELP: dict[tuple[MessageName, str], str] = {
    (MessageName.RECORD_INFO, "date"): "Date of the info session or talk (not in the future).",
    (MessageName.RECORD_INFO, "channel"): "How the client was informed.",
    (MessageName.SUBMIT_CANDIDACY, "channel"): "Through which channel the candidacy came.",
    (MessageName.CONFIRM_HANDOVER, "date"): "Date of the warm handover (not in the future).",
    (MessageName.CONFIRM_HANDOVER, "channel"): "How the handover was done (phone preferred).",
    (MessageName.CONFIRM_HANDOVER, "notes"): "Free-text notes on the handover." + _PRIVATE,
    (MessageName.SCHEDULE_INTAKE, "date"): "Planned intake date (today or later).",
    (MessageName.RECORD_SCREENING, "start_date"): "Probable start date (needed if approved).",
    (MessageName.RECORD_SCREENING, "location"): "Training location (needed if approved).",
    (MessageName.POSTPONE_START, "start_date"): "The new probable start date.",
    (MessageName.POSTPONE_START, "location"): "The new location (default: unchanged).",
    (MessageName.CONFIRM_START, "date"): "Date the training started (not in the future).",
    (MessageName.RECORD_PROGRESS, "date"): "Date of the progress check (not in the future).",
    (MessageName.RECORD_END, "date"): "Date the training ended (not in the future).",
    (MessageName.RECORD_EMPLOYMENT, "date"): "Date the employment situation applies to.",
    (MessageName.DECLINE_AGREEMENT, "reason"): "Why the agreement is declined." + _PRIVATE,
    (MessageName.WITHDRAW, "reason"): "Why the client stops." + _PRIVATE,
    (MessageName.REASSIGN, "caseworker"): "Staff id of the new caseworker.",
    (MessageName.REASSIGN, "mediator"): "Staff id of the new VDAB mediator.",
}

# Parameter names of the generated commands that are not message fields.
_COMMON_PARAMS = ("case_id", "actor_spec", "as_signal", "as_json")


@dataclass(frozen=True)
class FieldOption:
    """How one message field becomes a command-line option."""

    field: str
    kind: str  # "date", "bool", "enum", "enums" (repeatable) or "text"
    required: bool
    enum: type[Enum] | None = None

    @property
    def names(self) -> tuple[str, ...]:
        option = _option_name(self.field)
        if self.kind == "bool":
            return (f"{option}/--no-{option[2:]}",)
        if self.kind == "enums" and self.field.endswith("s"):
            return (option[:-1], option)  # --reason, repeatable; --reasons works too
        return (option,)

    @property
    def display(self) -> str:
        return self.names[0].split("/")[0]

    def annotation(self, help_text: str) -> Any:
        kwargs: dict[str, Any] = {"help": help_text, "show_default": False}
        if self.kind == "date":
            kwargs.update(parser=parse_date_option, metavar=DATE_METAVAR)
            base: Any = date
        elif self.kind == "bool":
            base = bool
        elif self.kind in ("enum", "enums"):
            assert self.enum is not None
            base = self.enum if self.kind == "enum" else list[self.enum]  # type: ignore[name-defined]
            choices = ", ".join(str(m.value) for m in self.enum)
            kwargs.update(metavar="CODE" if self.kind == "enums" else self.field.upper(),
                          help=f"{help_text} One of: {choices}.")
        else:
            base = str
        if not self.required or self.kind == "enums":
            base = base | None
        return Annotated[base, typer.Option(*self.names, **kwargs)]

    def payload(self, value: Any) -> Any:
        if self.kind == "enums":
            return tuple(value or ())
        return value


def _unwrap(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else str
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def field_options(model: type[BaseModel]) -> list[FieldOption]:
    """The options of a message command: one per field of ``model`` except ``actor``."""
    options = []
    for name, info in model.model_fields.items():
        if name == "actor":
            continue
        annotation = _unwrap(info.annotation)
        required = info.is_required()
        if annotation is bool:
            options.append(FieldOption(name, "bool", required))
        elif annotation is date:
            options.append(FieldOption(name, "date", required))
        elif inspect.isclass(annotation) and issubclass(annotation, Enum):
            options.append(FieldOption(name, "enum", required, annotation))
        elif get_origin(annotation) is tuple and inspect.isclass(get_args(annotation)[0]) and (
            issubclass(get_args(annotation)[0], Enum)
        ):
            options.append(FieldOption(name, "enums", required, get_args(annotation)[0]))
        else:  # text, staff ids, and anything pydantic can coerce from a string
            options.append(FieldOption(name, "text", required))
    return options


def command_name(kind: MessageName) -> str:
    return kind.value.replace("_", "-")


def _rule_text(kind: MessageName) -> str:
    rule = journey.RULES.get(kind)
    if rule is None:
        return ""
    stages = ", ".join(s.value for s in rule.stages) if len(rule.stages) < len(Stage) - 1 else (
        "every open stage"
    )
    return f" Sent by {' or '.join(r.value for r in rule.roles)}; allowed in {stages}."


def field_help(kind: MessageName, field: str) -> str:
    return MESSAGE_FIELD_HELP.get((kind, field)) or FIELD_HELP.get(field) or field.replace("_", " ")


def _send_message(
    kind: MessageName, options: list[FieldOption], values: dict[str, Any]
) -> None:
    case_id = _check_case_id(values["case_id"])
    actor = parse_actor(values["actor_spec"])
    payload: dict[str, Any] = {"actor": actor}
    for option in options:
        value = option.payload(values[option.field])
        if value is not None:
            payload[option.field] = value
    names = {o.field: o.display for o in options} | {"actor": "--as / OKOT_ACTOR"}
    try:
        message = MESSAGE_TYPES[kind].model_validate(payload)
    except ValidationError as error:
        _fail(_describe(error, names, f"invalid {kind.value}"))
    problem = StaffCheck().problem(_message_staff_ids(message))
    if problem is not None:
        _fail(f"refused: {problem}")
    as_signal, as_json = bool(values["as_signal"]), bool(values["as_json"])
    status = _run(lambda: _send(case_id, message, as_signal))
    if status is None:
        if as_json:
            _echo_json({"case_id": case_id, "message": kind.value, "signal": True})
        else:
            _console().print(
                f"{kind.value} sent as a signal to case {escape(case_id)}; a rejection is only "
                f"recorded in its timeline (`okot timeline {escape(case_id)}`)"
            )
        return
    if as_json:
        _echo_json(status_json(status))
        return
    _console().print(f"[green]{kind.value} accepted[/green]")
    _print_status(status, brief=True)


def _make_message_command(kind: MessageName) -> Callable[..., None]:
    model = MESSAGE_TYPES[kind]
    options = field_options(model)

    def command(**values: Any) -> None:
        _guard(lambda: _send_message(kind, options, values))

    params = [
        inspect.Parameter("case_id", inspect.Parameter.KEYWORD_ONLY, annotation=CaseArg),
        inspect.Parameter(
            "actor_spec", inspect.Parameter.KEYWORD_ONLY, default=None,
            annotation=Annotated[str | None, typer.Option(
                "--as", envvar="OKOT_ACTOR", metavar="ROLE:ID",
                help="Who sends it: ROLE:ID, ROLE one of caseworker, mediator, teamlead "
                     "(default: $OKOT_ACTOR).")],
        ),
    ]
    required = [o for o in options if o.required and o.kind != "enums"]
    optional = [o for o in options if not (o.required and o.kind != "enums")]
    for option in (*required, *optional):
        params.append(inspect.Parameter(
            option.field, inspect.Parameter.KEYWORD_ONLY,
            default=inspect.Parameter.empty if option in required else None,
            annotation=option.annotation(field_help(kind, option.field)),
        ))
    params += [
        inspect.Parameter(
            "as_signal", inspect.Parameter.KEYWORD_ONLY, default=False,
            annotation=Annotated[bool, typer.Option(
                "--signal", help="Send it as a fire-and-forget Signal instead of an Update "
                "(a rejection is then only recorded in the timeline).")],
        ),
        inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, default=False,
                          annotation=JsonOpt),
    ]
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {}
    command.__name__ = kind.value
    command.__doc__ = COMMAND_HELP.get(kind, kind.value.replace("_", " ")) + _rule_text(kind)
    return command


for _kind in MESSAGE_TYPES:
    app.command(command_name(_kind))(_make_message_command(_kind))


# ---------------------------------------------------------------------- reading


@app.command("status")
def status_command(case_id: CaseArg, as_json: JsonOpt = False) -> None:
    """Show the whole current picture of a trajectory."""

    def body() -> None:
        _check_case_id(case_id)

        async def fetch() -> TrajectoryStatus:
            return await _query_status(await _client(), case_id)

        status = _run(fetch)
        if as_json:
            _echo_json(status_json(status))
        else:
            _print_status(status)

    _guard(body)


@app.command("timeline")
def timeline_command(case_id: CaseArg, as_json: JsonOpt = False) -> None:
    """Show every accepted and rejected message and every system event of a trajectory."""

    def body() -> None:
        _check_case_id(case_id)

        async def fetch() -> list[TimelineEntry]:
            return await _query_timeline(await _client(), case_id)

        entries = _run(fetch)
        if as_json:
            _echo_json([timeline_entry_json(e) for e in entries])
        else:
            _print_timeline(entries)

    _guard(body)


def build_list_query(
    stage: Stage | None = None,
    ocmw: str | None = None,
    caseworker: str | None = None,
    mediator: str | None = None,
    overdue: bool = False,
    running: bool = False,
    query: str | None = None,
) -> str:
    """The Temporal visibility query of ``okot list`` (the same one works in the Web UI)."""
    parts = [f"WorkflowType = '{WORKFLOW_TYPE}'"]
    checks: list[tuple[str, str | None, Callable[[str], str], str]] = [
        ("--ocmw", ocmw.strip().lower() if ocmw is not None else None, check_code, sa.OCMW.name),
        ("--caseworker", caseworker, check_staff_id, sa.CASEWORKER.name),
        ("--mediator", mediator, check_staff_id, sa.MEDIATOR.name),
    ]
    if stage is not None:
        parts.append(f"{sa.STAGE.name} = '{stage.value}'")
    for option, value, check, attribute in checks:
        if value is None:
            continue
        try:
            parts.append(f"{attribute} = '{check(value)}'")
        except ValueError as error:
            _fail(f"error: {option}: {error}")
    if overdue:
        parts.append(f"{sa.OVERDUE.name} = true")
    if running:
        parts.append("ExecutionStatus = 'Running'")
    if query and query.strip():
        parts.append(f"({query.strip()})")
    return " AND ".join(parts)


@app.command("list")
def list_command(
    stage: Annotated[Stage | None, typer.Option(
        "--stage", metavar="STAGE",
        help="Only this stage: " + ", ".join(s.value for s in Stage) + ".")] = None,
    ocmw: Annotated[str | None, typer.Option("--ocmw", help="Only this OCMW (code).")] = None,
    caseworker: Annotated[str | None, typer.Option(
        "--caseworker", help="Only this caseworker (staff id).")] = None,
    mediator: Annotated[str | None, typer.Option(
        "--mediator", help="Only this mediator (staff id).")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue ones.")] = False,
    running: Annotated[bool, typer.Option(
        "--open", help="Only running workflows (open trajectories).")] = False,
    query: Annotated[str | None, typer.Option(
        "--query", metavar="QUERY",
        help="An extra Temporal visibility query, e.g. \"OkotStudyLevel = 'bachelor'\".")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 200,
    as_json: JsonOpt = False,
) -> None:
    """List trajectories from Temporal visibility (the Okot* search attributes)."""

    def body() -> None:
        visibility_query = build_list_query(stage, ocmw, caseworker, mediator, overdue, running,
                                            query)

        async def fetch() -> list[dict[str, Any]]:
            client = await _client()
            try:
                return [execution_json(e) async for e in
                        client.list_workflows(visibility_query, limit=limit)]
            except RPCError as error:
                if error.status is RPCStatusCode.INVALID_ARGUMENT:
                    raise CliError(f"--query: Temporal refused the query: {_first_line(error)}",
                                   EXIT_REFUSED) from None
                raise _rpc_trouble(error) from None

        rows = _run(fetch)
        if as_json:
            _echo_json(rows)
        else:
            _print_list(rows)

    _guard(body)


# ------------------------------------------------------------------- cohort import


@dataclass
class CohortOutcome:
    opened: int = 0
    skipped: int = 0
    failed: int = 0

    def summary(self) -> str:
        return f"opened {self.opened}, skipped {self.skipped}, failed {self.failed}"

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.failed == 0 else EXIT_REFUSED


def import_cohort(path: Path) -> CohortOutcome:
    """Open a trajectory for every valid row of the cohort CSV at ``path``.

    Idempotent: a case with an open trajectory is skipped. Bad rows are reported
    with their line number and the rest goes on.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"cannot read {path}: {getattr(error, 'strerror', None) or error}")
    try:
        entries = parse_cohort(text, today=date.today())
    except CohortFileError as error:
        _fail(f"{path}: {error}")
    staff = StaffCheck()
    checked: list[CohortEntry] = []
    for entry in entries:
        if isinstance(entry, CohortRow):
            problem = staff.problem(_staff_ids(entry.request))
            if problem is not None:
                entry = CohortProblem(entry.line, entry.case_id, problem)
        checked.append(entry)
    task_queue = get_settings().task_queue
    outcome = CohortOutcome()
    errors = Console(stderr=True, highlight=False, soft_wrap=True)

    async def open_all() -> None:
        client = await _client()
        with Progress(
            TextColumn("opening trajectories"), BarColumn(), MofNCompleteColumn(),
            console=errors, transient=True,
        ) as progress:
            task = progress.add_task("cohort", total=len(checked))
            for entry in checked:
                if isinstance(entry, CohortProblem):
                    outcome.failed += 1
                    progress.console.print(f"[red]failed[/red] {escape(str(entry))}")
                else:
                    where = f"line {entry.line} ({entry.case_id})"
                    try:
                        await trajectories.open_trajectory(client, entry.request, task_queue)
                    except trajectories.AlreadyOpen:
                        outcome.skipped += 1
                        progress.console.print(
                            f"skipped {escape(where)}: already has an open trajectory")
                    except RPCError as error:
                        outcome.failed += 1
                        progress.console.print(f"[red]failed[/red] {escape(where)}: "
                                               f"{escape(_first_line(error))}")
                    else:
                        outcome.opened += 1
                progress.advance(task)

    _run(open_all)
    return outcome


def _import_and_exit(path: Path) -> None:
    outcome = import_cohort(path)
    _console().print(outcome.summary())
    raise typer.Exit(outcome.exit_code)


CohortArg = Annotated[Path, typer.Argument(
    metavar="COHORT_CSV", exists=True, dir_okay=False, readable=True,
    help="CSV of cases to open: case_id,ocmw,caseworker[,mediator,registered_jobseeker,"
         "opened_on] (see README.md).")]


@app.command("import")
def import_command(path: CohortArg) -> None:
    """Open trajectories for a cohort CSV; cases already open are skipped (exit 2 if a row failed)."""
    _guard(lambda: _import_and_exit(path))


# ------------------------------------------------------------------------ worker


@app.command("worker")
def worker_command() -> None:
    """Run the worker (same as `python worker.py`); stops on Ctrl-C / SIGTERM."""
    import worker

    asyncio.run(worker.main())


# ------------------------------------------------------------- other command groups

cli_data.register(app)
cli_vdab.register(app)
cli_outbox.register(app)
devstack.register(app)  # `okot dev`: a local Temporal dev server, worker and demo data


# ---------------------------------------------------------------------- starter.py

starter_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@starter_app.command(cls=OkotCommand)
def starter(
    cohort: Annotated[Path | None, typer.Argument(
        metavar="COHORT_CSV", exists=True, dir_okay=False, readable=True, show_default=False,
        help="CSV of cases to open: case_id,ocmw,caseworker[,mediator,registered_jobseeker,"
             "opened_on].")] = None,
    case_id: Annotated[str | None, typer.Option(
        "--case", help="Open this one case instead of a cohort.")] = None,
    ocmw: Annotated[str | None, typer.Option("--ocmw", help="OCMW code (with --case).")] = None,
    caseworker: Annotated[str | None, typer.Option(
        "--caseworker", help="Staff id of the caseworker (with --case).")] = None,
    mediator: MediatorOpt = None,
    registered_jobseeker: RegisteredOpt = True,
    opened_on: OpenedOnOpt = None,
) -> None:
    """Open OKOT trajectories: a cohort CSV, or one case with --case --ocmw --caseworker."""

    def body() -> None:
        if cohort is not None:
            if case_id is not None:
                _fail("error: give a cohort CSV or --case, not both")
            _import_and_exit(cohort)
        if case_id is None:
            _fail("error: give a cohort CSV or --case CASE --ocmw X --caseworker ID "
                  "(see 'starter.py --help')")
        if ocmw is None or caseworker is None:
            _fail("error: --case needs --ocmw and --caseworker")
        _open_one(_open_request(case_id, ocmw, caseworker, mediator, registered_jobseeker,
                                opened_on), as_json=False)

    _guard(body)

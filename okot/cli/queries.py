"""Reading trajectories: ``okot status CASE``, ``okot timeline CASE`` (queries
of one workflow) and ``okot list`` (Temporal visibility, the Okot* search
attributes); ``--json`` for scripts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from okot.cli.errors import EXIT_REFUSED, CliError, fail, first_line, guard, run
from okot.cli.options import CaseArg, JsonOpt, check_case_id
from okot.domain.values import (
    Stage,
    check_code,
    check_staff_id,
)
from okot.temporal.contract import WORKFLOW_TYPE

if TYPE_CHECKING:
    from okot.domain.status import TimelineEntry, TrajectoryStatus

# The Temporal client, rich output and search attributes are imported in the command
# bodies: `okot --help` and the other commands do not pay for them.


def status_command(case_id: CaseArg, as_json: JsonOpt = False) -> None:
    """Show the whole current picture of a trajectory."""

    def body() -> None:
        from okot.cli.client import connect, query_status
        from okot.cli.output import echo_json, print_status, status_json

        check_case_id(case_id)

        async def fetch() -> TrajectoryStatus:
            return await query_status(await connect(), case_id)

        status = run(fetch)
        if as_json:
            echo_json(status_json(status))
        else:
            print_status(status)

    guard(body)


def timeline_command(case_id: CaseArg, as_json: JsonOpt = False) -> None:
    """Show every accepted and rejected message and every system event of a trajectory."""

    def body() -> None:
        from okot.cli.client import connect, query_timeline
        from okot.cli.output import echo_json, print_timeline, timeline_entry_json

        check_case_id(case_id)

        async def fetch() -> list[TimelineEntry]:
            return await query_timeline(await connect(), case_id)

        entries = run(fetch)
        if as_json:
            echo_json([timeline_entry_json(e) for e in entries])
        else:
            print_timeline(entries)

    guard(body)


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
    from okot.temporal import search_attributes as sa

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
            fail(f"error: {option}: {error}")
    if overdue:
        parts.append(f"{sa.OVERDUE.name} = true")
    if running:
        parts.append("ExecutionStatus = 'Running'")
    if query and query.strip():
        parts.append(f"({query.strip()})")
    return " AND ".join(parts)


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
    wide: Annotated[bool, typer.Option(
        "--wide", help="Every column, however wide (else columns are dropped to fit).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List trajectories from Temporal visibility (the Okot* search attributes)."""

    def body() -> None:
        from temporalio.service import RPCError, RPCStatusCode

        from okot.cli.client import connect, rpc_trouble
        from okot.cli.output import echo_json, execution_json, print_list

        visibility_query = build_list_query(stage, ocmw, caseworker, mediator, overdue, running,
                                            query)

        async def fetch() -> list[dict[str, Any]]:
            client = await connect()
            try:
                return [execution_json(e) async for e in
                        client.list_workflows(visibility_query, limit=limit)]
            except RPCError as error:
                if error.status is RPCStatusCode.INVALID_ARGUMENT:
                    raise CliError(f"--query: Temporal refused the query: {first_line(error)}",
                                   EXIT_REFUSED) from None
                raise rpc_trouble(error) from None

        rows = add_overdue_details(run(fetch))
        if as_json:
            echo_json(rows)
        else:
            print_list(rows, wide)

    guard(body)


def add_overdue_details(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Say why the overdue rows are overdue (which deadline, since when, from whom), from
    the project's database; visibility has only the flag. Without a database that
    answers, the rows stay as they are."""
    overdue = [r["workflow_id"] for r in rows if r.get("overdue")]
    if not overdue:
        return rows
    try:
        from okot.db.caseload import overdue_details
        from okot.db.engine import get_engine, prepare_database

        engine = get_engine()
        prepare_database(engine)
        found = overdue_details(engine, overdue)
    except Exception:  # the list stands on its own without the details
        return rows
    from okot.domain.overdue import describe
    from okot.domain.shapes import _iso

    for row in rows:
        detail = found.get(row["workflow_id"])
        if detail is not None and row.get("overdue"):
            row["overdue_detail"] = {
                "kind": detail.kind.value, "since": _iso(detail.since),
                "awaited_from": [{"role": p.role.value, "id": p.id} for p in detail.awaited_from],
                "text": describe(detail),
            }
    return rows


def register(app: typer.Typer) -> None:
    """Add ``okot status``, ``okot timeline`` and ``okot list`` to ``app``."""
    app.command("status")(status_command)
    app.command("timeline")(timeline_command)
    app.command("list")(list_command)

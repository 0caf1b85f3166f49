"""``okot open CASE --ocmw X --caseworker ID``: start a client's trajectory (also
used by ``starter.py --case``)."""

from __future__ import annotations

from datetime import date

import typer
from pydantic import ValidationError
from rich.markup import escape

from okot.cli.errors import EXIT_REFUSED, CliError, fail, guard, run
from okot.cli.identity import ClientNameOpt, ClientNumberOpt, identity_of
from okot.cli.identity import save as save_identity
from okot.cli.options import (
    CaseArg,
    CaseworkerOpt,
    JsonOpt,
    MediatorOpt,
    OcmwOpt,
    OpenedOnOpt,
    RegisteredOpt,
    brussels_today,
    describe,
)
from okot.cli.output import console, echo_json
from okot.cli.staff_check import StaffCheck, staff_ids
from okot.domain.identity import ClientIdentity
from okot.domain.journey import opening_problem
from okot.domain.status import OpenTrajectory
from okot.domain.values import workflow_id_for


def open_request(
    case_id: str, ocmw: str, caseworker: str, mediator: str | None,
    registered_jobseeker: bool, opened_on: date | None,
) -> OpenTrajectory:
    names = {"case_id": "CASE", "ocmw": "--ocmw", "caseworker": "--caseworker",
             "mediator": "--mediator", "opened_on": "--opened-on"}
    try:
        request = OpenTrajectory(
            case_id=case_id, ocmw=ocmw.strip().lower(), caseworker=caseworker,
            mediator=mediator or None, registered_jobseeker=registered_jobseeker,
            opened_on=opened_on,
        )
    except ValidationError as error:
        fail(describe(error, names, "cannot open"))
    problem = opening_problem(request, brussels_today())
    if problem is not None:
        fail(f"cannot open: --opened-on: {problem}")
    return request


def open_one(request: OpenTrajectory, as_json: bool,
             identity: ClientIdentity | None = None) -> None:
    staff = StaffCheck()
    problem = staff.problem(staff_ids(request))
    if problem is not None:
        fail(f"refused: {problem}")
    request = staff.with_teamlead(request)
    from temporalio.service import RPCError  # here, not at import: see okot.cli.app

    from okot.cli.client import connect, rpc_trouble
    from okot.settings import get_settings
    from okot.temporal import trajectories

    task_queue = get_settings().task_queue

    async def start() -> str:
        client = await connect()
        try:
            handle = await trajectories.open_trajectory(client, request, task_queue)
        except trajectories.AlreadyOpen as error:
            raise CliError(f"refused: {error}", EXIT_REFUSED) from None
        except RPCError as error:
            raise rpc_trouble(error) from None
        return handle.result_run_id or handle.first_execution_run_id or ""

    run_id = run(start)
    save_identity(request.case_id, identity)
    workflow_id = workflow_id_for(request.case_id)
    if as_json:
        echo_json({"case_id": request.case_id, "workflow_id": workflow_id, "run_id": run_id,
                   "task_queue": task_queue, "opened": True})
        return
    console().print(
        f"opened {escape(workflow_id)}: OCMW {escape(request.ocmw)}, caseworker "
        f"{escape(request.caseworker)}, stage orientation (task queue {escape(task_queue)})"
    )


def open_command(
    case_id: CaseArg,
    ocmw: OcmwOpt,
    caseworker: CaseworkerOpt,
    mediator: MediatorOpt = None,
    registered_jobseeker: RegisteredOpt = True,
    opened_on: OpenedOnOpt = None,
    client_name: ClientNameOpt = None,
    vdab_client_number: ClientNumberOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a client's OKOT trajectory (stage orientation); the client's name and VDAB
    client number go to the encrypted client register, never to Temporal."""
    guard(lambda: open_one(
        open_request(case_id, ocmw, caseworker, mediator, registered_jobseeker, opened_on),
        as_json,
        identity_of(client_name, vdab_client_number),
    ))


def register(app: typer.Typer) -> None:
    """Add ``okot open`` to ``app``."""
    app.command("open")(open_command)

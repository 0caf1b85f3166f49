"""The app of ``python starter.py``: open a cohort CSV (as ``okot import``) or one
case with ``--case --ocmw --caseworker`` (as ``okot open``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from okot.cli.cohort import import_and_exit
from okot.cli.errors import OkotCommand, fail, guard
from okot.cli.opening import open_one, open_request
from okot.cli.options import MediatorOpt, OpenedOnOpt, RegisteredOpt

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
                fail("error: give a cohort CSV or --case, not both")
            import_and_exit(cohort)
        if case_id is None:
            fail("error: give a cohort CSV or --case CASE --ocmw X --caseworker ID "
                 "(see 'starter.py --help')")
        if ocmw is None or caseworker is None:
            fail("error: --case needs --ocmw and --caseworker")
        open_one(open_request(case_id, ocmw, caseworker, mediator, registered_jobseeker,
                              opened_on), as_json=False)

    guard(body)

"""``okot import cohort.csv``: open a trajectory for every valid row of a cohort
CSV (parsed by :mod:`okot.cli.cohort_csv`), idempotently: a case with an open
trajectory is skipped, a bad row is reported with its line number and the rest
goes on (exit 2 if a row failed)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from okot.cli.cohort_csv import (
    CohortEntry,
    CohortFileError,
    CohortProblem,
    CohortRow,
    parse_cohort,
)
from okot.cli.errors import EXIT_OK, EXIT_REFUSED, fail, first_line, guard, run
from okot.cli.identity import require_register
from okot.cli.identity import save as save_identity
from okot.cli.options import brussels_today
from okot.cli.output import console
from okot.cli.staff_check import StaffCheck, staff_ids


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
        fail(f"cannot read {path}: {getattr(error, 'strerror', None) or error}")
    try:
        entries = parse_cohort(text, today=brussels_today())
    except CohortFileError as error:
        fail(f"{path}: {error}")
    staff = StaffCheck()
    checked: list[CohortEntry] = []
    for entry in entries:
        if isinstance(entry, CohortRow):
            problem = staff.problem(staff_ids(entry.request))
            if problem is not None:
                entry = CohortProblem(entry.line, entry.case_id, problem)
            else:
                entry = replace(entry, request=staff.with_teamlead(entry.request))
        checked.append(entry)
    if any(isinstance(e, CohortRow) and e.identity is not None for e in checked):
        require_register("the column client_name")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from temporalio.service import RPCError  # here, not at import: see okot.cli.app

    from okot.cli.client import connect
    from okot.settings import get_settings
    from okot.temporal import trajectories

    task_queue = get_settings().task_queue
    outcome = CohortOutcome()
    errors = Console(stderr=True, highlight=False, soft_wrap=True)

    async def open_all() -> None:
        client = await connect()
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
                                               f"{escape(first_line(error))}")
                    else:
                        save_identity(entry.case_id, entry.identity)
                        outcome.opened += 1
                progress.advance(task)

    run(open_all)
    return outcome


def import_and_exit(path: Path) -> None:
    outcome = import_cohort(path)
    console().print(outcome.summary())
    raise typer.Exit(outcome.exit_code)


CohortArg = Annotated[Path, typer.Argument(
    metavar="COHORT_CSV", exists=True, dir_okay=False, readable=True,
    help="CSV of cases to open: case_id,ocmw,caseworker[,mediator,registered_jobseeker,"
         "opened_on,client_name,vdab_client_number] (see README.md).")]


def import_command(path: CohortArg) -> None:
    """Open trajectories for a cohort CSV; cases already open are skipped (exit 2 if a row failed)."""
    guard(lambda: import_and_exit(path))


def register(app: typer.Typer) -> None:
    """Add ``okot import`` to ``app``."""
    app.command("import")(import_command)

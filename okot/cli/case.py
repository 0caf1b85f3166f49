"""``okot case erase CASE``: erase a closed trajectory's personal data now
(crypto-shredding; README, "Privacy").

Refused while the trajectory runs. Destroys the trajectory's data keys (its
Temporal history stays until Temporal's retention removes it, but can never be
decrypted again: reading it fails with an "erased" error), deletes its client
register entry and scrubs the audit log, snapshot, outbox and jobseeker
registration, as ``okot db purge`` does for old trajectories. Report counts stay.
"""

from __future__ import annotations

from typing import Annotated

import typer

from okot.cli.data import _engine
from okot.cli.errors import EXIT_REFUSED, fail, guard, run
from okot.cli.options import CaseArg
from okot.domain.values import workflow_id_for

# Temporal and the database modules are imported in the bodies: see okot.cli.app.

case_app = typer.Typer(help="Whole-case operations (erasure).", no_args_is_help=True)


async def _temporal_state(case_id: str) -> str | None:
    """``running`` or ``closed`` in Temporal, or ``None`` when Temporal has no such workflow."""
    from temporalio.client import WorkflowExecutionStatus
    from temporalio.service import RPCError, RPCStatusCode

    from okot.cli.client import connect, rpc_trouble

    client = await connect()
    try:
        described = await client.get_workflow_handle(workflow_id_for(case_id)).describe()
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return None  # never started here, or gone after Temporal's retention
        raise rpc_trouble(error) from None
    running = described.status is WorkflowExecutionStatus.RUNNING
    return "running" if running else "closed"


@case_app.command("erase")
def erase(
    case_id: CaseArg,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would go.")] = False,
) -> None:
    """Erase the personal data of CASE's closed trajectory, for good."""

    def body() -> None:
        from okot.db.data_keys import separate_key_engine
        from okot.db.retention import NotClosed, erase_case

        refusal = (f"refused: the trajectory of case {case_id} is still open; erase it once it "
                   "is closed (withdraw it, or let it end)")
        state = run(lambda: _temporal_state(case_id))
        if state == "running":
            fail(refusal, EXIT_REFUSED)
        try:
            result = erase_case(_engine(), case_id, dry_run=dry_run,
                                key_engine=separate_key_engine())
        except NotClosed:
            fail(refusal, EXIT_REFUSED)
        if state is None and result.trajectories == 0 and not any(
                (result.audit_rows, result.client_records, result.data_keys)):
            fail(f"nothing to erase: no trajectory for case {case_id} in Temporal or the database")
        for line in result.lines()[1:]:
            typer.echo(line)
        if not dry_run:
            typer.echo(f"case {case_id} erased")

    guard(body)


def register(app: typer.Typer) -> None:
    app.add_typer(case_app, name="case")

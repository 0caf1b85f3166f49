"""What to answer when a case has no trajectory: the case it probably meant.

Case ids are matched exactly by Temporal (``okot-DEMO-0001`` is not
``okot-demo-0001``). When a command names a case that does not exist, we look
for one that differs only in letter case and answer "did you mean DEMO-0001?",
never an invitation to open a second file for the same client. Only otherwise
does the answer show how to open one.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import RPCError

from okot.cli.errors import EXIT_REFUSED, CliError
from okot.domain.values import workflow_id_for
from okot.temporal import trajectories
from okot.temporal.contract import WORKFLOW_TYPE

SCAN_LIMIT = 10_000
"""At most this many trajectories are compared when the quick guesses miss (error path only)."""


async def _exists(client: Client, case_id: str) -> bool:
    try:
        await trajectories.handle_for(client, case_id).describe()
    except (RPCError, ValueError):
        return False
    return True


async def same_case_otherwise_written(client: Client, case_id: str) -> str | None:
    """An existing case id equal to ``case_id`` but for letter case, or ``None``."""
    for variant in dict.fromkeys((case_id.upper(), case_id.lower())):
        if variant != case_id and await _exists(client, variant):
            return variant
    wanted = workflow_id_for(case_id).lower()
    try:
        async for execution in client.list_workflows(
            f"WorkflowType = '{WORKFLOW_TYPE}'", limit=SCAN_LIMIT
        ):
            if execution.id.lower() == wanted and execution.id != workflow_id_for(case_id):
                return execution.id.removeprefix("okot-")
    except RPCError:
        return None
    return None


async def not_found(client: Client, case_id: str) -> CliError:
    """The one-line answer for a case without a trajectory."""
    meant = await same_case_otherwise_written(client, case_id)
    if meant is not None:
        return CliError(f"no trajectory for case {case_id}; did you mean {meant}? "
                        f"(`okot status {meant}`)", EXIT_REFUSED)
    return CliError(
        f"no trajectory for case {case_id} (workflow {workflow_id_for(case_id)}); to open one: "
        f"`okot open {case_id} --ocmw X --caseworker ID`",
        EXIT_REFUSED,
    )

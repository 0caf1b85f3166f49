"""``okot replay-check``: before a deploy, replay what is running against this build.

Fetches the histories of running ``OkotTrajectory`` workflows from the live
server (optionally narrowed by a visibility query, at most ``--limit`` of them)
and replays each against the workflow code on disk with
``temporalio.worker.Replayer``, using the worker's own workflow classes and
sandbox (:func:`worker.workflow_classes`, :func:`worker.sandbox_runner`) and the
client's data converter (so payloads go through the codec when one is
configured). Prints how many replayed and the first non-determinism with its
workflow id; exit 0 when all replay, 2 when one does not (or the options are
wrong), 1 when Temporal cannot be reached. It lives outside ``okot/`` because it
needs the workflow (the ``replay-check`` plugin of ``okot.commands``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import typer

from okot.cli.errors import EXIT_OK, EXIT_REFUSED, CliError, error_line, first_line, guard, run
from okot.cli.output import console
from okot.cli.queries import build_list_query
from worker import sandbox_runner, workflow_classes

if TYPE_CHECKING:
    from temporalio.client import Client

# Temporal is imported where it is used: `okot` loads this plugin to register the command.

DEFAULT_LIMIT = 1000


@dataclass
class ReplayReport:
    replayed: int = 0
    failed: int = 0
    first_failure: tuple[str, str, str] | None = None
    """(workflow id, run id, first line of the error) of the first history that did not replay."""
    failed_ids: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        if self.first_failure is not None:
            workflow_id, run_id, error = self.first_failure
            out.append(f"first failure: {workflow_id} (run {run_id}): {error}")
        ok = self.replayed - self.failed
        out.append(f"replayed {self.replayed} running trajectories: {ok} ok, {self.failed} failed")
        return out

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.failed == 0 else EXIT_REFUSED


_CORE_MESSAGE = re.compile(r'message: "((?:[^"\\]|\\.)*)"')


def failure_reason(error: BaseException) -> str:
    """The core's own message (``[TMPRL1100] Nondeterminism error: ...``) when there is one."""
    found = _CORE_MESSAGE.search(str(error))
    return found.group(1)[:300] if found else first_line(error)


def visibility_query(query: str | None) -> str:
    """The running trajectories, narrowed by ``query`` (the query of ``okot list --open``)."""
    return build_list_query(running=True, query=query)


async def replay_running(
    client: Client, query: str | None = None, limit: int = DEFAULT_LIMIT,
    workflows: Sequence[type[Any]] | None = None,
) -> ReplayReport:
    """Replay the histories of (at most ``limit``) running trajectories matching ``query``
    against ``workflows`` (default: the worker's)."""
    from temporalio.worker import Replayer

    replayer = Replayer(workflows=list(workflows or workflow_classes()),
                        data_converter=client.data_converter,
                        workflow_runner=sandbox_runner(share_workflow=False))
    histories = client.list_workflows(visibility_query(query), limit=limit).map_histories()
    report = ReplayReport()
    async with replayer.workflow_replay_iterator(histories) as results:
        async for result in results:
            report.replayed += 1
            if result.replay_failure is None:
                continue
            report.failed += 1
            report.failed_ids.append(result.history.workflow_id)
            if report.first_failure is None:
                report.first_failure = (result.history.workflow_id, result.history.run_id,
                                        failure_reason(result.replay_failure))
    return report


def check(query: str | None, limit: int) -> ReplayReport:
    if limit < 1:
        raise CliError(f"--limit must be at least 1, got {limit}", EXIT_REFUSED)

    from temporalio.service import RPCError, RPCStatusCode

    from okot.cli.client import connect, rpc_trouble

    async def body() -> ReplayReport:
        client = await connect()
        try:
            return await replay_running(client, query, limit)
        except RPCError as error:
            if error.status is RPCStatusCode.INVALID_ARGUMENT:
                raise CliError(f"--query {query!r} is not a valid visibility query: "
                               f"{first_line(error)}", EXIT_REFUSED) from None
            raise rpc_trouble(error) from None

    return run(body)


QueryOpt = Annotated[str | None, typer.Option(
    "--query", "-q", help='Visibility query narrowing the running trajectories, e.g. '
                          'OkotOcmw = "gent".')]
LimitOpt = Annotated[int, typer.Option(
    "--limit", "-n", help="Replay at most this many trajectories.")]


def replay_check_command(query: QueryOpt = None, limit: LimitOpt = DEFAULT_LIMIT) -> None:
    """Replay running trajectories against this build before deploying it (exit 2 if one fails)."""

    def body() -> None:
        report = check(query, limit)
        out = console()
        for line in report.lines():
            out.print(line, highlight=False, markup=False)
        if report.replayed == 0:
            error_line("warning: no running trajectory matched; nothing was checked")
        raise typer.Exit(report.exit_code)

    guard(body)


def register_command(app: typer.Typer) -> None:
    """Add ``okot replay-check`` (the ``replay-check`` plugin of ``okot.commands``)."""
    app.command("replay-check")(replay_check_command)

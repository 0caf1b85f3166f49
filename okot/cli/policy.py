"""``okot policy update --query Q FILE``: replace the reminder policy of every running
trajectory that matches a visibility query, with the ``update_policy`` message.

The policy file is JSON or TOML, validated by :class:`~okot.domain.policy.ReminderPolicy`
(fields left out take the default policy's values). The trajectories are handled by a
bounded number of concurrent workers, with a progress bar on stderr; each one is
updated, refused by the workflow (with its reason), left unchanged (it has that policy
already) or failed (no answer). ``--dry-run`` sends nothing. Exit 0 when nothing was
refused or failed, 2 when something was refused (or the options are wrong), 1 when
Temporal could not be reached or did not answer.
"""

from __future__ import annotations

import asyncio
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from okot.cli.errors import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_TROUBLE,
    CliError,
    fail,
    first_line,
    guard,
    run,
)
from okot.cli.options import parse_actor
from okot.cli.output import console
from okot.cli.queries import build_list_query
from okot.domain.messages import UpdatePolicy
from okot.domain.policy import ReminderPolicy
from okot.domain.reasons import validation_reason
from okot.domain.status import TrajectoryStatus
from okot.domain.values import Actor, Role
from okot.temporal.contract import STATUS_QUERY

if TYPE_CHECKING:
    from temporalio.client import Client

# Temporal (and the CLI's client side) is imported in the functions that use it:
# registering `okot policy` must not load it (see okot.cli.app).

POLICY_SENDERS = (Role.TEAMLEAD, Role.OPERATIONS)


@dataclass
class PolicyOutcome:
    updated: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would update" if self.dry_run else "updated"
        text = (f"{verb} {len(self.updated)}, refused {len(self.refused)}, "
                f"unchanged {len(self.unchanged)}")
        return text + (f", failed {len(self.failed)}" if self.failed else "")

    @property
    def exit_code(self) -> int:
        if self.failed:
            return EXIT_TROUBLE
        return EXIT_REFUSED if self.refused else EXIT_OK


def load_policy(path: Path) -> ReminderPolicy:
    """The :class:`ReminderPolicy` in a ``.json`` or ``.toml`` file; one-line errors."""
    suffix = path.suffix.lower()
    if suffix not in (".json", ".toml"):
        fail(f"{path}: a policy file is .json or .toml, not {suffix or 'without a suffix'!r}")
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {path}: {getattr(error, 'strerror', None) or error}")
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        fail(f"{path}: not valid {suffix[1:].upper()}: {first_line(error)}")
    if not isinstance(data, dict):
        fail(f"{path}: a policy is an object of ReminderPolicy fields")
    try:
        return ReminderPolicy.model_validate(data)
    except ValidationError as error:
        fail(validation_reason(error, str(path)))


async def _update_one(client: Client, workflow_id: str, message: UpdatePolicy,
                      dry_run: bool, outcome: PolicyOutcome) -> str:
    from temporalio.service import RPCError

    from okot.cli.client import WAIT_SECONDS
    from okot.temporal import trajectories

    handle = client.get_workflow_handle(workflow_id)
    try:
        status = await asyncio.wait_for(
            handle.query(STATUS_QUERY, result_type=TrajectoryStatus), WAIT_SECONDS)
        if status.policy == message.policy:
            outcome.unchanged.append(workflow_id)
            return "unchanged"
        if not dry_run:
            await asyncio.wait_for(trajectories.send(client, status.case_id, message), WAIT_SECONDS)
    except trajectories.MessageRejected as rejected:
        outcome.refused.append((workflow_id, str(rejected)))
        return "refused"
    except (TimeoutError, RPCError) as error:
        outcome.failed.append((workflow_id, first_line(error) if str(error) else "no answer"))
        return "failed"
    outcome.updated.append(workflow_id)
    return "updated"


async def update_matching(
    client: Client, query: str, message: UpdatePolicy, *, dry_run: bool = False,
    concurrency: int = 8, errors: Console | None = None,
) -> PolicyOutcome:
    """Send ``message`` to every running trajectory matching ``query``, ``concurrency`` at a time."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from temporalio.service import RPCError, RPCStatusCode

    from okot.cli.client import rpc_trouble

    outcome = PolicyOutcome(dry_run=dry_run)
    visibility_query = build_list_query(running=True, query=query)
    try:
        ids = [e.id async for e in client.list_workflows(visibility_query)]
    except RPCError as error:
        if error.status is RPCStatusCode.INVALID_ARGUMENT:
            raise CliError(f"--query: Temporal refused the query: {first_line(error)}",
                           EXIT_REFUSED) from None
        raise rpc_trouble(error) from None
    pending = iter(ids)
    with Progress(TextColumn("updating policies"), BarColumn(), MofNCompleteColumn(),
                  console=errors or Console(stderr=True), transient=True) as progress:
        task = progress.add_task("policy", total=len(ids))

        async def worker() -> None:
            for workflow_id in pending:  # shared iterator: each id is taken once
                await _update_one(client, workflow_id, message, dry_run, outcome)
                progress.advance(task)

        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(ids))))))
    return outcome


def _sender(spec: str | None) -> Actor:
    actor = parse_actor(spec)
    if actor.role not in POLICY_SENDERS:
        fail(f"--as / OKOT_ACTOR: a reminder policy is updated by "
             f"{' or '.join(r.value for r in POLICY_SENDERS)}, not by {actor.role.value}")
    return actor


def update_command(
    policy_file: Annotated[Path, typer.Argument(
        metavar="FILE", exists=True, dir_okay=False, readable=True,
        help="The new ReminderPolicy as JSON or TOML (fields left out take the defaults).")],
    query: Annotated[str, typer.Option(
        "--query", "-q", metavar="QUERY",
        help='Visibility query of the running trajectories to update, e.g. OkotOcmw = "gent".')],
    reason: Annotated[str, typer.Option("--reason", help="Why the policy changes "
                                        "(kept in each trajectory, never logged).")],
    actor_spec: Annotated[str | None, typer.Option(
        "--as", envvar="OKOT_ACTOR", metavar="ROLE:ID",
        help="Who sends it: teamlead:ID or operations:ID (default: $OKOT_ACTOR).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would change; send nothing.")] = False,
    concurrency: Annotated[int, typer.Option(
        "--concurrency", min=1, max=64, help="Trajectories handled at the same time.")] = 8,
) -> None:
    """Replace the reminder policy of every running trajectory matching --query, from now on."""

    def body() -> None:
        from okot.cli.client import connect

        actor = _sender(actor_spec)
        policy = load_policy(policy_file)
        try:
            message = UpdatePolicy(actor=actor, reason=reason, policy=policy)
        except ValidationError as error:
            fail(validation_reason(error, "--reason"))
        errors = Console(stderr=True, highlight=False, soft_wrap=True)

        async def apply() -> PolicyOutcome:
            return await update_matching(await connect(), query, message, dry_run=dry_run,
                                         concurrency=concurrency, errors=errors)

        outcome = run(apply)
        for workflow_id, why in outcome.refused:
            errors.print(f"refused {escape(workflow_id)}: {escape(why)}")
        for workflow_id, why in outcome.failed:
            errors.print(f"failed {escape(workflow_id)}: {escape(why)}")
        console().print(outcome.summary())
        raise typer.Exit(outcome.exit_code)

    guard(body)


def register(app: typer.Typer) -> None:
    """Add ``okot policy update`` to ``app``."""
    policy_app = typer.Typer(help="Reminder policies of running trajectories.",
                             no_args_is_help=True)
    app.add_typer(policy_app, name="policy")
    policy_app.command("update")(update_command)

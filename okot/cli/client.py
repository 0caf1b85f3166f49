"""The CLI's side of Temporal: connect, query a trajectory and send it a message,
with every failure (unreachable, no worker answering, not found, refused) as a
:class:`~okot.cli.errors.CliError` with its exit code."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from okot.cli.case_lookup import not_found
from okot.cli.errors import EXIT_REFUSED, EXIT_TROUBLE, CliError, fail, first_line
from okot.crypto.keyring import KeyringError
from okot.domain.messages import Message
from okot.domain.status import (
    TimelineEntry,
    TrajectoryStatus,
)
from okot.temporal import connection as okot_temporal
from okot.temporal import trajectories

T = TypeVar("T")

WAIT_SECONDS = 60.0
"""How long a command waits for a worker to answer an Update or a query."""


def _target() -> str:
    try:
        config = okot_temporal.operations_config()
    except Exception:
        return "the configured address"
    return f"{config.get('target_host')} (namespace {config.get('namespace', 'default')})"


def unreachable(address: str | None = None) -> CliError:
    """One clear line instead of the transport's error chain."""
    if address is None:
        try:
            address = str(okot_temporal.operations_config().get("target_host"))
        except Exception:
            address = "the configured address"
    return CliError(f"Temporal is not reachable at {address}: is `make demo` running?",
                    EXIT_TROUBLE)


async def connect(payloads: bool = True) -> Client:
    """A client, or a one-line error (exit code 1). ``payloads=False``: for namespace
    operations only, without the data converter (so without a keyring)."""
    if payloads:
        try:
            okot_temporal.data_converter()
        except (okot_temporal.EncryptionNotConfigured, KeyringError) as error:
            fail(str(error), EXIT_TROUBLE)
    try:
        config = (okot_temporal.connect_config() if payloads
                  else okot_temporal.operations_config())
    except Exception as error:
        fail(f"cannot read the Temporal connection settings: {first_line(error)}; "
             "check TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_PROFILE", EXIT_TROUBLE)
    try:
        return await Client.connect(**config)
    except Exception:
        raise unreachable(str(config.get("target_host"))) from None


def rpc_trouble(error: RPCError) -> CliError:
    if error.status is RPCStatusCode.UNAVAILABLE:
        return unreachable()
    return CliError(f"Temporal at {_target()} answered {error.status.name}: {first_line(error)}",
                    EXIT_TROUBLE)


def _no_answer(what: str, case_id: str) -> CliError:
    return CliError(
        f"no answer to {what} for case {case_id} within {WAIT_SECONDS:.0f} s: is a worker "
        f"running (`okot worker`)? Check later with `okot status {case_id}`",
        EXIT_TROUBLE,
    )


async def _query(client: Client, what: str, case_id: str, query: Awaitable[T]) -> T:
    try:
        return await asyncio.wait_for(query, WAIT_SECONDS)
    except TimeoutError:
        raise _no_answer(what, case_id) from None
    except WorkflowQueryFailedError as failed:
        error = await trajectories.query_failure(client, case_id, failed)
        if "erased: data key" in error:
            raise CliError(f"case {case_id} was erased (`okot case erase`): its history can no "
                           "longer be decrypted", EXIT_REFUSED) from None
        raise CliError(f"{what} for case {case_id} failed: {error.splitlines()[0][:300]}",
                       EXIT_TROUBLE) from None
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            raise await not_found(client, case_id) from None
        raise rpc_trouble(error) from None


async def query_status(client: Client, case_id: str) -> TrajectoryStatus:
    return await _query(client, "the status query", case_id,
                        trajectories.status(client, case_id))


async def query_timeline(client: Client, case_id: str) -> list[TimelineEntry]:
    return await _query(client, "the timeline query", case_id,
                        trajectories.timeline(client, case_id))


async def send(case_id: str, message: Message, as_signal: bool) -> TrajectoryStatus | None:
    client = await connect()
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
            raise rpc_trouble(error) from None
    # Not found: no trajectory at all, or one that is closed (its workflow has completed).
    current = await query_status(client, case_id)
    closure = current.closure.value if current.closure else "closed"
    raise CliError(
        f"refused: {name} refused: the trajectory of case {case_id} is closed ({closure}); "
        "nothing more can be recorded on it",
        EXIT_REFUSED,
    )

"""The namespace okot-flow runs in: it must exist and hold every ``Okot*``
search attribute with its type (a workflow task that upserts a missing one
fails, silently, on every attempt).

* :func:`setup_namespace` makes it so, idempotently: creates the namespace
  when missing, waits until the server serves it, registers the missing
  attributes and sets the retention (how long Temporal keeps a closed
  trajectory's history: the other half of erasure) to the one asked.
  It is ``okot temporal setup``, and what ``okot dev`` and docker-compose's
  ``temporal-setup`` one-shot run.
* :func:`readiness_problem` is the worker's check at start: one line naming
  what is missing and the command that fixes it, or ``None``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    RegisterNamespaceRequest,
    UpdateNamespaceRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from okot.temporal import search_attributes as sa
from okot.temporal.connection import register_search_attributes

SETUP_COMMAND = "okot temporal setup"
DEFAULT_RETENTION = timedelta(days=30)
"""How long Temporal keeps a closed trajectory's history (the namespace's retention)."""

_KINDS = {
    IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD: "Keyword",
    IndexedValueType.INDEXED_VALUE_TYPE_DATETIME: "Datetime",
    IndexedValueType.INDEXED_VALUE_TYPE_BOOL: "Bool",
    IndexedValueType.INDEXED_VALUE_TYPE_TEXT: "Text",
    IndexedValueType.INDEXED_VALUE_TYPE_INT: "Int",
    IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE: "Double",
    IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST: "KeywordList",
}


class NamespaceNotReady(RuntimeError):
    """The namespace cannot be made ready; the message says why and what to do."""


@dataclass(frozen=True)
class SetupReport:
    """What :func:`setup_namespace` found and did."""

    namespace: str
    created: bool
    retention: timedelta
    previous_retention: timedelta | None
    """The retention before, when it had to change."""
    added: tuple[str, ...]


def _kind(value: int) -> str:
    return _KINDS.get(IndexedValueType.ValueType(value), str(value))


def wanted() -> dict[str, str]:
    """Every Okot search attribute and its type, as the Temporal CLI names types."""
    return {key.name: _kind(key.indexed_value_type) for key in sa.ALL}


async def search_attribute_problems(client: Client) -> list[str]:
    """What the client's namespace lacks: ``OkotStage (Keyword) is missing``,
    ``OkotOverdue is Keyword, must be Bool``. Empty when all is there."""
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    present = {name: _kind(kind) for name, kind in listed.custom_attributes.items()}
    problems = []
    for name, kind in wanted().items():
        if name not in present:
            problems.append(f"{name} ({kind}) is missing")
        elif present[name] != kind:
            problems.append(f"{name} is {present[name]}, must be {kind}")
    return problems


async def readiness_problem(client: Client) -> str | None:
    """Why a worker must not start on the client's namespace (one line), or ``None``."""
    namespace = client.namespace
    try:
        problems = await search_attribute_problems(client)
    except RPCError as error:
        if error.status is RPCStatusCode.UNIMPLEMENTED:
            return None  # the time-skipping test server cannot list them
        if error.status is RPCStatusCode.NOT_FOUND:
            return f"namespace {namespace} does not exist: create it with `{SETUP_COMMAND}`"
        raise
    if not problems:
        return None
    return (f"namespace {namespace} is not ready for okot-flow: {'; '.join(problems)}; "
            f"register them with `{SETUP_COMMAND}` (same TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE)")


async def _create_if_missing(client: Client, retention: timedelta) -> bool:
    service = client.workflow_service
    try:
        await service.describe_namespace(DescribeNamespaceRequest(namespace=client.namespace))
        return False
    except RPCError as error:
        if error.status is not RPCStatusCode.NOT_FOUND:
            raise
    request = RegisterNamespaceRequest(namespace=client.namespace)
    request.workflow_execution_retention_period.FromTimedelta(retention)
    try:
        await service.register_namespace(request)
    except RPCError as exists:
        if exists.status is not RPCStatusCode.ALREADY_EXISTS:  # created meanwhile
            raise
        return False
    return True


async def _wait_until_served(client: Client, timeout: float) -> None:
    """A new namespace is usable once every frontend has refreshed its cache."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            await search_attribute_problems(client)
            return
        except RPCError as error:
            if error.status is not RPCStatusCode.NOT_FOUND or loop.time() > deadline:
                raise
        await asyncio.sleep(0.5)


async def _set_retention(client: Client, retention: timedelta) -> timedelta | None:
    """Set the namespace's retention; the one before if it changed."""
    service = client.workflow_service
    described = await service.describe_namespace(
        DescribeNamespaceRequest(namespace=client.namespace)
    )
    current = described.config.workflow_execution_retention_ttl.ToTimedelta()
    if current == retention:
        return None
    config = NamespaceConfig()
    config.workflow_execution_retention_ttl.FromTimedelta(retention)
    await service.update_namespace(
        UpdateNamespaceRequest(namespace=client.namespace, config=config)
    )
    return current


async def setup_namespace(
    client: Client, retention: timedelta = DEFAULT_RETENTION, timeout: float = 60.0
) -> SetupReport:
    """Make the client's namespace ready for okot-flow (idempotent); see the module."""
    created = await _create_if_missing(client, retention)
    await _wait_until_served(client, timeout)
    added = await register_search_attributes(client)
    problems = await search_attribute_problems(client)
    if problems:  # a wrong type: Temporal cannot change it in place
        raise NamespaceNotReady(
            f"namespace {client.namespace}: {'; '.join(problems)}; a search attribute's type "
            "cannot change: remove it (`temporal operator search-attribute remove --name "
            f"NAME`) and run `{SETUP_COMMAND}` again"
        )
    previous = await _set_retention(client, retention)
    return SetupReport(client.namespace, created, retention, previous, tuple(added))

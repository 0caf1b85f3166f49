"""Connecting to Temporal: ``temporalio.envconfig`` for the connection, the
pydantic data converter for payloads, and search attribute registration."""

from __future__ import annotations

from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig
from temporalio.service import RPCError, RPCStatusCode

from okot.temporal import search_attributes as sa

DEFAULT_ADDRESS = "localhost:7233"


def connect_config(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``Client.connect`` from TEMPORAL_* variables and profiles."""
    config: dict[str, Any] = dict(ClientConfig.load_client_connect_config())
    config.setdefault("target_host", DEFAULT_ADDRESS)
    config.update(overrides)
    config["data_converter"] = pydantic_data_converter
    return config


async def connect(**overrides: Any) -> Client:
    """A client for the configured Temporal server, with the pydantic data converter."""
    return await Client.connect(**connect_config(**overrides))


async def register_search_attributes(client: Client) -> list[str]:
    """Register every Okot search attribute missing on the client's namespace.

    Returns the names that were added. Safe to call again.
    """
    wanted = {key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in sa.ALL}
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
    except RPCError as err:
        if err.status is not RPCStatusCode.UNIMPLEMENTED:
            raise
        # The time-skipping test server cannot list; add all, one by one.
        added = []
        for name, kind in wanted.items():
            try:
                await client.operator_service.add_search_attributes(
                    AddSearchAttributesRequest(
                        namespace=client.namespace, search_attributes={name: kind}
                    )
                )
                added.append(name)
            except RPCError as exists:
                if "already exists" not in exists.message:
                    raise
        return sorted(added)
    missing = {k: v for k, v in wanted.items() if k not in existing.custom_attributes}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    return sorted(missing)

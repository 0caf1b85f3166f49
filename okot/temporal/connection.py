"""Connecting to Temporal: ``temporalio.envconfig`` for the connection, the
project's data converter (pydantic payloads, encrypted by
:class:`~okot.crypto.codec.EncryptionCodec`, failures' messages and stack
traces encoded too), and search attribute registration.

:func:`data_converter` is the one place that builds the data converter: the
worker, the CLI, the starter, ``okot dev``, the tests and the benchmarks all
use it (through :func:`connect` or directly). Without a keyring
(``OKOT_KEYRING``) it refuses with :class:`EncryptionNotConfigured`, unless
``OKOT_ENCRYPTION=off`` (development only: plain payloads).
"""

from __future__ import annotations

from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.pydantic import PydanticPayloadConverter, pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.envconfig import ClientConfig
from temporalio.service import RPCError, RPCStatusCode

from okot.crypto.codec import EncryptionCodec
from okot.crypto.data_keys import DataKeyStore
from okot.crypto.keyring import load_keyring
from okot.db.engine import get_engine, prepare_database
from okot.settings import Settings, get_settings
from okot.temporal import search_attributes as sa
from okot.temporal.process_exit import note_connected

DEFAULT_ADDRESS = "localhost:7233"


class EncryptionNotConfigured(RuntimeError):
    """Encryption is on (the default) but no keyring is configured."""


NO_KEYRING = (
    "no keyring: set OKOT_KEYRING to a keyring file (create one with `okot keyring init FILE`) "
    "or to the keyring's JSON; OKOT_ENCRYPTION=off runs without encryption (development only)"
)


def encrypted_converter(store: DataKeyStore) -> DataConverter:
    """Pydantic payloads sealed with the data keys of ``store``; failures encoded too."""
    return DataConverter(
        payload_converter_class=PydanticPayloadConverter,
        payload_codec=EncryptionCodec(store),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def key_store(settings: Settings | None = None) -> DataKeyStore:
    """The data key store of the settings (keyring, OKOT_KEYSTORE_URL or the database)."""
    settings = settings or get_settings()
    if not settings.keyring:
        raise EncryptionNotConfigured(NO_KEYRING)
    engine = get_engine(settings.keystore_url or settings.database_url)
    prepare_database(engine)
    return DataKeyStore(engine, load_keyring(settings.keyring),
                        cache_seconds=settings.key_cache_seconds)


_converters: dict[tuple[str | None, str, float], DataConverter] = {}


def data_converter(settings: Settings | None = None) -> DataConverter:
    """The project's data converter (one per keyring and key database in a process)."""
    settings = settings or get_settings()
    if settings.encryption == "off":
        return pydantic_data_converter
    cache_key = (settings.keyring, settings.keystore_url or settings.database_url,
                 settings.key_cache_seconds)
    if cache_key not in _converters:
        _converters[cache_key] = encrypted_converter(key_store(settings))
    return _converters[cache_key]


def key_store_in_use(settings: Settings | None = None) -> DataKeyStore | None:
    """The data key store of :func:`data_converter` (``None`` with encryption off)."""
    codec = data_converter(settings).payload_codec
    return codec.store if isinstance(codec, EncryptionCodec) else None


def operations_config(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``Client.connect`` from TEMPORAL_* variables and profiles,
    without the data converter: for namespace operations, where no workflow payload
    passes (``okot temporal setup`` needs no keyring)."""
    note_connected()  # a client will exist: the process ends with process_exit.exit_process
    config: dict[str, Any] = dict(ClientConfig.load_client_connect_config())
    config.setdefault("target_host", DEFAULT_ADDRESS)
    config.update(overrides)
    return config


def connect_config(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``Client.connect``: :func:`operations_config` and the
    project's data converter."""
    config = operations_config(**overrides)
    config["data_converter"] = data_converter()
    return config


async def connect(**overrides: Any) -> Client:
    """A client for the configured Temporal server, with the project's data converter."""
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

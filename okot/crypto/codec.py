"""The payload codec: every Temporal payload sealed with AES-256-GCM under the
data key of its trajectory.

An encrypted payload has the metadata ``encoding: binary/encrypted``,
``okot-key-id`` (the data key) and ``okot-master-key-id`` (the master key that
wraps it), and as data the sealed serialized original payload (its workflow-
independent key id is the associated data). The codec is context-aware
(``WithSerializationContext``): payloads of a workflow, of its activities, queries,
updates and signals use the data key of that workflow id; payloads without a
workflow (a standalone activity, Nexus, a namespace-level call) use the data key
of :data:`FALLBACK_SCOPE`. Decoding reads the key id from the payload, whatever
the context, and passes payloads that were never encrypted through unchanged
(histories written before encryption was switched on).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Self

from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)

from okot.crypto import aead
from okot.crypto.data_keys import DataKey, DataKeyStore

ENCODING = b"binary/encrypted"
KEY_ID = "okot-key-id"
MASTER_KEY_ID = "okot-master-key-id"
FALLBACK_SCOPE = "okot-namespace"
"""The scope of payloads without a workflow context (never erased)."""


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    def __init__(self, store: DataKeyStore, scope: str = FALLBACK_SCOPE) -> None:
        self.store = store
        self.scope = scope

    def with_context(self, context: SerializationContext) -> Self:
        workflow_id = getattr(context, "workflow_id", None)
        scope = workflow_id if isinstance(workflow_id, str) and workflow_id else FALLBACK_SCOPE
        if scope == self.scope:
            return self
        return type(self)(self.store, scope)

    async def _current(self) -> DataKey:
        key = self.store.cached_current(self.scope)
        return key if key is not None else await asyncio.to_thread(self.store.current, self.scope)

    async def _key(self, key_id: str) -> DataKey:
        key = self.store.cached(key_id)
        return key if key is not None else await asyncio.to_thread(self.store.get, key_id)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if not payloads:
            return []
        key = await self._current()
        aad = key.id.encode()
        return [
            Payload(
                metadata={"encoding": ENCODING, KEY_ID: key.id.encode(),
                          MASTER_KEY_ID: key.master_key_id.encode()},
                data=aead.seal(key.secret, payload.SerializeToString(), aad),
            )
            for payload in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                decoded.append(payload)
                continue
            key_id = payload.metadata[KEY_ID].decode()
            key = await self._key(key_id)
            decoded.append(
                Payload.FromString(aead.open_sealed(key.secret, payload.data, key_id.encode()))
            )
        return decoded

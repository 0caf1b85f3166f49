"""The keyring, the data keys and the payload codec, without Temporal servers."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ActivitySerializationContext,
    WorkflowSerializationContext,
)

from okot.crypto.codec import ENCODING, FALLBACK_SCOPE, KEY_ID, MASTER_KEY_ID, EncryptionCodec
from okot.crypto.data_keys import DataKeyErased, DataKeyStore
from okot.crypto.keyring import (
    KeyringError,
    load_keyring,
    new_keyring,
    parse_keyring,
    write_keyring,
)
from okot.db.tables import DATA_KEY

PLANTED = "Planted-Secret-Note-7f3a"


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())


def codec_for(engine: Engine, workflow_id: str | None = None, **kw: float) -> EncryptionCodec:
    store = DataKeyStore(engine, new_keyring(), **kw)
    codec = EncryptionCodec(store)
    if workflow_id is None:
        return codec
    return codec.with_context(WorkflowSerializationContext(namespace="default",
                                                           workflow_id=workflow_id))


def test_keyring_file_roundtrip_is_private_and_rotates(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "keyring.json"
    ring = new_keyring()
    write_keyring(path, ring)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_keyring(str(path))
    assert loaded.active_id == ring.active_id
    assert loaded.active.secret == ring.active.secret
    rotated = loaded.rotated()
    assert rotated.active_id != ring.active_id
    assert rotated.ids == [ring.active_id, rotated.active_id]
    assert load_keyring(rotated.to_json()).active_id == rotated.active_id
    assert ring.active.secret.hex() not in repr(ring)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("nope", "is not JSON"),
        ('{"version": 2}', "is not a version 1"),
        ('{"version": 1, "active": "a", "keys": []}', "has no master keys"),
        ('{"version": 1, "active": "a", "keys": [{"id": "a"}]}', "needs \"id\", \"key\""),
        ('{"version": 1, "active": "a", "keys": [{"id": "a", "key": "AAAA", '
         '"created": "2026-01-01T00:00:00+00:00"}]}', "is not 32 bytes"),
    ],
)
def test_a_bad_keyring_is_refused_in_one_line(text: str, says: str) -> None:
    with pytest.raises(KeyringError, match=says) as error:
        parse_keyring(text)
    assert "\n" not in str(error.value)


def test_missing_keyring_file_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="okot keyring init"):
        load_keyring(str(tmp_path / "absent.json"))


async def test_codec_seals_and_opens_with_a_key_per_workflow(engine: Engine) -> None:
    codec = codec_for(engine, "okot-C-1")
    [sealed] = await codec.encode([plain(PLANTED)])
    assert sealed.metadata["encoding"] == ENCODING
    assert PLANTED.encode() not in sealed.SerializeToString()
    other = codec.with_context(ActivitySerializationContext(
        namespace="default", activity_id="1", activity_type="record", activity_task_queue="q",
        workflow_id="okot-C-2", workflow_type="OkotTrajectory", is_local=False))
    [sealed_other] = await other.encode([plain(PLANTED)])
    assert sealed.metadata[KEY_ID] != sealed_other.metadata[KEY_ID]
    # decoding needs no context: the payload names its key
    bare = EncryptionCodec(codec.store)
    assert await bare.decode([sealed, sealed_other]) == [plain(PLANTED), plain(PLANTED)]
    [fallback] = await bare.encode([plain("x")])
    with engine.connect() as conn:
        scopes = dict(conn.execute(select(DATA_KEY.c.id, DATA_KEY.c.scope)).all())
    assert scopes[sealed.metadata[KEY_ID].decode()] == "okot-C-1"
    assert scopes[fallback.metadata[KEY_ID].decode()] == FALLBACK_SCOPE


async def test_unencrypted_payloads_pass_through(engine: Engine) -> None:
    codec = codec_for(engine)
    assert await codec.decode([plain("old")]) == [plain("old")]


async def test_rotation_old_payloads_open_new_ones_use_the_new_master(engine: Engine) -> None:
    codec = codec_for(engine, "okot-C-3")
    [old] = await codec.encode([plain(PLANTED)])
    rotated = DataKeyStore(engine, codec.store.keyring.rotated())
    codec2 = EncryptionCodec(rotated, "okot-C-3")
    [new] = await codec2.encode([plain(PLANTED)])
    assert old.metadata[MASTER_KEY_ID].decode() == codec.store.keyring.active_id
    assert new.metadata[MASTER_KEY_ID].decode() == rotated.keyring.active_id
    assert new.metadata[KEY_ID] != old.metadata[KEY_ID]
    assert await codec2.decode([old, new]) == [plain(PLANTED), plain(PLANTED)]


async def test_destroyed_key_fails_with_erased_others_still_open(engine: Engine) -> None:
    codec = codec_for(engine, "okot-C-4")
    [gone] = await codec.encode([plain(PLANTED)])
    [kept] = await codec.with_context(
        WorkflowSerializationContext(namespace="default", workflow_id="okot-C-5")
    ).encode([plain("kept")])
    assert codec.store.destroy(["okot-C-4"]) == 1
    fresh = EncryptionCodec(DataKeyStore(engine, codec.store.keyring))
    for reader in (codec, fresh):
        with pytest.raises(DataKeyErased, match=r"^erased: data key dk-\w+ of okot-C-4"):
            await reader.decode([gone])
        assert await reader.decode([kept]) == [plain("kept")]
    # a new trajectory under the same workflow id gets a new key
    [again] = await codec.encode([plain("new")])
    assert again.metadata[KEY_ID] != gone.metadata[KEY_ID]
    assert await fresh.decode([again]) == [plain("new")]


async def test_an_unreachable_key_store_fails_in_one_safe_line(engine: Engine) -> None:
    from sqlalchemy import create_engine

    from okot.crypto.data_keys import KeyStoreUnavailable

    codec = codec_for(engine, "okot-C-6")
    [sealed] = await codec.encode([plain(PLANTED)])
    unreachable = create_engine("postgresql+psycopg://nobody:secret@127.0.0.1:1/none",
                                connect_args={"connect_timeout": 2})
    away = EncryptionCodec(DataKeyStore(unreachable, codec.store.keyring)).with_context(
        WorkflowSerializationContext(namespace="default", workflow_id="okot-C-6"))
    for attempt in (away.encode([plain("new")]), away.decode([sealed])):
        with pytest.raises(KeyStoreUnavailable) as failed:
            await attempt
        line = str(failed.value)
        assert line == "data key store: database unavailable: OperationalError", line
        assert "secret" not in line and "SELECT" not in line


async def test_cached_keys_serve_while_the_key_store_is_unreachable(
    engine: Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlalchemy import create_engine

    import okot.crypto.data_keys as data_keys
    from okot.crypto.data_keys import KeyStoreUnavailable

    codec = codec_for(engine, "okot-C-7", cache_seconds=0)  # every use asks the database
    [sealed] = await codec.encode([plain(PLANTED)])
    codec.store.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none",
                                       connect_args={"connect_timeout": 2})
    assert await codec.decode([sealed]) == [plain(PLANTED)]  # a database outage: cached
    [again] = await codec.encode([plain("during the outage")])
    assert again.metadata[KEY_ID] == sealed.metadata[KEY_ID]
    other = codec.with_context(WorkflowSerializationContext(namespace="default",
                                                            workflow_id="okot-C-8"))
    with pytest.raises(KeyStoreUnavailable):  # a key it never had: no way
        await other.encode([plain("new trajectory")])
    monkeypatch.setattr(data_keys, "STALE_WHILE_UNREACHABLE", 0.0)
    with pytest.raises(KeyStoreUnavailable):  # too old to serve
        await codec.decode([sealed])

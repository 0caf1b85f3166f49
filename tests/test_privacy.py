"""Privacy of the histories: free text is encrypted before it leaves the process,
master keys rotate without losing old histories, and erasure destroys the key.

Each test runs its own Temporal dev server with a database file, so the file
itself can be searched for the planted strings.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from privacy_helpers import (
    decoded_data,
    full_path_with,
    history_bytes,
    payloads_in,
    raw_history,
)
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from workflow_helpers import CW, OPENED, Driver, running_worker

from okot.crypto.codec import ENCODING, MASTER_KEY_ID
from okot.crypto.data_keys import DataKeyStore
from okot.crypto.keyring import Keyring, KeyringError, load_keyring
from okot.db.engine import get_engine, prepare_database
from okot.domain.messages import RecordPrecheck
from okot.domain.values import Stage, workflow_id_for
from okot.temporal.connection import data_converter, encrypted_converter
from okot_dev.devserver import DevServer
from okot_dev.ports import free_port
from worker import sandbox_runner
from workflows.trajectory import OkotTrajectory

PLANTED = "Planted-Zorgnota-5e1f0c"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[DevServer]:
    """A dev server of this test, its database in ``tmp_path/temporal.db``."""
    dev = DevServer(db_file=tmp_path / "temporal.db", port=free_port(), ui_port=None,
                    log_file=tmp_path / "temporal.log", log_level="error")
    dev.start()
    try:
        await dev.wait_ready(60)
        yield dev
    finally:
        dev.stop()


async def test_planted_free_text_is_never_stored_in_clear(
    server: DevServer, engine: Engine, task_queue: str, case_id: str
) -> None:
    client = await server.connect(60)
    d = Driver(WorkflowEnvironment.from_client(client), case_id, task_queue)
    async with running_worker(client, engine, task_queue):
        await full_path_with(d, PLANTED)
        status = await d.status()
    # the project's client reads it all back
    assert status.stage is Stage.CLOSED
    assert status.precheck is not None and status.precheck.notes == f"pre-check {PLANTED}"
    history = await raw_history(client, workflow_id_for(case_id))
    raw = history_bytes(history)
    assert raw.count(PLANTED.encode()) == 0
    assert raw.count(CW.id.encode()) > 0  # search attributes stay readable (ids only)
    payloads = [p for event in history.events for p in payloads_in(event)]
    sealed = [p for p in payloads if p.metadata.get("encoding") == ENCODING]
    assert len(sealed) > 20
    assert {p.metadata[MASTER_KEY_ID] for p in sealed} == {
        load_keyring(os.environ["OKOT_KEYRING"]).active_id.encode()}
    decoded = await decoded_data(data_converter(), history)
    assert decoded.count(PLANTED.encode()) >= 4  # every note and reason
    # and the server's own database file, read as bytes
    OPENED.clear()  # closed already; nothing to terminate on the stopped server
    server.stop()
    stored = b"".join(
        path.read_bytes() for path in Path(str(server.db_file)).parent.glob("temporal.db*")
    )
    assert workflow_id_for(case_id).encode() in stored
    assert stored.count(PLANTED.encode()) == 0


async def test_master_key_rotation_keeps_old_histories_readable(
    server: DevServer, engine: Engine, task_queue: str, case_id: str, tmp_path: Path
) -> None:
    keys = get_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    prepare_database(keys)
    ring = load_keyring(os.environ["OKOT_KEYRING"])
    before = encrypted_converter(DataKeyStore(keys, ring))
    client = await server.connect(60)
    old_client = Client(client.service_client, namespace=client.namespace, data_converter=before)
    d = Driver(WorkflowEnvironment.from_client(old_client), case_id, task_queue)
    async with running_worker(old_client, engine, task_queue):
        await d.open()
        await d.update(RecordPrecheck(actor=CW, conditions_met=True, twe_active=False,
                                      study_level="bachelor", notes=f"before {PLANTED}"))
    rotated = ring.rotated()
    after = encrypted_converter(DataKeyStore(keys, rotated))
    new_client = Client(client.service_client, namespace=client.namespace, data_converter=after)
    d2 = Driver(WorkflowEnvironment.from_client(new_client), case_id, task_queue)
    async with running_worker(new_client, engine, task_queue):
        status = await d2.update(RecordPrecheck(
            actor=CW, conditions_met=True, twe_active=False, study_level="graduaat",
            notes=f"after {PLANTED}"))
        assert status.precheck is not None and status.precheck.notes == f"after {PLANTED}"
        timeline = await d2.timeline()
    assert [e.name for e in timeline].count("record_precheck") == 2
    history = await raw_history(client, workflow_id_for(case_id))
    masters = [p.metadata[MASTER_KEY_ID].decode() for e in history.events
               for p in payloads_in(e) if p.metadata.get("encoding") == ENCODING]
    assert masters[0] == ring.active_id and masters[-1] == rotated.active_id
    assert set(masters) == {ring.active_id, rotated.active_id}
    # the whole history replays and decodes with the rotated keyring alone
    decoded = await decoded_data(after, history)
    assert f"before {PLANTED}".encode() in decoded and f"after {PLANTED}".encode() in decoded
    replayer = Replayer(workflows=[OkotTrajectory], data_converter=after,
                        workflow_runner=sandbox_runner())
    await replayer.replay_workflow(history)
    # the old master key is what opens the old data key: without it, no way in
    only_new = Keyring(keys=(rotated.active,), active_id=rotated.active_id)
    with pytest.raises(KeyringError, match="is not in the keyring"):
        await decoded_data(encrypted_converter(DataKeyStore(keys, only_new)), history)

"""Erasure by crypto-shredding and the encrypted client register.

``okot case erase`` (a closed trajectory) and the retention purge destroy the
trajectory's data keys: its history stays on the Temporal server but can no
longer be decrypted ("erased"), other trajectories still can, and the client
register and audit log keep none of its personal data (the counts stay).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from cli_helpers import Cli, cli_on, wait_for
from db_fixtures import simulate_many
from privacy_helpers import decoded_data, history_bytes, raw_history
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment
from test_database_retention import CUTOFF, dump, load, purged
from workflow_helpers import running_worker

from okot.crypto.data_keys import DataKeyErased, DataKeyStore
from okot.crypto.keyring import load_keyring, new_keyring
from okot.db import client_register
from okot.db.engine import get_engine
from okot.db.retention import NotClosed, erase_case, purge
from okot.db.tables import AUDIT_LOG, CLIENT_REGISTER, TRAJECTORY
from okot.domain.identity import ClientIdentity, ClientIdentityError
from okot.domain.values import workflow_id_for
from okot.temporal.connection import encrypted_converter

pytest_plugins = ("db_fixtures",)

PLANTED = "Planted-Erasure-Note-91b2"
NAME = "Planted Clientname"
CW = "caseworker:cw-anna"


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, dev_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> Iterator[Cli]:
    yield from cli_on(monkeypatch, dev_env, engine, task_queue)


def last_line(text: str) -> str:
    """The command's own last line (a worker in this process may log into the capture)."""
    return text.strip().splitlines()[-1]


def _audit(engine: Engine, case_id: str) -> list[object]:
    with engine.connect() as conn:
        return list(conn.execute(select(AUDIT_LOG).where(AUDIT_LOG.c.case_id == case_id)))


async def _closed(engine: Engine, case_id: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(TRAJECTORY.c.is_open).where(
            TRAJECTORY.c.case_id == case_id)).scalar_one_or_none() is False


async def test_okot_case_erase_shreds_one_closed_trajectory(
    cli: Cli, dev_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> None:
    gone, kept = (f"C-{uuid.uuid4().hex[:10]}" for _ in range(2))
    async with running_worker(dev_env.client, engine, task_queue):
        for case in (gone, kept):
            await cli.ok("open", case, "--ocmw", "gent", "--caseworker", "cw-anna",
                         "--client-name", f"{NAME} {case}", "--vdab-client-number", "VDAB-77")
            await cli.ok("record-precheck", case, "--as", CW, "--conditions-met",
                         "--no-twe-active", "--study-level", "bachelor",
                         "--notes", f"note {PLANTED}")
        refused = await cli("case", "erase", gone)
        assert refused.exit_code == 2
        assert last_line(refused.stderr) == (
            f"refused: the trajectory of case {gone} is still open; erase it once it is "
            "closed (withdraw it, or let it end)")
        await cli.ok("withdraw", gone, "--as", CW, "--reason", f"reason {PLANTED}")
        await wait_for(lambda: _closed(engine, gone))
        await dev_env.client.get_workflow_handle(workflow_id_for(gone)).result()
    audit_before = len(_audit(engine, gone))
    assert PLANTED in str(_audit(engine, gone))
    erased = await cli.ok("case", "erase", gone)
    assert f"case {gone} erased" in erased.stdout
    assert "destroyed 2 data keys" in erased.stdout  # the history's and the register's

    # the history is still on the server, but nobody can decrypt it any more
    ring = load_keyring(os.environ["OKOT_KEYRING"])
    fresh = encrypted_converter(DataKeyStore(get_engine(os.environ["OKOT_KEYSTORE_URL"]), ring))
    gone_history = await raw_history(dev_env.client, workflow_id_for(gone))
    assert len(gone_history.events) > 5
    with pytest.raises(DataKeyErased, match=f"^erased: data key dk-\\w+ of okot-{gone} was "):
        await decoded_data(fresh, gone_history)
    kept_history = await raw_history(dev_env.client, workflow_id_for(kept))
    assert f"note {PLANTED}".encode() in await decoded_data(fresh, kept_history)
    # the client's name never reached Temporal at all
    for history in (gone_history, kept_history):
        assert NAME.encode() not in history_bytes(history)
    assert NAME.encode() not in await decoded_data(fresh, kept_history)

    # the client register and the audit log keep nothing personal of the erased case
    assert client_register.lookup(engine, ring, gone) is None
    identity = client_register.lookup(engine, ring, kept)
    assert identity is not None
    assert (identity.name, identity.vdab_client_number) == (f"{NAME} {kept}", "VDAB-77")
    assert len(_audit(engine, gone)) == audit_before  # the counts survive
    assert PLANTED not in str(_audit(engine, gone))
    assert PLANTED in str(_audit(engine, kept))
    with engine.connect() as conn:
        assert NAME.encode() not in b"".join(
            row.sealed for row in conn.execute(select(CLIENT_REGISTER)))
    async with running_worker(dev_env.client, engine, task_queue):
        status = await cli("status", gone)
    assert status.exit_code == 2
    assert last_line(status.stderr) == (
        f"case {gone} was erased (`okot case erase`): its history can no longer be decrypted")
    again = await cli.ok("case", "erase", gone)  # idempotent
    assert f"case {gone} erased" in again.stdout
    unknown = await cli("case", "erase", "C-never-opened")
    assert unknown.exit_code == 2
    assert last_line(unknown.stderr) == (
        "nothing to erase: no trajectory for case C-never-opened in Temporal or the database")


def test_the_register_is_sealed_and_replaced(engine: Engine) -> None:
    ring = new_keyring()
    client_register.register(engine, ring, "C-0001", ClientIdentity(name="An Peeters"))
    client_register.register(engine, ring, "C-0001",
                             ClientIdentity(name="An  Peeters-Smet", vdab_client_number="V-1"))
    with engine.connect() as conn:
        [row] = conn.execute(select(CLIENT_REGISTER)).all()
    assert b"Peeters" not in row.sealed
    identity = client_register.lookup(engine, ring, "C-0001")
    assert identity == ClientIdentity(name="An Peeters-Smet", vdab_client_number="V-1")
    assert "Peeters" not in repr(identity)
    assert client_register.lookup(engine, ring, "C-0002") is None
    with pytest.raises(ClientIdentityError, match=r"^client name: give 1 to 200") as error:
        ClientIdentity(name="   ")
    assert "Peeters" not in str(error.value)


def test_erase_refuses_an_open_trajectory_recorded_in_the_database(db: Engine) -> None:
    open_one = next(s for s in simulate_many(20, seed=3, days=30) if s.status.closed_at is None)
    from okot.db.events import record_event

    for request in open_one.requests:
        record_event(db, request)
    with pytest.raises(NotClosed):
        erase_case(db, open_one.status.case_id)


def test_purge_destroys_the_data_keys_and_register_of_old_trajectories(db: Engine) -> None:
    sims = load(db)
    ring = new_keyring()
    store = DataKeyStore(db, ring)
    keys = {s.workflow_id: store.current(s.workflow_id).id for s in sims}
    for s in sims:
        client_register.register(db, store, s.status.case_id,
                                 ClientIdentity(name=f"Name {s.status.case_id}"))
    result = purge(db, CUTOFF)
    old = [s for s in sims if purged(s)]
    assert result.data_keys == len(old) and result.client_records == len(old)
    fresh = DataKeyStore(db, ring)
    for s in sims:
        if purged(s):
            with pytest.raises(DataKeyErased):
                fresh.get(keys[s.workflow_id])
            assert client_register.lookup(db, fresh, s.status.case_id) is None
        else:
            assert fresh.get(keys[s.workflow_id]).id == keys[s.workflow_id]
            found = client_register.lookup(db, fresh, s.status.case_id)
            assert found is not None and found.name == f"Name {s.status.case_id}"
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(CLIENT_REGISTER)).scalar_one() == (
            len(sims) - len(old))
    assert all(f"Name {s.status.case_id}" not in dump(db) for s in old)


def test_the_web_apps_reader_finds_the_client(engine: Engine) -> None:
    from okot.db.clients import client_of

    ring = load_keyring(os.environ["OKOT_KEYRING"])
    client_register.register(engine, ring, "C-0003", ClientIdentity(name="Bea Claes",
                                                                    vdab_client_number="V-9"))
    found = client_of(engine, "C-0003")
    assert found is not None and (found.name, found.vdab_client_number) == ("Bea Claes", "V-9")
    assert client_of(engine, "C-0004") is None
    erase_case(engine, "C-0003")
    assert client_of(engine, "C-0003") is None

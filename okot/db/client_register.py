"""The client register: who the client of a case is (name, VDAB client number),
encrypted at rest, keyed by case id (``shared/domain.md``, "Client identity").

The identity never enters a workflow (input, history, search attributes), a log
line or a mail: it is written when a trajectory is opened (``okot open
--client-name``, the cohort CSV's ``client_name`` column) and read back by
whoever renders a page or an API answer for an authorized caller::

    from okot.db import client_register
    identity = client_register.lookup(engine, keyring, "C-2024-0001")
    if identity is not None:
        identity.name, identity.vdab_client_number

Each row is sealed (AES-256-GCM) with the data key of the case's trajectory
(:mod:`okot.crypto.data_keys`, scope ``okot-<case id>``), so erasing the
trajectory (``okot case erase``, the retention purge) makes the row unreadable
even in a backup; the erasure also deletes the row. ``repr`` of an identity
shows no personal data.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, Engine

from okot.crypto import aead
from okot.crypto.data_keys import DataKeyStore, stores_for
from okot.crypto.keyring import Keyring
from okot.db.engine import write
from okot.db.tables import CLIENT_REGISTER
from okot.domain.identity import ClientIdentity, ClientIdentityError
from okot.domain.values import workflow_id_for

__all__ = ["ClientIdentity", "ClientIdentityError", "lookup", "register", "remove"]

def _aad(case_id: str) -> bytes:
    return f"okot-client-register:{case_id}".encode()


def _store(engine: Engine, keyring: Keyring | DataKeyStore) -> DataKeyStore:
    return keyring if isinstance(keyring, DataKeyStore) else stores_for(engine, keyring)


def register(engine: Engine, keyring: Keyring | DataKeyStore, case_id: str,
             identity: ClientIdentity) -> None:
    """Write (or replace) the identity of ``case_id``'s client, sealed."""
    key = _store(engine, keyring).current(workflow_id_for(case_id))
    plain = json.dumps({"name": identity.name,
                        "vdab_client_number": identity.vdab_client_number}).encode()
    values = {"key_id": key.id, "sealed": aead.seal(key.secret, plain, _aad(case_id)),
              "updated_at": datetime.now(UTC)}
    with write(engine) as conn:
        done = conn.execute(
            CLIENT_REGISTER.update().where(CLIENT_REGISTER.c.case_id == case_id).values(**values)
        ).rowcount
        if not done:
            conn.execute(CLIENT_REGISTER.insert().values(case_id=case_id, **values))


def lookup(engine: Engine, keyring: Keyring | DataKeyStore, case_id: str) -> ClientIdentity | None:
    """The client of ``case_id``, or ``None`` (never registered, or erased).

    ``keyring`` is the keyring (``load_keyring(settings.keyring)``) or a data key
    store on ``engine``. Raises :class:`~okot.crypto.data_keys.DataKeyErased` only
    if the case's data keys were destroyed while its row somehow stayed.
    """
    with engine.connect() as conn:
        row = conn.execute(
            select(CLIENT_REGISTER.c.key_id, CLIENT_REGISTER.c.sealed)
            .where(CLIENT_REGISTER.c.case_id == case_id)
        ).first()
    if row is None:
        return None
    key = _store(engine, keyring).get(row.key_id)
    raw = json.loads(aead.open_sealed(key.secret, row.sealed, _aad(case_id)))
    return ClientIdentity(name=raw["name"], vdab_client_number=raw["vdab_client_number"])


def remove(conn: Connection, case_ids: list[str] | object) -> int:
    """Delete the register rows of ``case_ids`` (a list, or a select of case ids)."""
    return int(conn.execute(
        delete(CLIENT_REGISTER).where(CLIENT_REGISTER.c.case_id.in_(case_ids))  # type: ignore[arg-type]
    ).rowcount)

"""The client register as the web app reads it: who a case's client is (name,
VDAB client number), or None.

The client's identity lives only in the project's database, keyed by
``case_id``, encrypted at rest (:mod:`okot.db.client_register`), and is joined
in when a page or an API answer is rendered for an authorized caller
(``shared/domain.md``, "Client identity"). :func:`client_of` opens it with the
keyring of the settings (``OKOT_KEYRING``); without one (``OKOT_ENCRYPTION=off``),
or for an erased case, it answers None and the pages show the case id only.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.engine import Engine

from okot.crypto.data_keys import DataKeyErased
from okot.crypto.keyring import Keyring, load_keyring
from okot.db.client_register import lookup
from okot.domain.identity import ClientIdentity
from okot.settings import get_settings

__all__ = ["ClientIdentity", "client_of"]


@lru_cache(maxsize=4)
def _keyring(source: str) -> Keyring:
    return load_keyring(source)


def client_of(engine: Engine, case_id: str) -> ClientIdentity | None:
    """The client of ``case_id``, or None (not registered, erased, or no keyring)."""
    source = get_settings().keyring
    if not source:
        return None
    try:
        return lookup(engine, _keyring(source), case_id)
    except DataKeyErased:
        return None

"""Data keys: one AES-256 key per scope (a trajectory's workflow id), wrapped by
the keyring's active master key and kept in the project's database
(:mod:`okot.db.data_keys`).

* :meth:`DataKeyStore.current` is the key new payloads of a scope are sealed
  with: the newest live key of the scope wrapped by the *active* master key, or
  a new one (so after a master key rotation new payloads use a new data key
  under the new master key, while old ones still open with the old one);
* :meth:`DataKeyStore.get` is the key a payload names, and raises
  :class:`DataKeyErased` when it was destroyed (``okot case erase``, the
  retention purge): the payload can never be read again;
* a database failure on the way is :class:`KeyStoreUnavailable`, one safe line (a
  workflow task that cannot seal its completion fails with it and is retried).

Unwrapped keys are cached in memory for ``cache_seconds`` (another process that
erases a trajectory is noticed within that time; this process at once), and serve
for up to :data:`STALE_WHILE_UNREACHABLE` longer while the key database cannot be
reached.
"""

from __future__ import annotations

import secrets
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from okot.crypto import aead
from okot.crypto.keyring import Keyring
from okot.db import data_keys as stored
from okot.db.engine import write
from okot.db.failures import describe


class DataKeyErased(Exception):
    """The data key was destroyed: what it sealed belongs to an erased trajectory."""

    def __init__(self, key_id: str, scope: str) -> None:
        super().__init__(
            f"erased: data key {key_id} of {scope} was destroyed (the trajectory was erased); "
            "its payloads can no longer be decrypted"
        )
        self.key_id = key_id
        self.scope = scope


class KeyStoreUnavailable(Exception):
    """The database that holds the data keys cannot be reached (or failed): try again.
    Its message is one safe line (the error class and code, never SQL or values)."""


@contextmanager
def _reaching_the_store() -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as err:
        raise KeyStoreUnavailable(f"data key store: {describe(err).message}") from None


class UnknownDataKey(Exception):
    """A payload names a data key this database does not hold."""

    def __init__(self, key_id: str) -> None:
        super().__init__(
            f"unknown data key {key_id}: not in this database (is OKOT_KEYSTORE_URL / "
            "OKOT_DATABASE_URL the one the payload was written with?)"
        )


@dataclass(frozen=True)
class DataKey:
    id: str
    scope: str
    master_key_id: str
    secret: bytes = field(repr=False)


def _aad(key_id: str, scope: str) -> bytes:
    return f"okot-data-key:{key_id}:{scope}".encode()


STALE_WHILE_UNREACHABLE = 3600.0
"""Seconds a cached key keeps serving while the key database cannot be reached (a
database outage then fails no workflow task of a trajectory active in the last hour;
an erasure needs that database, so none happens meanwhile through it)."""


class DataKeyStore:
    def __init__(self, engine: Engine, keyring: Keyring, *, cache_seconds: float = 60.0) -> None:
        self.engine = engine
        self.keyring = keyring
        self.cache_seconds = cache_seconds
        self._by_id: dict[str, tuple[float, DataKey]] = {}
        self._current: dict[str, str] = {}
        self._lock = threading.Lock()
        _LIVE.add(self)

    # ------------------------------------------------------------------ cache

    def _cached(self, key_id: str) -> DataKey | None:
        with self._lock:
            hit = self._by_id.get(key_id)
            if hit is None or time.monotonic() - hit[0] > self.cache_seconds:
                return None
            return hit[1]

    def _stale(self, key_id: str) -> DataKey | None:
        """A cached key past ``cache_seconds`` but within :data:`STALE_WHILE_UNREACHABLE`:
        served only while the key database cannot be reached."""
        with self._lock:
            hit = self._by_id.get(key_id)
            if hit is None or time.monotonic() - hit[0] > STALE_WHILE_UNREACHABLE:
                return None
            return hit[1]

    def _remember(self, key: DataKey) -> DataKey:
        with self._lock:
            self._by_id[key.id] = (time.monotonic(), key)
        return key

    def cached_current(self, scope: str) -> DataKey | None:
        """The current key of ``scope`` if it is in the cache (no I/O)."""
        key_id = self._current.get(scope)
        key = None if key_id is None else self._cached(key_id)
        return key if key is not None and key.master_key_id == self.keyring.active_id else None

    def cached(self, key_id: str) -> DataKey | None:
        return self._cached(key_id)

    def forget(self, scopes: list[str] | None = None) -> None:
        with self._lock:
            if scopes is None:
                self._by_id.clear()
                self._current.clear()
                return
            for key_id, (_, key) in list(self._by_id.items()):
                if key.scope in scopes:
                    del self._by_id[key_id]
            for scope in scopes:
                self._current.pop(scope, None)

    # ------------------------------------------------------------------ keys

    def current(self, scope: str) -> DataKey:
        """The key to seal new data of ``scope`` with (created on first use)."""
        key = self.cached_current(scope)
        if key is not None:
            return key
        master_id = self.keyring.active_id
        try:
            with _reaching_the_store():
                row = stored.find_usable(self.engine, scope, master_id)
        except KeyStoreUnavailable:
            key_id = self._current.get(scope)
            stale = None if key_id is None else self._stale(key_id)
            if stale is None or stale.master_key_id != master_id:
                raise
            return stale
        if row is not None and row.wrapped is not None:
            key = self._unwrap(row.id, scope, master_id, row.wrapped)
        else:
            key_id = f"dk-{secrets.token_hex(12)}"
            secret = aead.new_key()
            master_id, wrapped = self.keyring.wrap(secret, _aad(key_id, scope))
            with _reaching_the_store():
                stored.insert(self.engine,
                              stored.StoredKey(key_id, scope, master_id, wrapped, None))
            key = DataKey(key_id, scope, master_id, secret)
        self._current[scope] = key.id
        return self._remember(key)

    def get(self, key_id: str) -> DataKey:
        """The key a payload names; :class:`DataKeyErased` if it was destroyed."""
        key = self._cached(key_id)
        if key is not None:
            return key
        try:
            with _reaching_the_store():
                row = stored.find(self.engine, key_id)
        except KeyStoreUnavailable:
            stale = self._stale(key_id)
            if stale is None:
                raise
            return stale
        if row is None:
            raise UnknownDataKey(key_id)
        if row.wrapped is None:
            raise DataKeyErased(key_id, row.scope)
        return self._remember(self._unwrap(row.id, row.scope, row.master_key_id, row.wrapped))

    def _unwrap(self, key_id: str, scope: str, master_id: str, wrapped: bytes) -> DataKey:
        secret = self.keyring.unwrap(master_id, wrapped, _aad(key_id, scope))
        return DataKey(key_id, scope, master_id, secret)

    def destroy(self, scopes: list[str]) -> int:
        """Destroy every data key of ``scopes`` (crypto-shredding); returns how many."""
        with write(self.engine) as conn:
            return destroy_keys(conn, scopes)


_LIVE: weakref.WeakSet[DataKeyStore] = weakref.WeakSet()
"""Every store of this process, so that an erasure empties their caches at once."""


def stores_for(engine: Engine, keyring: Keyring) -> DataKeyStore:
    """A live store of this process on ``engine`` with ``keyring``, or a new one."""
    for store in list(_LIVE):
        if store.engine is engine and store.keyring is keyring:
            return store
    return DataKeyStore(engine, keyring)


def destroy_keys(conn: Connection, scopes: Iterable[str] | ColumnElement[bool]) -> int:
    """Destroy the data keys of ``scopes`` (workflow ids, or a condition on the scope
    column) in the transaction of ``conn``; every store of this process forgets its
    cached keys of those scopes (all of them, for a condition)."""
    names = None if isinstance(scopes, ColumnElement) else list(scopes)
    count = stored.destroy(conn, scopes if names is None else names)
    for store in list(_LIVE):
        store.forget(names)
    return count

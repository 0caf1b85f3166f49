"""Storage of the wrapped data keys (table ``data_key``); the cryptography is in
:mod:`okot.crypto.data_keys`. A destroyed key keeps its row, without the key."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import null, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from okot.db.engine import get_engine, prepare_database, write
from okot.db.light_tables import DATA_KEY_READ
from okot.settings import get_settings

# Reads use the core DATA_KEY_READ; the writes import the sqlmodel table (okot.db.tables)
# where they run: decoding a payload (`okot status`) does not build every model.


@dataclass(frozen=True)
class StoredKey:
    id: str
    scope: str
    master_key_id: str
    wrapped: bytes | None
    """``None`` once destroyed."""
    destroyed_at: datetime | None


def _stored(row: object) -> StoredKey:
    return StoredKey(
        id=row.id, scope=row.scope, master_key_id=row.master_key_id,  # type: ignore[attr-defined]
        wrapped=row.wrapped, destroyed_at=row.destroyed_at,  # type: ignore[attr-defined]
    )


def insert(engine: Engine, key: StoredKey) -> None:
    from okot.db.tables import DATA_KEY

    with write(engine) as conn:
        conn.execute(DATA_KEY.insert().values(
            id=key.id, scope=key.scope, master_key_id=key.master_key_id,
            wrapped=key.wrapped, created_at=datetime.now(UTC),
        ))


def find(engine: Engine, key_id: str) -> StoredKey | None:
    with engine.connect() as conn:
        row = conn.execute(select(DATA_KEY_READ).where(DATA_KEY_READ.c.id == key_id)).first()
    return None if row is None else _stored(row)


def find_usable(engine: Engine, scope: str, master_key_id: str) -> StoredKey | None:
    """The newest live key of ``scope`` wrapped by ``master_key_id``."""
    c = DATA_KEY_READ.c
    query = (
        select(DATA_KEY_READ)
        .where(c.scope == scope, c.master_key_id == master_key_id, c.wrapped.is_not(None))
        .order_by(c.created_at.desc(), c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else _stored(row)


def destroy(conn: Connection, scopes: Iterable[str] | ColumnElement[bool]) -> int:
    """Destroy every live data key of ``scopes`` (ids, or a condition on ``scope`` of
    :data:`okot.db.tables.DATA_KEY`)."""
    from okot.db.tables import DATA_KEY

    c = DATA_KEY.c
    where = scopes if isinstance(scopes, ColumnElement) else c.scope.in_(list(scopes))
    result = conn.execute(
        update(DATA_KEY).where(where, c.wrapped.is_not(None))
        .values(wrapped=null(), destroyed_at=datetime.now(UTC))
    )
    return int(result.rowcount)


def separate_key_engine() -> Engine | None:
    """The engine of ``OKOT_KEYSTORE_URL`` when the data keys live in a database of
    their own (``None``: they are in ``OKOT_DATABASE_URL``), brought to the current
    schema as the key store does (a key database no process has used yet has no tables)."""
    settings = get_settings()
    url = settings.keystore_url
    if not url or url == settings.database_url:
        return None
    engine = get_engine(url)
    prepare_database(engine)
    return engine

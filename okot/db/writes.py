"""What the write modules (:mod:`okot.db.events`, :mod:`okot.db.outbox`,
:mod:`okot.db.registrations`) share: the dialect's INSERT, the time, storable text
and JSON payloads.

Every write is idempotent through ``INSERT ... ON CONFLICT``, which SQLAlchemy
spells per dialect; :func:`dialect_insert` picks the right one for SQLite or
PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def dialect_insert(conn: Connection, table: Any) -> Any:
    """A dialect-specific INSERT (for ON CONFLICT) on SQLite or PostgreSQL."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database dialect {conn.dialect.name!r}")


def storable_text(value: str | None) -> str | None:
    """``value`` without NUL characters, which PostgreSQL refuses in text and JSONB
    (a NUL would make the write fail on every retry); everything else is kept."""
    return None if value is None else value.replace("\x00", "")


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {storable_text(k): _without_nul(v) for k, v in value.items()}
    return value


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (dates and enums become strings), storable on every
    backend (:func:`storable_text` for every string, keys included)."""
    return None if value is None else _without_nul(json.loads(json.dumps(value, default=str)))

"""What the write modules (:mod:`okot.db.events`, :mod:`okot.db.outbox`,
:mod:`okot.db.registrations`) share: the dialect's INSERT, the time, JSON payloads.

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


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (dates and enums become strings)."""
    return None if value is None else json.loads(json.dumps(value, default=str))

"""Alembic environment for okot-flow.

Run programmatically by :mod:`okot.db.engine` (``okot db upgrade``); the
connection to migrate is passed in ``config.attributes["connection"]``. Without
one (a bare ``alembic`` call with this config) the database URL comes from the
settings (``OKOT_DATABASE_URL``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from okot.db.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from okot.db.engine import create_engine_for
    from okot.settings import get_settings

    engine = create_engine_for(get_settings().database_url)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():  # pragma: no cover - offline SQL generation is not used
    raise SystemExit("offline migrations are not supported; run `okot db upgrade`")
run_migrations_online()

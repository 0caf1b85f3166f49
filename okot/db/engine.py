"""The project's database: engines, transactions and migrations.

Two backends: SQLite (the embedded default, a file under ``var/``) and
PostgreSQL (``OKOT_DATABASE_URL=postgresql+psycopg://...``). The schema is
managed by alembic, run programmatically from ``okot/migrations`` (no
``alembic.ini``, works from any directory):

* :func:`upgrade` brings a database to head (``okot db upgrade``);
* :func:`prepare_database` is what the worker and the CLI call at start: SQLite
  is brought to head automatically, PostgreSQL is only checked and refused with
  a clear message when it is behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session

from okot.logging import get_logger
from okot.settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
UPGRADE_HINT = "run `okot db upgrade`"

log = get_logger(__name__)


class DatabaseNotReady(RuntimeError):
    """The database schema is not at the revision this code needs."""


# ------------------------------------------------------------------------ engines


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine_for(url: str, **kwargs: Any) -> Engine:
    """A new engine for ``url`` (not cached; see :func:`get_engine`).

    SQLite: the parent directory is created, WAL journal, ``synchronous=NORMAL``,
    foreign keys on, a busy timeout, and write transactions started with
    ``BEGIN IMMEDIATE`` (see :func:`write`) so concurrent writers wait instead of
    failing on a lock upgrade.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)

    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args = dict(kwargs.pop("connect_args", {}))
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", 30)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN (pysqlite's own
        # transaction handling would defer it and break BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if database and database != ":memory:":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@lru_cache(maxsize=16)
def _cached_engine(url: str) -> Engine:
    return create_engine_for(url)


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default: ``settings.database_url``), one per URL."""
    return _cached_engine(url or get_settings().database_url)


def session(engine: Engine) -> Session:
    """A sqlmodel session on ``engine`` (use as a context manager)."""
    return Session(engine, expire_on_commit=False)


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """One write transaction (``BEGIN IMMEDIATE`` on SQLite): commit, or roll back."""
    conn = engine.connect()
    try:
        if is_sqlite(engine):
            conn = conn.execution_options(sqlite_immediate=True)
        with conn.begin():
            yield conn
    finally:
        conn.close()


# --------------------------------------------------------------------- migrations


def alembic_config(connection: Connection | None = None) -> Config:
    """The alembic configuration, built in code (works from any working directory)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships its migrations
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None``: no schema yet)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the database to ``revision`` (default head); returns (before, after)."""
    before = current_revision(engine)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
    after = current_revision(engine)
    log.info("database upgraded", dialect=engine.dialect.name, before=before, after=after)
    return before, after


def check_at_head(engine: Engine) -> None:
    """Raise :class:`DatabaseNotReady` unless the database is at head."""
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current is not None and current not in known:
        raise DatabaseNotReady(
            f"database is at revision {current}, which this version of okot-flow does not "
            f"know (head is {head}): the database is newer than the code; upgrade okot-flow"
        )
    raise DatabaseNotReady(
        f"database is behind head (rev {current or 'none'} < {head}): {UPGRADE_HINT}"
    )


def prepare_database(engine: Engine) -> None:
    """Make sure the schema is usable before the worker or the CLI starts.

    SQLite (the embedded default) is brought to head without asking. Any other
    database must already be at head: a database that is behind is refused with
    a :class:`DatabaseNotReady` (a ``RuntimeError``) naming ``okot db upgrade``.
    """
    if is_sqlite(engine):
        if current_revision(engine) != head_revision():
            upgrade(engine)
        check_at_head(engine)
        return
    check_at_head(engine)

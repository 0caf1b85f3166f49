"""The project's database: engines, transactions and migrations.

Two backends: SQLite (the embedded default, a file under ``var/``) and
PostgreSQL (``OKOT_DATABASE_URL=postgresql+psycopg://...``). The schema is
managed by alembic, run programmatically from ``okot/migrations`` (no
``alembic.ini``, works from any directory):

* :func:`upgrade` brings a database to head (``okot db upgrade``);
* :func:`prepare_database` is what the worker and the CLI call at start: SQLite
  is brought to head automatically, PostgreSQL is only checked and refused with
  a clear message when it is behind. A database already at head costs one query
  and no alembic import (:func:`at_head`): the CLI's read commands do not pay for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError

from okot.logging import get_logger
from okot.settings import get_settings

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlmodel import Session

# alembic and sqlmodel (the ORM) are imported where they are used: a command that only
# reads the database at head imports neither.

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
    from sqlmodel import Session

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
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships its migrations
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None``: no schema yet)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the database to ``revision`` (default head); returns (before, after)."""
    from alembic import command

    before = current_revision(engine)
    with write(engine) as conn:  # SQLite: BEGIN IMMEDIATE, so a second process migrating
        command.upgrade(alembic_config(conn), revision)  # at the same time waits its turn
    after = current_revision(engine)
    log.info("database upgraded", dialect=engine.dialect.name, before=before, after=after)
    return before, after


def check_at_head(engine: Engine) -> None:
    """Raise :class:`DatabaseNotReady` unless the database is at head."""
    from alembic.script import ScriptDirectory

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


def shipped_head() -> str:
    """The newest revision among the migrations shipped with this code, from their file
    names (``0006_overdue_explained.py``: revision ``0006``) without loading alembic;
    ``tests/test_database_schema.py`` checks it is alembic's :func:`head_revision`."""
    versions = (path.name.partition("_")[0] for path in (MIGRATIONS_DIR / "versions").iterdir())
    return max(v for v in versions if v.isdigit())


def at_head(engine: Engine) -> bool:
    """Whether the database is at this code's head: one query on ``alembic_version``
    (``False`` too when the query fails: no schema yet, or any other trouble, which
    :func:`prepare_database` then meets and reports through alembic)."""
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except DBAPIError:
        return False
    return [tuple(row) for row in rows] == [(shipped_head(),)]


def prepare_database(engine: Engine) -> None:
    """Make sure the schema is usable before the worker or the CLI starts.

    SQLite (the embedded default) is brought to head without asking. Any other
    database must already be at head: a database that is behind is refused with
    a :class:`DatabaseNotReady` (a ``RuntimeError``) naming ``okot db upgrade``.
    A database at head is only checked (:func:`at_head`), without alembic.
    """
    if at_head(engine):
        return
    if is_sqlite(engine):
        if current_revision(engine) != head_revision():
            upgrade(engine)
        check_at_head(engine)
        return
    check_at_head(engine)

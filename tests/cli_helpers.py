"""Helpers for driving the ``okot`` CLI in-process against a Temporal test server."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner, Result

from okot.cli.app import app
from okot.domain.calendar import local_date
from okot.settings import get_settings

runner = CliRunner()

OKOT = [sys.executable, "-c", "from okot.cli.app import app; app()"]
"""The ``okot`` command as a subprocess, running this checkout's code (run it with
``cwd`` at the project root; the ``okot`` script of the venv may be another checkout's)."""
ROOT = Path(__file__).resolve().parent.parent

# Environment variables that would make the CLI talk to something else than the test server.
_CLEARED = ("OKOT_ACTOR", "TEMPORAL_PROFILE", "TEMPORAL_CONFIG_FILE", "TEMPORAL_NAMESPACE",
            "TEMPORAL_API_KEY", "TEMPORAL_TLS")


def today() -> str:
    """Today in Belgium, as the workflow sees it."""
    return local_date(datetime.now(UTC)).isoformat()


def one_line(text: str) -> str:
    """The one error line of ``text`` (warnings, such as an empty staff directory, aside)."""
    lines = [line for line in text.splitlines()
             if line.strip() and not line.startswith("warning: ")]
    assert len(lines) == 1, f"expected one line, got {lines!r}"
    return lines[0]


# A worker running in the test process logs (structlog) to the stderr of the command that
# configured logging last, which is the runner's capture: leave its lines out.
_LOG_LINE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}.*\[\s*\w+\s*\]|^\{.*\"logger\": .*\"level\": "
)


def _without_logs(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not _LOG_LINE.match(line))


@dataclass(frozen=True)
class Outcome:
    """What a command did: its exit code and its output (without worker log lines)."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @classmethod
    def of(cls, result: Result) -> Outcome:
        return cls(result.exit_code, _without_logs(result.stdout), _without_logs(result.stderr))


@dataclass
class Cli:
    """Invokes ``okot`` (or another typer app) in a thread, so ``asyncio.run`` inside works."""

    app: typer.Typer = app

    def invoke(self, *args: str, app: typer.Typer | None = None) -> Outcome:
        result = runner.invoke(app or self.app, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome.of(result)

    async def __call__(self, *args: str, app: typer.Typer | None = None) -> Outcome:
        return await asyncio.to_thread(self.invoke, *args, app=app)

    async def ok(self, *args: str) -> Outcome:
        result = await self(*args)
        assert result.exit_code == 0, (args, result.exit_code, result.stdout, result.stderr)
        return result

    async def json(self, *args: str) -> Any:
        return json.loads((await self.ok(*args, "--json")).stdout)


def configure(monkeypatch: pytest.MonkeyPatch, engine: Engine, task_queue: str,
              address: str) -> None:
    """Point the CLI at ``address``, ``task_queue`` and the test database."""
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEMPORAL_ADDRESS", address)
    monkeypatch.setenv("OKOT_TASK_QUEUE", task_queue)
    monkeypatch.setenv("OKOT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()


def cli_on(monkeypatch: pytest.MonkeyPatch, env: WorkflowEnvironment, engine: Engine,
           task_queue: str) -> Iterator[Cli]:
    """Body of a ``cli`` fixture: the CLI wired to ``env``'s server (settings cache cleared)."""
    configure(monkeypatch, engine, task_queue, env.client.service_client.config.target_host)
    yield Cli()
    get_settings.cache_clear()


async def wait_for(check: Any, timeout: float = 10.0) -> Any:
    """Poll the coroutine function ``check`` until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last: {value!r})")
        await asyncio.sleep(0.2)

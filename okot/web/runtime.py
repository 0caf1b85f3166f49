"""What the web app's handlers share: the database engine, the Temporal client, settings."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.engine import Engine
from temporalio.client import Client

from okot.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    client: Client
    task_queue: str


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt

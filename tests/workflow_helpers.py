"""Helpers for driving a trajectory on a Temporal test server."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

import history_manifest
from google.protobuf.message import Message as Message_
from sqlalchemy import Engine
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHandle
from temporalio.converter import PayloadCodec
from temporalio.testing import WorkflowEnvironment

from okot.domain.calendar import local_date
from okot.domain.messages import (
    Message,
    RecordPrecheck,
    SubmitCandidacy,
)
from okot.domain.status import (
    OpenTrajectory,
    TimelineEntry,
    TrajectoryStatus,
)
from okot.domain.values import (
    Actor,
    Role,
)
from okot.temporal import trajectories
from worker import build_worker

HISTORIES = history_manifest.HISTORIES

def save_history_enabled() -> bool:
    """Set OKOT_SAVE_HISTORIES=1 to record new histories into tests/histories/<version>/."""
    return os.environ.get("OKOT_SAVE_HISTORIES") == "1"


CW = Actor(role=Role.CASEWORKER, id="cw-anna")
CW2 = Actor(role=Role.CASEWORKER, id="cw-bart")
MED = Actor(role=Role.MEDIATOR, id="med-carl")
TL = Actor(role=Role.TEAMLEAD, id="tl-dora")


@asynccontextmanager
async def running_worker(client: Client, engine: Engine, task_queue: str) -> AsyncIterator[None]:
    async with build_worker(client, engine, task_queue=task_queue):
        yield


def candidacy(
    level: str = "bachelor",
    programme: str = "Informatica",
    school: str = "HoGent",
    channel: str = "mediator",
    by: Actor = CW,
) -> tuple[Message, Message]:
    """A positive pre-check for ``level`` and the candidacy that may follow it."""
    return (
        RecordPrecheck(actor=CW, conditions_met=True, twe_active=False, study_level=level),
        SubmitCandidacy(actor=by, programme=programme, study_level=level, school=school,
                        channel=channel, mediator=MED.id),
    )


OPENED: list[tuple[Client, str]] = []
"""Workflows opened by tests; terminated after each test so that no timer of an
earlier test keeps the time-skipping server busy."""


async def terminate_leftovers() -> None:
    while OPENED:
        client, workflow_id = OPENED.pop()
        with contextlib.suppress(Exception):  # already closed
            await client.get_workflow_handle(workflow_id).terminate("test finished")


class Driver:
    """Sends messages to one trajectory and reads it back."""

    def __init__(self, env: WorkflowEnvironment, case_id: str, task_queue: str) -> None:
        self.env = env
        self.client = env.client
        self.case_id = case_id
        self.task_queue = task_queue
        self.handle: WorkflowHandle[Any, TrajectoryStatus] | None = None

    async def open(self, **fields: Any) -> TrajectoryStatus:
        request = OpenTrajectory(
            case_id=self.case_id, ocmw=fields.pop("ocmw", "gent"), caseworker=CW.id,
            teamlead=fields.pop("teamlead", TL.id), **fields
        )
        self.handle = await trajectories.open_trajectory(
            self.client, request, self.task_queue, today=await self.today()
        )
        OPENED.append((self.client, self.handle.id))
        return await self.status()

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def today(self) -> date:
        return local_date(await self.now())

    async def signal(self, message: Message) -> TrajectoryStatus:
        await trajectories.signal(self.client, self.case_id, message)
        return await self.status()

    async def update(self, message: Message) -> TrajectoryStatus:
        return await trajectories.send(self.client, self.case_id, message)

    async def status(self) -> TrajectoryStatus:
        return await trajectories.status(self.client, self.case_id)

    async def timeline(self) -> list[TimelineEntry]:
        return await trajectories.timeline(self.client, self.case_id)

    async def sleep(self, days: float) -> None:
        await self.env.sleep(timedelta(days=days))

    async def deadline_events(self) -> list[TimelineEntry]:
        return [e for e in await self.timeline() if e.name == "deadline"]

    async def save_history(self, name: str, run_id: str | None = None) -> None:
        """Record this trajectory's history as a new file of the current version's
        folder and append it to the MANIFEST; never overwrites a recorded one. Payloads
        are stored decoded: the session's test keyring is gone after the run."""
        assert self.handle is not None
        path = history_manifest.target(name)
        handle = self.client.get_workflow_handle(self.handle.id, run_id=run_id)
        history = await handle.fetch_history()
        codec = self.client.data_converter.payload_codec
        if codec is not None:
            for event in history.events:
                await _decoded(event, codec)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x") as out:  # "x": fails if another run wrote it meanwhile
            out.write(json.dumps(json.loads(history.to_json()), indent=1))
        history_manifest.append(path)


async def _decoded(message: Message_, codec: PayloadCodec) -> None:
    """Decode every payload in ``message`` (a history event) in place."""
    for field, value in message.ListFields():
        kind = field.message_type
        if kind is None:
            continue
        if isinstance(value, Message_):
            items = [value]
        elif kind.GetOptions().map_entry:
            items = list(value.values()) if kind.fields_by_name["value"].message_type else []
        else:
            items = list(value)  # a repeated field
        for item in items:
            if isinstance(item, Payload):
                (plain,) = await codec.decode([item])
                item.CopyFrom(plain)
            else:
                await _decoded(item, codec)

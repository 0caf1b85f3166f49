"""Hostile input: random and hostile payloads sent as Updates and Signals, each answered.

Every trajectory gets its payloads one after the other (a Signal's answer is its
timeline entry, read back before the next payload goes: one sender at the pace the
worker answers, never a flood faster than that, which the README documents as a
limit). Each answer is checked: accepted exactly when the pure rules accept the
payload, or refused with a clear reason (:func:`bench.chaos.hostile.unclear`). Then
every trajectory must still answer a status query and accept a valid Update.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from bench.chaos.driving import Trajectory, new_trajectory, today, update
from bench.chaos.faults import open_all
from bench.chaos.hostile import Payload, hostile, unclear
from okot.domain import journey
from okot.domain.changes import Accepted
from okot.domain.messages import Message, UpdatePolicy, parse_message
from okot.domain.policy import ReminderPolicy
from okot.domain.status import TimelineEntry
from okot.domain.values import Actor, Role
from okot.temporal import trajectories


@dataclass
class Answers:
    sent: int = 0
    clear: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    longest: int = 0


def _message(p: Payload) -> Message | None:
    if len(p.args) != 1 or not isinstance(p.args[0], dict):
        return None
    try:
        return parse_message(p.name, p.args[0])
    except (ValueError, ValidationError):
        return None


def _rules_accept(t: Trajectory, message: Message | None) -> bool:
    assert t.model is not None
    return message is not None and isinstance(
        journey.decide(t.model, message, datetime.now(UTC)), Accepted)


async def _message_entries(client: Client, t: Trajectory) -> list[TimelineEntry]:
    return [e for e in await trajectories.timeline(client, t.case_id) if e.kind == "message"]


async def _signal_answer(client: Client, t: Trajectory, before: int) -> TimelineEntry | None:
    for _ in range(600):
        entries = await _message_entries(client, t)
        if len(entries) > before:
            return entries[before]
        await asyncio.sleep(0.1)
    return None


async def _one(client: Client, t: Trajectory, p: Payload, answers: Answers,
               entries: list[int]) -> None:
    handle = client.get_workflow_handle(t.workflow_id)
    message = _message(p)
    expect = _rules_accept(t, message)
    answers.sent += 1
    t.sent += 1
    reason: str | None = None
    accepted = False
    where = p.kind
    try:
        if p.kind == "update":
            try:
                await handle.execute_update(p.name, args=p.args)
                accepted = True
                entries[0] += 1  # an accepted Update is a timeline entry too
            except WorkflowUpdateFailedError as err:
                cause = err.cause
                reason = cause.message if isinstance(cause, ApplicationError) else str(cause)
        else:
            await handle.signal(p.name, args=p.args)
            entry = await _signal_answer(client, t, entries[0])
            if entry is None:
                answers.problems.append(f"{p.what} signal {p.name}: no timeline entry")
                return
            entries[0] += 1
            accepted, reason = entry.accepted, entry.reason
            if not accepted:
                t.rejected_signal()
    except RPCError as err:  # refused by the server itself (a size limit, ...)
        where, reason = "server", err.message
    answers.longest = max(answers.longest, len(reason or ""))
    if accepted != expect:
        answers.problems.append(f"{p.what} {p.kind} {p.name}: "
                                f"{'accepted' if accepted else 'refused'}, rules say otherwise")
        return
    if not accepted:
        problem = unclear(reason or "", p)
        if problem is not None:
            answers.problems.append(f"{p.what} {p.kind} {p.name}: {problem}: {reason!r:.300}")
            return
    elif message is not None:
        t.apply(message, datetime.now(UTC))
    answers.clear += 1
    answers.outcomes[f"{'accepted' if accepted else 'refused'} ({where})"] += 1


def _still_working(t: Trajectory, rng: random.Random) -> UpdatePolicy:
    """A valid Update in any open stage: operations replaces the reminder policy."""
    assert t.model is not None
    while True:
        policy = ReminderPolicy(repeat_days=rng.randrange(13, 60))
        if policy != t.model.policy:
            return UpdatePolicy(actor=Actor(role=Role.OPERATIONS, id="ops-chaos"),
                                reason="controle na de vloed", policy=policy)


async def hostile_input(client: Client, task_queue: str, rng: random.Random, total: int,
                        count: int) -> tuple[list[Trajectory], Answers]:
    """``total`` hostile payloads over ``count`` trajectories, each answered and checked."""
    trajs = [new_trajectory("hostile", n, rng) for n in range(count)]
    await open_all(client, task_queue, trajs)
    day = today()
    lanes: dict[str, list[Payload]] = {t.case_id: [] for t in trajs}
    for n in range(total):
        t = trajs[n % count]
        lanes[t.case_id].append(hostile(t, rng, day))
    answers = Answers()

    async def lane(t: Trajectory) -> None:
        entries = [len(await _message_entries(client, t))]
        for p in lanes[t.case_id]:
            await _one(client, t, p, answers, entries)
        assert t.model is not None
        if not t.model.is_open:  # the rules closed it (a valid closing message)
            return
        refused = await update(client, t, _still_working(t, rng), f"{t.case_id}-after")
        if refused is not None:
            t.problems.append(f"a valid Update after the flood was refused: {refused[:200]}")

    await asyncio.gather(*(lane(t) for t in trajs))
    return trajs, answers


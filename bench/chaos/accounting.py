"""What was observed, against what should have happened: mails, audit rows, stuck workflows.

* **mails**: the ``.eml`` files the SMTP catcher accepted, by Message-ID and by
  recipient x template x case, against the mails the rules imply;
* **audit log**: each timeline entry exactly once among the current rows of
  ``audit_log`` (no superseded rows: nothing here resets a workflow);
* **stuck**: a trajectory is settled when its workflow has the stage and event count
  the rules say, no pending activity, no ``OkotAttention``, and the database has its
  snapshot at that event, every audit record and every mail sent; one that is not
  settled when the suite stops waiting is stuck;
* **workflow task failures**: ``WorkflowTaskFailed`` events in every run's history.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import Engine, text
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.converter import DataConverter, WorkflowSerializationContext

from bench.chaos.driving import Mail, NoAnswer, Trajectory, status
from okot.temporal import search_attributes as sa

_CASE_LINK = re.compile(r"/dossiers/([A-Za-z0-9_-]+)")
SEND_WINDOW = timedelta(seconds=2)
"""Longest time between the mail server's acceptance and a SIGKILL for which a resend
counts as SMTP's at-least-once window (measured: median 5 ms, p99 90 ms on a loaded
2-core machine, from acceptance to the outbox's "sent")."""


@dataclass
class Row:
    scenario: str
    sent: int
    expected: int
    observed: int
    lost: int
    duplicated: int
    stuck: int

    explained: int = 0
    """Duplicates that are SMTP's at-least-once window at a crash (see :func:`resent_across_kill`)."""

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == self.explained and self.stuck == 0


def print_table(rows: Sequence[Row]) -> None:
    width = max(len("scenario"), *(len(r.scenario) for r in rows))
    head = ("sent", "expected", "observed", "lost", "duplicated", "stuck")
    print(f"{'scenario':<{width}}" + "".join(f"{h:>11}" for h in head))
    for r in rows:
        print(f"{r.scenario:<{width}}" + "".join(
            f"{v:>11,}" for v in (r.sent, r.expected, r.observed, r.lost, r.duplicated, r.stuck)))


# -------------------------------------------------------------------------- mails


def _read_mail(path: Path) -> Mail | None:
    try:
        parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    except OSError:
        return None
    assert isinstance(parsed, EmailMessage)
    body = parsed.get_body(preferencelist=("plain",))
    content = body.get_content() if body is not None else ""
    case = _CASE_LINK.search(content if isinstance(content, str) else "")
    recipient = str(parsed.get("X-Okot-Envelope-To", "")).strip()
    # okot_dev.mailcatcher names each file after the moment it accepted the mail (UTC)
    accepted = datetime.strptime(path.name.split("-")[0], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    return Mail(str(parsed.get("Message-ID", "")).strip(), recipient,
                str(parsed.get("X-OKOT-Template", "")), case.group(1) if case else "?", accepted)


def caught_mails(mail_dir: Path) -> list[Mail]:
    """Every mail the catcher accepted (a resent mail is a file of its own)."""
    if not mail_dir.is_dir():
        return []
    found = (_read_mail(p) for p in sorted(mail_dir.glob("*.eml")))
    return [m for m in found if m is not None]


def resent_across_kill(copies: Sequence[Mail], kills: Sequence[datetime]) -> bool:
    """Two copies of one Message-ID, the first accepted by the mail server at most
    :data:`SEND_WINDOW` before a SIGKILL of the worker: the worker died between the
    server's acceptance and the outbox's record of it, and the next attempt sent the
    same mail again (at-least-once; no SMTP client can tell it went through)."""
    if len(copies) != 2:
        return False
    first = min(m.accepted_at or datetime.max.replace(tzinfo=UTC) for m in copies)
    return any(timedelta(0) <= kill - first <= SEND_WINDOW for kill in kills)


@dataclass
class MailCount:
    row: Row
    resent: int
    """Duplicates explained by :func:`resent_across_kill` (included in ``row.duplicated``)."""
    notes: list[str]


def mail_row(scenario: str, trajs: Sequence[Trajectory], caught: Sequence[Mail], stuck: int,
             kills: Sequence[datetime] = ()) -> MailCount:
    """Mails expected for ``trajs`` against the caught ones (by id and by what they are)."""
    expected = [m for t in trajs for m in t.expected_mails()]
    ids = {m.message_id for m in expected}
    cases = {t.case_id for t in trajs}
    mine = [m for m in caught if m.message_id in ids or m.case_id in cases]
    by_id = Counter(m.message_id for m in mine)
    lost_id = sum(1 for m in expected if by_id[m.message_id] == 0)
    dup_id = sum(by_id[i] - 1 for i in ids if by_id[i] > 1) + sum(
        n for i, n in by_id.items() if i not in ids)
    what = Counter((m.recipient, m.template, m.case_id) for m in expected)
    seen = Counter((m.recipient, m.template, m.case_id) for m in mine)
    lost_what = sum(max(n - seen[k], 0) for k, n in what.items())
    dup_what = sum(max(n - what[k], 0) for k, n in seen.items())
    notes = []
    if (lost_id, dup_id) != (lost_what, dup_what):
        notes.append(f"by Message-ID lost {lost_id}, duplicated {dup_id}; by recipient x "
                     f"template x case lost {lost_what}, duplicated {dup_what}")
    resent = 0
    for message_id in sorted(i for i in ids if by_id[i] > 1):
        copies = [m for m in mine if m.message_id == message_id]
        if resent_across_kill(copies, kills):
            resent += 1
            gap = min(k - min(c.accepted_at for c in copies if c.accepted_at) for k in kills
                      if k >= min(c.accepted_at for c in copies if c.accepted_at))
            notes.append(f"{copies[0].template} of {copies[0].case_id} arrived twice with the same "
                         f"Message-ID: the worker was SIGKILLed {gap.total_seconds() * 1000:.0f} ms "
                         "after the mail server accepted it, before the outbox recorded it")
    once = sum(1 for i in ids if by_id[i] == 1)
    sent = sum(t.sent for t in trajs)
    row = Row(scenario, sent, len(expected), once, max(lost_id, lost_what),
              max(dup_id, dup_what), stuck)
    return MailCount(row, resent, notes)


# ---------------------------------------------------------------------- audit log


def _audit_rows(engine: Engine, trajectory_ids: Iterable[str]) -> list[tuple[str, int, bool]]:
    ids = list(trajectory_ids)
    if not ids:
        return []
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT trajectory_id, seq, superseded_at IS NULL FROM audit_log "
            "WHERE trajectory_id = ANY(:ids)"), {"ids": ids}).all()
    return [(str(r[0]), int(r[1]), bool(r[2])) for r in rows]


def audit_row(scenario: str, engine: Engine, trajs: Sequence[Trajectory],
              stuck: int) -> Row:
    """Each timeline entry the rules imply once among the current audit rows."""
    rows = _audit_rows(engine, (t.trajectory_id for t in trajs))
    current = Counter((tid, seq) for tid, seq, now in rows if now)
    superseded = sum(1 for _, _, now in rows if not now)
    expected = lost = extra = 0
    for t in trajs:
        expected += t.entries
        lost += sum(1 for seq in range(1, t.entries + 1) if current[(t.trajectory_id, seq)] == 0)
        extra += sum(n for (tid, seq), n in current.items()
                     if tid == t.trajectory_id and seq > t.entries)
    observed = expected - lost
    return Row(scenario, sum(t.sent for t in trajs), expected, observed, lost,
               extra + superseded, stuck)


# -------------------------------------------------------------------------- stuck


def _db_state(engine: Engine, t: Trajectory) -> tuple[str | None, int | None, list[str], int]:
    with engine.connect() as conn:
        snap = conn.execute(text("SELECT stage, seq FROM trajectory WHERE trajectory_id = :t"),
                            {"t": t.trajectory_id}).first()
        states = conn.execute(text("SELECT state FROM outbox WHERE trajectory_id = :t"),
                              {"t": t.trajectory_id}).scalars().all()
        audited = conn.execute(text(
            "SELECT count(*) FROM audit_log WHERE trajectory_id = :t AND superseded_at IS NULL"),
            {"t": t.trajectory_id}).scalar_one()
    return (snap[0] if snap else None, snap[1] if snap else None, [str(s) for s in states],
            int(audited))


async def unsettled(client: Client, engine: Engine, t: Trajectory) -> str | None:
    """Why ``t`` is not settled yet (None: it is)."""
    model = t.model
    if model is None:
        return "never opened"
    if t.problems:
        return t.problems[0]
    try:
        now = await status(client, t.case_id, give_up=30)
    except NoAnswer as error:
        return str(error)
    if (now.stage, now.seq) != (model.stage, model.seq):
        return f"workflow at {now.stage.value} #{now.seq}, rules say {model.stage.value} #{model.seq}"
    described = await client.get_workflow_handle(t.workflow_id).describe()
    task = described.raw_description.pending_workflow_task
    if task.attempt > 1:
        return f"its workflow task is at attempt {task.attempt} (failing or timing out)"
    pending = described.raw_description.pending_activities
    if pending:
        return f"{len(pending)} pending activit{'y' if len(pending) == 1 else 'ies'}"
    if described.typed_search_attributes.get(sa.ATTENTION):
        return "OkotAttention set"
    if described.status not in (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED):
        return f"workflow {described.status.name if described.status else '?'}"
    stage, seq, states, audited = await asyncio.to_thread(_db_state, engine, t)
    if (stage, seq) != (model.stage.value, model.seq):
        return f"database snapshot at {stage} #{seq}, workflow at {model.stage.value} #{model.seq}"
    if audited != t.entries:
        return f"{audited} of {t.entries} audit records"
    unsent = [s for s in states if s != "sent"]
    if unsent or len(states) != len(t.notices):
        return f"outbox: {len(states) - len(unsent)} of {len(t.notices)} mails sent"
    return None


async def settle(client: Client, engine: Engine, trajs: Sequence[Trajectory],
                 timeout: float) -> dict[str, str]:
    """Wait until every trajectory is settled; returns the stuck ones with why."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    waiting = {t.case_id: t for t in trajs}
    why: dict[str, str] = {}
    gate = asyncio.Semaphore(16)

    async def check(t: Trajectory) -> None:
        async with gate:
            reason = await unsettled(client, engine, t)
        if reason is None:
            waiting.pop(t.case_id, None)
            why.pop(t.case_id, None)
        else:
            why[t.case_id] = reason

    while waiting:
        await asyncio.gather(*(check(t) for t in list(waiting.values())))
        if not waiting or loop.time() > deadline:
            break
        await asyncio.sleep(2)
    return {case: why[case] for case in waiting}


# ---------------------------------------------------------------- histories


async def task_failures(client: Client, workflow_id: str) -> Counter[str]:
    """``WorkflowTaskFailed`` events of every run of ``workflow_id``, by cause and the
    failure's first line (decoded with the trajectory's key; ids and classes only)."""
    causes: Counter[str] = Counter()
    converter = client.data_converter.with_context(
        WorkflowSerializationContext(namespace=client.namespace, workflow_id=workflow_id))
    async for run in client.list_workflows(f"WorkflowId = '{workflow_id}'"):
        history = await client.get_workflow_handle(workflow_id, run_id=run.run_id).fetch_history()
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                attributes = event.workflow_task_failed_event_attributes
                cause = WorkflowTaskFailedCause.Name(attributes.cause).removeprefix(
                    "WORKFLOW_TASK_FAILED_CAUSE_")
                if attributes.identity == SERVER:
                    causes[f"{cause} {BY_THE_SERVER}"] += 1
                    continue
                causes[f"{cause}: {await _failure_line(converter, attributes.failure)}"] += 1
    return causes


SERVER = "history-service"
BY_THE_SERVER = "(by the server)"
"""A workflow task the server failed itself, e.g. ``FORCE_CLOSE_COMMAND`` when Signals
that came in while the task ran filled its buffer (Temporal's buffered-events limits:
a few 1 MB Signals): the task runs again at once with them; not the workflow's code."""


def by_the_workflow(failures: Counter[str]) -> Counter[str]:
    """The workflow task failures of the worker's own making (those that gate)."""
    return Counter({k: v for k, v in failures.items() if not k.endswith(BY_THE_SERVER)})


async def _failure_line(converter: DataConverter, failure: Failure) -> str:
    try:
        error = await converter.decode_failure(failure)
    except Exception as undecodable:  # the key away (database down): say so
        return f"undecodable failure ({type(undecodable).__name__})"
    return f"{type(error).__name__}: {str(error).splitlines()[0][:160] if str(error) else ''}"

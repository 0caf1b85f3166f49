"""The write API (okot.db.events, okot.db.outbox, okot.db.registrations): idempotent,
out-of-order safe, never logs free text."""

from __future__ import annotations

import logging
import random
from datetime import UTC, date, datetime, timedelta

import pytest
import structlog
from db_fixtures import simulate, simulate_many
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from okot.db.events import record_event
from okot.db.outbox import (
    get_notification,
    list_notifications,
    mark_notification,
    put_notification,
)
from okot.db.registrations import record_registration
from okot.db.tables import (
    AUDIT_LOG,
    OUTBOX,
    REGISTRATION,
    STAGE_VISIT,
    TRAJECTORY,
)
from okot.domain.calendar import (
    local_date,
    working_days_between,
)
from okot.domain.effects import (
    NotifyRequest,
    RecordRequest,
    RegisterRequest,
)
from okot.domain.status import Notice
from okot.domain.values import Role

pytest_plugins = ("db_fixtures",)


def one_trajectory(seed: int = 3, full: bool = True) -> list[RecordRequest]:
    """The requests of one trajectory that goes all the way (or not)."""
    rng = random.Random(seed)
    while True:
        sim = simulate(rng, f"gent-{rng.randint(0, 10**6)}", "gent", "cw.anna", "med.bart",
                       date(2023, 1, 9))
        if not full or (sim.status.closure is not None and sim.status.closure.value == "completed"):
            return sim.requests


def count(engine: Engine, table: object, *where: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(
            select(func.count()).select_from(table).where(*where)  # type: ignore[arg-type]
        ).scalar_one())


def snapshot(engine: Engine, workflow_id: str) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(select(TRAJECTORY).where(TRAJECTORY.c.workflow_id == workflow_id))
        return dict(row.one()._mapping)


def visits(engine: Engine, workflow_id: str) -> list[tuple[str, int | None]]:
    v = STAGE_VISIT.c
    with engine.connect() as conn:
        return [
            (r.stage, r.working_days)
            for r in conn.execute(
                select(v.stage, v.working_days)
                .where(v.workflow_id == workflow_id)
                .order_by(v.entered_seq)
            )
        ]


def test_same_key_recorded_three_times_leaves_one_row(db: Engine) -> None:
    requests = one_trajectory()
    first = requests[3]
    assert [record_event(db, first) for _ in range(3)] == [True, False, False]
    assert count(db, AUDIT_LOG, AUDIT_LOG.c.key == first.key) == 1
    assert count(db, TRAJECTORY) == 1
    assert count(db, STAGE_VISIT) == 2  # orientation (opening) and the stage entered


def test_snapshot_is_flattened_from_the_status(db: Engine) -> None:
    requests = one_trajectory()
    for r in requests:
        assert record_event(db, r)
    final = requests[-1].status
    row = snapshot(db, requests[0].workflow_id)
    assert row["seq"] == final.seq
    assert row["stage"] == "closed" and row["closure"] == "completed" and not row["is_open"]
    assert row["outcome"] == final.outcome.value  # type: ignore[union-attr]
    assert row["ocmw"] == "gent" and row["caseworker"] == "cw.anna"
    assert row["mediator"] == "med.bart"
    assert row["study_level"] == final.study_level.value  # type: ignore[union-attr]
    for name in ("agreement_on", "handover_on", "probable_start", "started_on", "expected_end",
                 "ended_on", "follow_up_agreed_on"):
        assert row[name] == getattr(final, name), name
    assert row["candidacy_on"] == final.candidacy.on  # type: ignore[union-attr]
    assert row["screening_on"] == final.screening.on  # type: ignore[union-attr]
    assert row["opened_at"] == final.opened_at
    assert row["stage_since"] == final.stage_since
    assert row["closed_on"] == local_date(final.closed_at)  # type: ignore[arg-type]
    assert row["follow_up_lead"] == final.follow_up_lead.value  # type: ignore[union-attr]
    assert row["employed_6m"] is not None and row["employed_12m"] is not None
    assert row["status"] == final.model_dump(mode="json")
    assert row["next_deadline_due"] is None and row["awaiting"] == "nothing: closed"


def test_open_snapshot_has_deadline_and_awaiting(db: Engine) -> None:
    requests = one_trajectory()
    for r in requests[:4]:
        record_event(db, r)
    status = requests[3].status
    row = snapshot(db, requests[0].workflow_id)
    assert status.next_deadline is not None
    assert row["next_deadline_due"] == status.next_deadline.due
    assert row["next_deadline_kind"] == status.next_deadline.kind.value
    assert row["awaiting"] == status.next_deadline.awaiting
    assert row["is_open"] and row["overdue"] is False


def test_out_of_order_events_keep_the_newest_snapshot_and_the_same_history(db: Engine) -> None:
    requests = one_trajectory()
    in_order = requests[0].workflow_id
    for r in requests:
        record_event(db, r)
    expected_visits = visits(db, in_order)
    expected_snapshot = snapshot(db, in_order)

    db_rows = count(db, AUDIT_LOG)
    # The same trajectory once more, under another id, in a random order.
    other = [
        r.model_copy(update={"workflow_id": "okot-shuffled", "key": "x" + r.key})
        for r in requests
    ]
    random.Random(5).shuffle(other)
    for r in other:
        assert record_event(db, r)
    assert count(db, AUDIT_LOG) == 2 * db_rows
    assert visits(db, "okot-shuffled") == expected_visits
    got = snapshot(db, "okot-shuffled")
    for ignored in ("trajectory_id", "workflow_id", "updated_at"):
        got.pop(ignored), expected_snapshot.pop(ignored)
    assert got == expected_snapshot

    # An old event arriving late never overwrites the newer snapshot.
    late = requests[2].model_copy(update={"key": "late-retry-under-another-key"})
    assert record_event(db, late)
    assert snapshot(db, in_order)["seq"] == requests[-1].status.seq


def test_stage_history_working_days(db: Engine) -> None:
    requests = one_trajectory()
    for r in requests:
        record_event(db, r)
    entered = [(r.entry.stage_after.value, r.entry.at) for r in requests
               if r.entry.accepted and r.entry.stage_before is not r.entry.stage_after]
    entered.insert(0, ("orientation", requests[0].status.opened_at))
    expected = [
        (stage, working_days_between(local_date(at), local_date(entered[i + 1][1])))
        for i, (stage, at) in enumerate(entered[:-1])
    ] + [("closed", None)]
    assert visits(db, requests[0].workflow_id) == expected


def test_rejected_messages_are_audited_with_their_reason(db: Engine) -> None:
    rng = random.Random(1)
    sims = [simulate(rng, f"gent-{i}", "gent", "cw.anna", "med.bart", date(2023, 2, 1))
            for i in range(40)]
    rejected = [r for s in sims for r in s.requests if not r.entry.accepted]
    assert rejected
    for r in rejected:
        assert record_event(db, r)
    a = AUDIT_LOG.c
    with db.connect() as conn:
        rows = conn.execute(select(a.accepted, a.reason, a.name, a.payload)).all()
    assert len(rows) == len(rejected)
    assert all(not row.accepted and row.reason for row in rows)
    assert {row.name for row in rows} == {"record_end"}
    assert rows[0].payload["actor"]["role"] == "mediator"


def test_free_text_is_stored_but_never_logged(db: Engine, capsys: pytest.CaptureFixture[str],
                                              caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(11)
    sim = simulate(rng, "gent-77", "gent", "cw.anna", "med.bart", date(2023, 3, 1))
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as logs:
        for r in sim.requests:
            record_event(db, r)
    assert logs, "record_event logs what it did"
    text = repr(logs) + caplog.text + capsys.readouterr().err
    for secret in sim.free_text:
        assert secret not in text
    with db.connect() as conn:
        stored = repr(conn.execute(select(AUDIT_LOG.c.payload)).all())
    assert sim.free_text[0] in stored


def notice(key: str, to: str = "cw.anna") -> NotifyRequest:
    return NotifyRequest(
        workflow_id="okot-gent-1",
        notice=Notice(role=Role.CASEWORKER, to=to, template="candidacy_submitted", key=key,
                      context={"case_id": "gent-1", "channel": "training_guide"}),
    )


def test_outbox(db: Engine) -> None:
    first, created = put_notification(db, notice("k1"))
    assert created
    assert put_notification(db, notice("k1")) == (first, False)
    assert put_notification(db, notice("k1")) == (first, False)
    second, _ = put_notification(db, notice("k2", to="cw.dirk"))
    assert second != first
    assert count(db, OUTBOX) == 2

    row = get_notification(db, first)
    assert row is not None
    assert (row.state, row.attempts, row.case_id, row.template) == (
        "queued", 0, "gent-1", "candidacy_submitted")
    assert row.recipient_role == "caseworker" and row.recipient == "cw.anna"
    assert row.context == {"case_id": "gent-1", "channel": "training_guide"}
    assert row.created_at.tzinfo is not None

    mark_notification(db, first, "failed", error="smtp timeout")
    mark_notification(db, second, "sent", message_id="<m1@okot>")
    failed = list_notifications(db, failed_only=True)
    assert [(n.id, n.attempts, n.last_error) for n in failed] == [(first, 1, "smtp timeout")]
    sent = get_notification(db, second)
    assert sent is not None and sent.state == "sent" and sent.message_id == "<m1@okot>"
    assert sent.sent_at is not None and sent.sent_at <= datetime.now(UTC) + timedelta(seconds=1)

    mark_notification(db, first, "sent", message_id="<m2@okot>")
    again = get_notification(db, first)
    assert again is not None and (again.state, again.attempts, again.last_error) == (
        "sent", 2, None)
    assert list_notifications(db, failed_only=True) == []
    assert len(list_notifications(db, case_id="gent-1")) == 2
    assert list_notifications(db, case_id="nobody") == []
    with pytest.raises(LookupError, match="no notification with outbox id"):
        get_notification(db, 10**6)
    with pytest.raises(LookupError):
        mark_notification(db, 10**6, "sent")
    with pytest.raises(ValueError, match="state must be one of"):
        mark_notification(db, first, "lost")


def test_registration_is_idempotent(db: Engine) -> None:
    request = RegisterRequest(workflow_id="okot-gent-1", case_id="gent-1", ocmw="gent", key="r1")
    reference = record_registration(db, request)
    assert reference.startswith("WZ-") and len(reference) == 11
    assert record_registration(db, request) == reference
    assert record_registration(db, request) == reference
    other = record_registration(db, request.model_copy(update={"key": "r2"}))
    assert other != reference
    assert count(db, REGISTRATION) == 2


def test_many_trajectories_record_quickly(db: Engine) -> None:
    sims = simulate_many(30, seed=2)
    for s in sims:
        for r in s.requests:
            record_event(db, r)
    assert count(db, TRAJECTORY) == 30
    assert count(db, AUDIT_LOG) == sum(len(s.requests) for s in sims)

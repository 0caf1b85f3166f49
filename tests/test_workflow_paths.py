"""The OkotTrajectory workflow on the time-skipping server: whole paths over years.

Signals drive the workflow here (waiting on an Update does not skip time on
this server); ``env.sleep`` moves time so durable timers fire.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from workflow_helpers import (
    CW,
    CW2,
    MED,
    TL,
    Driver,
    candidacy,
    running_worker,
    save_history_enabled,
)

from okot.db import outbox
from okot.domain.calendar import (
    add_months,
    add_working_days,
    local_date,
    next_working_day,
    working_days_between,
)
from okot.domain.messages import (
    AgreeFollowUp,
    ConfirmHandover,
    ConfirmStart,
    DeclineAgreement,
    GiveAgreement,
    Reassign,
    RecordEmployment,
    RecordEnd,
    RecordInfo,
    RecordPrecheck,
    RecordScreening,
    SubmitCandidacy,
    Withdraw,
)
from okot.domain.status import TrajectoryStatus
from okot.domain.values import (
    Closure,
    DeadlineKind,
    Stage,
    TrainingResult,
)


async def wait_for(
    d: Driver, pred: Callable[[TrajectoryStatus], bool], timeout: float = 20
) -> TrajectoryStatus:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        s = await d.status()
        if pred(s):
            return s
        if loop.time() > end:
            raise AssertionError(f"condition not met; status stage={s.stage} {s}")
        await asyncio.sleep(0.1)


async def to_screening(d: Driver, registered: bool = True) -> TrajectoryStatus:
    await d.open(registered_jobseeker=registered)
    today = await d.today()
    await d.signal(RecordInfo(actor=MED, date=today, channel="info_session"))
    await d.signal(
        RecordPrecheck(actor=CW, conditions_met=True, twe_active=False, study_level="graduaat")
    )
    s = await d.signal(
        SubmitCandidacy(actor=CW, programme="Verpleegkunde", study_level="graduaat",
                        school="HBO5 Gent", channel="training_guide", mediator=MED.id)
    )
    assert s.stage is Stage.AWAITING_AGREEMENT
    await d.signal(GiveAgreement(actor=CW))
    s = await wait_for(d, lambda s: s.stage is Stage.HANDOVER)
    await d.signal(ConfirmHandover(actor=CW, date=await d.today(), channel="phone"))
    return await wait_for(d, lambda s: s.stage is Stage.SCREENING)


async def to_training(d: Driver, registered: bool = True) -> TrajectoryStatus:
    await to_screening(d, registered)
    today = await d.today()
    start = today + timedelta(days=14)
    s = await d.signal(RecordScreening(actor=MED, approved=True, start_date=start,
                                       location="Gent"))
    assert s.stage is Stage.AWAITING_START
    await d.sleep(14)
    day = await d.today()
    return await d.signal(ConfirmStart(actor=MED, date=day, location="Gent",
                                       expected_end=add_months(day, 34)))


def templates_for(engine: Engine, case_id: str) -> list[tuple[str, str, str]]:
    rows = outbox.list_notifications(engine, case_id=case_id)
    return [(r.template, r.recipient_role, r.recipient) for r in rows]


async def finish(d: Driver, name: str) -> TrajectoryStatus:
    assert d.handle is not None
    result = await d.client.get_workflow_handle(d.handle.id, result_type=TrajectoryStatus).result()
    if save_history_enabled():
        await d.save_history(name)
    return result


async def test_full_path_to_passed_over_three_years(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        s = await to_training(d, registered=False)
        assert s.stage is Stage.IN_TRAINING
        assert s.jobseeker_reference is not None
        started = s.started_on
        assert started is not None
        # three years of training: quarterly progress checks, then the end.
        await d.sleep(365 * 2 + 300)
        s = await d.status()
        assert s.stage is Stage.IN_TRAINING
        assert s.streams["progress_check"].sent >= 11
        day = await d.today()
        s = await d.signal(RecordEnd(actor=MED, result="passed", date=day))
        assert s.stage is Stage.FOLLOW_UP and s.outcome is TrainingResult.PASSED
        await d.signal(AgreeFollowUp(actor=CW, lead="vdab", plan="Sollicitatietraining"))
        await d.sleep(190)
        s = await d.signal(RecordEmployment(actor=CW, employed=True, date=await d.today()))
        assert s.employment[-1].check.value == "month_6"
        await d.sleep(190)
        s = await d.signal(RecordEmployment(actor=CW, employed=True, date=await d.today()))
        assert s.stage is Stage.CLOSED and s.closure is Closure.COMPLETED
        result = await finish(d, "full_path_passed")
    assert result.closure is Closure.COMPLETED and result.outcome is TrainingResult.PASSED
    sent = templates_for(engine, case_id)
    names = [t for t, _, _ in sent]
    for template in ("candidacy_submitted", "agreement_given", "registered", "screening_result",
                     "training_started", "training_ended", "progress_check",
                     "employment_check_6m", "employment_check_12m"):
        assert template in names, template
    assert ("agreement_given", "mediator", MED.id) in sent
    assert ("registered", "caseworker", CW.id) in sent and ("registered", "mediator", MED.id) in sent


async def test_screening_rejected(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        await to_screening(d)
        s = await d.signal(RecordScreening(actor=MED, approved=False,
                                           reasons=("motivation", "preconditions_childcare")))
        assert s.stage is Stage.CLOSED and s.closure is Closure.SCREENING_REJECTED
        result = await finish(d, "screening_rejected")
    assert result.screening is not None and not result.screening.approved
    assert ("screening_result", "caseworker", CW.id) in templates_for(engine, case_id)


async def test_agreement_declined(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        await d.open()
        for message in candidacy("bachelor", "Informatica", "HoGent", "mediator", by=MED):
            await d.signal(message)
        s = await d.signal(DeclineAgreement(actor=CW, reason="Client kiest voor werk"))
        assert s.closure is Closure.AGREEMENT_DECLINED
        await finish(d, "agreement_declined")


async def test_not_registered_client_goes_through_registering(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        s = await to_screening(d, registered=False)
        stages = [(e.stage_before, e.stage_after) for e in await d.timeline() if e.accepted]
        assert (Stage.AWAITING_AGREEMENT, Stage.REGISTERING) in stages
        assert (Stage.REGISTERING, Stage.HANDOVER) in stages
        assert s.registered_jobseeker and s.jobseeker_reference
        await d.signal(Withdraw(actor=CW, reason="verhuist"))
        await finish(d, "registering_then_withdrawn")


async def test_withdraw_before_start(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        await to_screening(d)
        s = await d.signal(RecordScreening(actor=MED, approved=True,
                                           start_date=await d.today() + timedelta(days=30),
                                           location="Aalst"))
        assert s.stage is Stage.AWAITING_START
        s = await d.signal(Withdraw(actor=CW, reason="Gezondheid"))
        assert s.closure is Closure.WITHDRAWN
        await finish(d, "withdrawn_before_start")
    assert ("withdrawn", "mediator", MED.id) in templates_for(engine, case_id)


async def test_stopped_early_in_year_two_and_reassignment(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        s = await to_training(d)
        await d.sleep(100)
        s = await d.signal(Reassign(actor=TL, caseworker=CW2.id))
        assert s.caseworker == CW2.id
        before = len([n for n in templates_for(engine, case_id) if n[0] == "progress_check"])
        await d.sleep(120)  # the next quarterly check goes to the new caseworker
        checks = [n for n in templates_for(engine, case_id) if n[0] == "progress_check"]
        assert len(checks) > before and checks[-1][2] == CW2.id
        await d.sleep(200)
        s = await d.signal(RecordEnd(actor=MED, result="stopped_early", date=await d.today()))
        assert s.outcome is TrainingResult.STOPPED_EARLY and s.stage is Stage.FOLLOW_UP
        assert s.started_on is not None and s.ended_on is not None
        assert 365 < (s.ended_on - s.started_on).days < 730  # in the second year
        await d.signal(AgreeFollowUp(actor=CW2, lead="ocmw", plan="Activering via OCMW"))
        await d.sleep(420)  # the 12-month check is never recorded: closes 20 wd after
        s = await d.status()
        assert s.closure is Closure.COMPLETED and s.closure_reason == "month_12_not_recorded"
        await finish(d, "stopped_early_year_two")
    sent = templates_for(engine, case_id)
    assert ("reassigned_to", "caseworker", CW2.id) in sent
    assert ("reassigned_from", "caseworker", CW.id) in sent


def _fired(entries: list, kind: str) -> list:
    return [local_date(e.at) for e in entries if kind + " due" in e.summary]


async def test_default_reminders_fire_on_the_right_working_days(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        s = await d.open()
        opened = local_date(s.stage_since)
        await d.sleep(130)  # orientation: 20, 40, 60 wd reminders, then escalation at 80
        events = await d.deadline_events()
        r = [add_working_days(opened, 20 * k) for k in (1, 2, 3)]
        assert _fired(events, "orientation_reminder") == r
        assert _fired(events, "orientation_escalation")[0] == add_working_days(r[-1], 20)
        assert (await d.status()).overdue
        await d.signal(RecordPrecheck(actor=CW, conditions_met=True, twe_active=False,
                                      study_level="secondary"))
        s = await d.signal(SubmitCandidacy(actor=CW, programme="Zorgkundige",
                                           study_level="secondary", school="CVO",
                                           channel="training_guide", mediator=MED.id))
        assert not s.overdue  # the stage moved on
        entered = local_date(s.stage_since)
        await d.sleep(20)
        events = await d.deadline_events()
        assert _fired(events, "agreement_reminder") == [add_working_days(entered, 5)]
        assert _fired(events, "agreement_escalation")[0] == add_working_days(entered, 10)
        await d.signal(GiveAgreement(actor=CW))
        s = await wait_for(d, lambda s: s.stage is Stage.HANDOVER)
        entered = local_date(s.stage_since)
        await d.sleep(20)
        events = await d.deadline_events()
        assert _fired(events, "handover_reminder") == [add_working_days(entered, 5)]
        assert _fired(events, "handover_escalation")[0] == add_working_days(entered, 10)
        s = await d.signal(ConfirmHandover(actor=CW, date=await d.today(), channel="meeting"))
        entered = local_date(s.stage_since)
        await d.sleep(50)
        events = await d.deadline_events()
        assert _fired(events, "screening_reminder") == [add_working_days(entered, 15)]
        assert _fired(events, "screening_escalation")[0] == add_working_days(entered, 30)
        start = await d.today() + timedelta(days=10)
        await d.signal(RecordScreening(actor=MED, approved=True, start_date=start, location="Gent"))
        await d.sleep(25)
        events = await d.deadline_events()
        assert _fired(events, "start_reminder")[0] == add_working_days(start, 5)
        day = await d.today()
        end = add_months(day, 12)
        await d.signal(ConfirmStart(actor=MED, date=day, location="Gent", expected_end=end))
        await d.sleep(400)
        events = await d.deadline_events()
        assert _fired(events, "progress_check")[0] == next_working_day(add_months(day, 3))
        assert _fired(events, "end_reminder")[0] == add_working_days(end, 10)
        ended = await d.today()
        s = await d.signal(RecordEnd(actor=MED, result="not_passed", date=ended))
        entered = local_date(s.stage_since)
        await d.sleep(400)
        events = await d.deadline_events()
        assert _fired(events, "follow_up_reminder")[0] == add_working_days(entered, 10)
        due6 = next_working_day(add_months(ended, 6))
        due12 = next_working_day(add_months(ended, 12))
        assert _fired(events, "employment_check_6m") == [due6]
        assert _fired(events, "employment_check_12m") == [due12]
        s = await d.status()
        assert s.closure is Closure.COMPLETED
        assert local_date(s.closed_at) == add_working_days(due12, 20)  # type: ignore[arg-type]
        await finish(d, "all_default_reminders")
    sent = templates_for(engine, case_id)
    assert ("orientation_escalation", "teamlead", CW.id) in sent
    assert ("screening_escalation", "teamlead", CW.id) in sent
    assert ("screening_reminder", "mediator", MED.id) in sent


async def test_forced_continue_as_new_keeps_state_deadlines_and_timeline(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        await d.open(continue_as_new_after_events=40)
        first_run = d.handle.result_run_id if d.handle else None
        for message in candidacy("bachelor", "Informatica", "HoGent", "mediator"):
            await d.signal(message)
        await d.sleep(60)  # reminders and escalations push the history past 40 events
        s = await d.status()
        desc = await d.client.get_workflow_handle(d.handle.id).describe()  # type: ignore[union-attr]
        assert desc.run_id != first_run
        assert s.stage is Stage.AWAITING_AGREEMENT and s.candidacy is not None
        assert s.next_deadline is not None and s.escalations_sent >= 2
        names = [e.name for e in await d.timeline()]
        assert names[:3] == ["opened", "record_precheck", "submit_candidacy"]
        keys = [r.key for r in outbox.list_notifications(engine, case_id=case_id)]
        assert len(keys) == len(set(keys))
        await d.signal(GiveAgreement(actor=CW))
        s = await wait_for(d, lambda s: s.stage is Stage.HANDOVER)
        await d.signal(Withdraw(actor=CW, reason="stopt"))
        await finish(d, "continue_as_new")


@pytest.mark.parametrize("twe", [True, False])
async def test_negative_precheck_closes_as_ineligible(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str, twe: bool
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        await d.open()
        s = await d.signal(RecordPrecheck(actor=CW, conditions_met=twe, twe_active=twe,
                                          study_level="se_n_se"))
        assert s.closure is Closure.INELIGIBLE
        await finish(d, f"ineligible_{'twe' if twe else 'conditions'}")


async def test_file_opened_earlier_catches_up_at_once_with_one_notice_per_stream(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    """About four reminder periods old: the three reminders and the escalation its age
    calls for, counted at once, one mail (the escalation, reminders folded into it) to
    the team lead and the caseworker, then the normal cadence (tests/test_late_files.py)."""
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        today = await d.today()
        opened_on = today - timedelta(days=120)
        s = await d.open(opened_on=opened_on)
        s = await wait_for(d, lambda s: s.escalations_sent >= 1)
        await asyncio.sleep(0.5)
        s = await d.status()
        missed = working_days_between(opened_on, today) // 20
        assert missed >= 4
        assert s.streams[DeadlineKind.ORIENTATION_REMINDER].sent == 3
        assert s.streams[DeadlineKind.ORIENTATION_ESCALATION].sent == missed - 3
        assert (s.reminders_sent, s.escalations_sent) == (0, 1) and s.overdue
        assert s.overdue_detail is not None
        assert s.overdue_detail.kind is DeadlineKind.ORIENTATION_REMINDER
        assert s.overdue_detail.since == add_working_days(opened_on, 20)
        assert s.next_deadline is not None
        assert s.next_deadline.due == add_working_days(today, 20)  # then the normal cadence
        assert local_date(s.stage_since) == opened_on
        await d.sleep(45)  # the next escalation, 20 working days on (holidays included)
        s = await wait_for(d, lambda s: s.escalations_sent == 2)
        await d.signal(Withdraw(actor=CW, reason="verhuisd"))
        await finish(d, "late_opened_file")
    sent = [(t, role) for t, role, _ in templates_for(engine, case_id)]
    assert sent.count(("orientation_escalation", "teamlead")) == 2
    assert sent.count(("orientation_escalation", "caseworker")) == 2
    assert ("orientation_reminder", "caseworker") not in sent

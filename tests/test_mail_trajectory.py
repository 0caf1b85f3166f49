"""A whole trajectory on the time-skipping server with a real SMTP server on
loopback: the caseworker's and the mediator's inboxes hold exactly the mails
the seed requires, in order, and no name or address enters the history."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import timedelta

import mail_helpers as h
import pytest
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from workflow_helpers import Driver

from okot.db.staff import (
    StaffMember,
    import_members,
)
from okot.domain.calendar import add_months
from okot.domain.messages import (
    ConfirmHandover,
    ConfirmStart,
    GiveAgreement,
    RecordEnd,
    RecordInfo,
    RecordPrecheck,
    RecordScreening,
    SubmitCandidacy,
)
from okot.domain.values import (
    Actor,
    Role,
    Stage,
)
from okot.mail.delivery import MailDelivery
from okot_dev.devstack import mail_relay
from worker import build_worker

CW = Actor(role=Role.CASEWORKER, id=h.CASEWORKER.id)
MED = Actor(role=Role.MEDIATOR, id=h.MEDIATOR.id)


def _directory(engine: Engine) -> None:
    import_members(engine, [
        StaffMember(id=p.id, role=p.role.value, name=p.name, email=p.email, phone=p.phone,
                    ocmw=p.ocmw or "vdab", teamlead=p.teamlead)
        for p in h.PEOPLE
    ])


async def _settle(d: Driver, stage: Stage) -> None:
    for _ in range(100):
        s = await d.status()
        if s.stage is stage:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"stage {stage} not reached")


@pytest.mark.parametrize("by", ["worker", "relay"])
async def test_inboxes_hold_exactly_the_seed_mails_in_order(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str,
    caplog: pytest.LogCaptureFixture, by: str,
) -> None:
    """The worker sends (``OKOT_DELIVERY=smtp``) or the relay does (``relay``): the same
    mails, in the same order."""
    caplog.set_level(logging.DEBUG)
    _directory(engine)
    handler = h.RecordingHandler()
    with h.smtp_server(handler) as port:
        delivery = MailDelivery(engine, h.smtp_settings(port))
        d = Driver(ts_env, case_id, task_queue)
        relay = by == "relay"
        async with contextlib.AsyncExitStack() as running:
            if relay:
                await running.enter_async_context(mail_relay(engine, h.smtp_settings(port)))
            await running.enter_async_context(build_worker(
                ts_env.client, engine, task_queue=task_queue,
                delivery=None if relay else delivery, relay=relay))
            await d.open(registered_jobseeker=False)  # caseworker cw-anna, as in mail_helpers
            today = await d.today()
            await d.signal(RecordInfo(actor=CW, date=today, channel="mediator_talk"))
            await d.signal(RecordPrecheck(actor=CW, conditions_met=True, twe_active=False,
                                          study_level="graduaat", notes="Sterk gemotiveerd"))
            await d.signal(SubmitCandidacy(actor=CW, programme="Verpleegkunde",
                                           study_level="graduaat", school="HBO5 Gent",
                                           channel="training_guide", mediator=MED.id))
            await d.signal(GiveAgreement(actor=CW))
            await _settle(d, Stage.HANDOVER)
            await d.signal(ConfirmHandover(actor=CW, date=await d.today(), channel="phone",
                                           notes="Alleenstaande moeder, zoekt opvang"))
            start = await d.today() + timedelta(days=7)
            await d.signal(RecordScreening(actor=MED, approved=True, start_date=start,
                                           location="Campus Gent"))
            await d.sleep(7)
            day = await d.today()
            await d.signal(ConfirmStart(actor=MED, date=day, location="Campus Gent",
                                        expected_end=add_months(day, 2)))
            await d.sleep(40)
            s = await d.signal(RecordEnd(actor=MED, result="passed", date=await d.today()))
            assert s.stage is Stage.FOLLOW_UP
            for _ in range(100):
                if any(m.message["X-OKOT-Template"] == "training_ended" for m in handler.delivered):
                    break
                await asyncio.sleep(0.1)
            assert d.handle is not None
            history = await ts_env.client.get_workflow_handle(d.handle.id).fetch_history()

    def inbox(person: h.StaffContact) -> list[str]:
        return [m.message["X-OKOT-Template"] for m in handler.delivered
                if m.rcpt_tos == [person.email]]

    assert inbox(h.CASEWORKER) == [
        "candidacy_submitted", "registered", "screening_result", "training_started",
        "training_ended",
    ]
    assert inbox(h.MEDIATOR) == ["agreement_given", "registered"]
    assert inbox(h.TEAMLEAD) == []
    ids = [m.message["Message-ID"] for m in handler.delivered]
    assert len(ids) == len(set(ids))
    text = json.dumps(json.loads(history.to_json()))
    # everything our code and the SDK logged (the test's own SMTP server logs mails at DEBUG)
    logs = "\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records
                     if not r.name.startswith("mail.log"))
    assert "event recorded" in logs or "notification sent" in logs
    if relay:
        assert "notification sent by the relay" in logs
    for person in h.PEOPLE:
        for secret in (person.name, person.email, person.phone):
            if secret:
                assert secret not in text, secret
                assert secret not in logs, secret
    for free_text in ("Sterk gemotiveerd", "zoekt opvang"):
        assert free_text not in logs

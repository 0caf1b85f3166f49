"""Permanent activity failures land in the timeline, never in an endless retry."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from workflow_helpers import CW, Driver, candidacy

from okot.db import outbox
from okot.domain.effects import (
    RegisterRequest,
    RegisterResult,
)
from okot.domain.messages import GiveAgreement
from okot.domain.status import (
    Notice,
    TrajectoryStatus,
)
from okot.domain.values import (
    Closure,
    Stage,
)
from okot.errors import PermanentFailure
from okot.vdab.gateway import PermanentRegistrationError
from worker import build_worker


class FlakyVdab:
    """Refuses the first registration (a 4xx), accepts the next one."""

    def __init__(self) -> None:
        self.calls = 0

    async def register(self, request: RegisterRequest) -> RegisterResult:
        self.calls += 1
        if self.calls == 1:
            raise PermanentRegistrationError(
                "VDAB refused the registration (HTTP 422)", 422, "adres onvolledig"
            )
        return RegisterResult(reference="WZ-TEST0001")


class RefusingMail:
    """Every mail to a mediator bounces for good; the rest is delivered."""

    def __init__(self) -> None:
        self.delivered: list[str] = []

    async def deliver(self, notice: Notice, outbox_id: int) -> str:
        if notice.role.value == "mediator":
            raise PermanentFailure(f"{notice.template}: recipient refused (550)")
        self.delivered.append(notice.template)
        return f"<{outbox_id}@test>"


async def _until(d: Driver, pred, timeout: float = 20):  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        s = await d.status()
        if pred(s):
            return s
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met")


async def test_refused_registration_is_reported_and_retried_next_working_day(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    vdab, mail = FlakyVdab(), RefusingMail()
    d = Driver(ts_env, case_id, task_queue)
    async with build_worker(ts_env.client, engine, task_queue=task_queue, gateway=vdab,
                            delivery=mail):
        await d.open(registered_jobseeker=False)
        for message in candidacy("graduaat", "Boekhouden", "CVO", "training_guide"):
            await d.signal(message)
        await d.signal(GiveAgreement(actor=CW))
        s = await _until(d, lambda s: s.registration_error is not None)
        assert s.stage is Stage.REGISTERING
        assert "adres onvolledig" in s.registration_error  # type: ignore[operator]
        timeline = await d.timeline()
        failed = [e for e in timeline if e.name == "registration_failed"]
        assert len(failed) == 1 and vdab.calls == 1
        await d.sleep(4)  # the retry falls due on the next working day
        s = await _until(d, lambda s: s.stage is Stage.HANDOVER)
        assert s.jobseeker_reference == "WZ-TEST0001" and vdab.calls == 2
        # the mediator's mails bounced: each lands in the timeline and the teamlead is told
        timeline = await d.timeline()
        bounced = [e for e in timeline if e.name == "notification_failed"]
        assert bounced, [e.name for e in timeline]
        rows = outbox.list_notifications(engine, case_id=case_id)
        assert any(r.template == "agreement_given" and r.state == "failed" for r in rows)
        assert any(r.template == "notification_failed" and r.recipient_role == "teamlead"
                   for r in rows)
        assert "notification_failed" in mail.delivered


async def test_cancelling_the_workflow_closes_the_trajectory_as_cancelled(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with build_worker(ts_env.client, engine, task_queue=task_queue):
        await d.open()
        handle = ts_env.client.get_workflow_handle(f"okot-{case_id}", result_type=TrajectoryStatus)
        await handle.cancel()
        result = await handle.result()
        assert result.stage is Stage.CLOSED and result.closure is Closure.CANCELLED
        assert result.next_deadline is None
        assert [e.name for e in await d.timeline()][-1] == "cancelled"


async def test_registration_through_vdab_sim_retries_5xx_until_success(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    from okot.vdab.gateway import HttpRegistrationGateway
    from okot_dev.vdab_sim import running

    with running(fail_rate=0.7, seed=3) as vdab:
        gateway = HttpRegistrationGateway(vdab.url, timeout=5.0)
        d = Driver(ts_env, case_id, task_queue)
        async with build_worker(ts_env.client, engine, task_queue=task_queue, gateway=gateway):
            await d.open(registered_jobseeker=False)
            for message in candidacy():
                await d.signal(message)
            await d.signal(GiveAgreement(actor=CW))
            for _ in range(30):  # let Temporal's retry backoff pass
                if (await d.status()).stage is Stage.HANDOVER:
                    break
                await d.sleep(1 / 24)
            s = await _until(d, lambda s: s.stage is Stage.HANDOVER)
            names = [e.name for e in await d.timeline()]
        state = vdab.state
    assert state.failures_injected >= 1, "the simulator injected no 5xx"
    assert len(state.registrations) == 1
    assert s.jobseeker_reference == state.registrations[0].reference
    assert "registered" in names and "registration_failed" not in names

"""A bare baseline for ``bench/workflow.py``: the cheapest workflow with the same surface.

``BareTrajectory`` takes the project's input (:class:`okot.model.OpenTrajectory`)
and has an Update and a Signal for every message name of ``OkotTrajectory``.
Each one only appends the payload to a list; an Update returns the list's
length. No rules, no timers, no activities, no search attributes: whatever the
project costs on top of this is the price of its journey, its effects and its
visibility.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from okot.domain.status import OpenTrajectory
    from okot.domain.values import MessageName

WORKFLOW_TYPE = "BareTrajectory"


def _update(name: MessageName) -> Any:
    async def handler(self: Any, payload: Any) -> int:
        count: int = self._receive(payload)
        return count

    handler.__name__ = name.value
    return workflow.update(name=name.value)(handler)


def _signal(name: MessageName) -> Any:
    def handler(self: Any, payload: Any) -> None:
        self._receive(payload)

    handler.__name__ = f"{name.value}_signal"
    return workflow.signal(name=name.value)(handler)


@workflow.defn(name=WORKFLOW_TYPE)
class BareTrajectory:
    @workflow.init
    def __init__(self, request: OpenTrajectory) -> None:
        self._case_id = request.case_id
        self._messages: list[Any] = []

    @workflow.run
    async def run(self, request: OpenTrajectory) -> int:
        await workflow.wait_condition(lambda: False)  # open until terminated, like a trajectory
        return len(self._messages)  # pragma: no cover - never reached

    def _receive(self, payload: Any) -> int:
        self._messages.append(payload)
        return len(self._messages)

    @workflow.query(name="received")
    def received(self) -> int:
        return len(self._messages)

    # One Update and one Signal per message name of OkotTrajectory, in the same order.

    record_info = _update(MessageName.RECORD_INFO)
    record_info_signal = _signal(MessageName.RECORD_INFO)
    record_precheck = _update(MessageName.RECORD_PRECHECK)
    record_precheck_signal = _signal(MessageName.RECORD_PRECHECK)
    submit_candidacy = _update(MessageName.SUBMIT_CANDIDACY)
    submit_candidacy_signal = _signal(MessageName.SUBMIT_CANDIDACY)
    give_agreement = _update(MessageName.GIVE_AGREEMENT)
    give_agreement_signal = _signal(MessageName.GIVE_AGREEMENT)
    decline_agreement = _update(MessageName.DECLINE_AGREEMENT)
    decline_agreement_signal = _signal(MessageName.DECLINE_AGREEMENT)
    confirm_handover = _update(MessageName.CONFIRM_HANDOVER)
    confirm_handover_signal = _signal(MessageName.CONFIRM_HANDOVER)
    schedule_intake = _update(MessageName.SCHEDULE_INTAKE)
    schedule_intake_signal = _signal(MessageName.SCHEDULE_INTAKE)
    record_screening = _update(MessageName.RECORD_SCREENING)
    record_screening_signal = _signal(MessageName.RECORD_SCREENING)
    postpone_start = _update(MessageName.POSTPONE_START)
    postpone_start_signal = _signal(MessageName.POSTPONE_START)
    confirm_start = _update(MessageName.CONFIRM_START)
    confirm_start_signal = _signal(MessageName.CONFIRM_START)
    record_progress = _update(MessageName.RECORD_PROGRESS)
    record_progress_signal = _signal(MessageName.RECORD_PROGRESS)
    report_stopped = _update(MessageName.REPORT_STOPPED)
    report_stopped_signal = _signal(MessageName.REPORT_STOPPED)
    record_end = _update(MessageName.RECORD_END)
    record_end_signal = _signal(MessageName.RECORD_END)
    agree_follow_up = _update(MessageName.AGREE_FOLLOW_UP)
    agree_follow_up_signal = _signal(MessageName.AGREE_FOLLOW_UP)
    record_employment = _update(MessageName.RECORD_EMPLOYMENT)
    record_employment_signal = _signal(MessageName.RECORD_EMPLOYMENT)
    withdraw = _update(MessageName.WITHDRAW)
    withdraw_signal = _signal(MessageName.WITHDRAW)
    reassign = _update(MessageName.REASSIGN)
    reassign_signal = _signal(MessageName.REASSIGN)
    update_policy = _update(MessageName.UPDATE_POLICY)
    update_policy_signal = _signal(MessageName.UPDATE_POLICY)


_MISSING = [m.value for m in MessageName if not hasattr(BareTrajectory, m.value)]
if _MISSING:  # pragma: no cover - a new message in okot.model must be added above
    raise RuntimeError(f"BareTrajectory lacks handlers for {_MISSING}")

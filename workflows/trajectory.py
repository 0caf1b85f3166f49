"""The durable ``OkotTrajectory`` workflow: one client's whole OKOT path.

The workflow owns time, messages and activities; the rules of the journey live
in :mod:`okot.domain` (journey, steps, deadlines) and are only applied here. Its
input, Updates and Signals are read by :mod:`workflows.inputs`; its activities are
in :mod:`workflows.effects`, carried out beside the main loop by
:mod:`workflows.effect_runner` (keys: :mod:`okot.domain.keys`); what it shows of
itself is in :mod:`workflows.visibility`. Every message is both an Update (validated
first: a rejection leaves no trace) and a Signal of the same name (an invalid one
changes nothing and is a bounded line in the timeline).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from okot.domain import deadlines, journey, rules_versions
    from okot.domain.changes import Accepted, Rejected
    from okot.domain.effects import RecordRequest
    from okot.domain.keys import Keys
    from okot.domain.messages import Message
    from okot.domain.reasons import one_line
    from okot.domain.status import (
        CarriedState,
        Notice,
        OpenTrajectory,
        PendingRecord,
        TimelineEntry,
        TrajectoryStatus,
    )
    from okot.domain.values import (
        SYSTEM_ACTOR,
        Actor,
        MessageName,
        Stage,
        SystemEvent,
    )
    from okot.temporal.contract import STATUS_QUERY, TIMELINE_QUERY, WORKFLOW_TYPE, MessageAck

from workflows import effects, inputs, visibility
from workflows.deadline_timer import DeadlineTimer
from workflows.decisions import ValidatedDecisions
from workflows.effect_runner import EffectRunner, SerialEffects, effects_for, keys_for
from workflows.handlers import message_signal as _signal
from workflows.handlers import message_update as _update
from workflows.patches import RunPatches, run_patches

PER_CASE_PATCH, PER_CASE_RUNNING_PATCH = "per-case-authorization", "per-case-authorization-running"
"""Per-case authorization: from a run's start, or from the first message a run started
before it handles afresh. Patches since 0.4.0: :mod:`workflows.patches`."""

TIMELINE_LIMIT = 2000
"""Newest timeline entries kept in the workflow; the database keeps them all."""
HISTORY_SIZE_PATCH = "history-size-bound"
"""Runs with this patch also continue as new once their history passes
``OpenTrajectory.continue_as_new_after_bytes`` (a flood of rejected Signals must not
reach the server's 50 MB), carrying at most :data:`MAX_CARRIED_RECORDS` records."""
MAX_CARRIED_RECORDS = 50
"""Each holds a status snapshot: the carried state stays far below the 2 MB limit."""


@workflow.defn(name=WORKFLOW_TYPE)
class OkotTrajectory:
    @workflow.init
    def __init__(self, raw: RawValue = inputs.NO_INPUT) -> None:
        # The input is decoded here, not by the SDK, so that a bad one fails the
        # workflow (in run) instead of its workflow task, attempt after attempt.
        started = inputs.start_request(raw)
        self._invalid = started if isinstance(started, str) else None
        self._timeline: list[TimelineEntry] = []
        self._version = 0
        self._published: dict[str, Any] = {}
        self._per_case = False  # see _check_per_case
        self._size_bound = False
        self._timer, self._decisions = DeadlineTimer(), ValidatedDecisions()  # (lean effects)
        self._patches = RunPatches(baseline=False)  # asked first, when the run starts
        self._request: OpenTrajectory  # these four stay unset while self._invalid
        self._status: TrajectoryStatus
        self._keys: Keys
        self._effects: EffectRunner | SerialEffects
        if isinstance(started, OpenTrajectory):
            self._request = request = started
            self._status = journey.open_trajectory(request, workflow.now())
            carried = request.carried
            self._timeline = list(carried.timeline) if carried else []
            self._patches = run_patches()
            self._keys = keys_for(request, self._patches)
            self._effects = effects_for(
                request, self._keys, self._patches, record_failed=self._record_failed,
                notification_failed=self._notification_failed, changed=self._effects_changed)

    # ------------------------------------------------------------------ main loop

    @workflow.run
    async def run(self, raw: RawValue = inputs.NO_INPUT) -> TrajectoryStatus:
        if self._invalid is not None:
            workflow.logger.warning("invalid start input: workflow failed")
            raise ApplicationError(self._invalid, type="InvalidInput", non_retryable=True)
        request = self._request
        self._per_case = self._patches.has(PER_CASE_PATCH)
        self._size_bound = self._patches.has(HISTORY_SIZE_PATCH)
        if request.carried is None:
            self._start_rules()
            self._append(
                "system", SystemEvent.OPENED.value, SYSTEM_ACTOR, True,
                f"trajectory opened for OCMW {request.ocmw}", self._status, self._status, (),
                payload={"registered_jobseeker": request.registered_jobseeker},
            )
        else:
            workflow.logger.info("continued as new", extra={
                "stage": self._status.stage.value, "rules_version": self._status.rules_version})
        self._effects.start()  # what the previous run carried
        self._publish()
        try:
            return await self._loop()
        except BaseException as err:
            # Cancelled by operations (`temporal workflow cancel`, the Web UI): the
            # cancellation may surface as asyncio.CancelledError or as an activity
            # failure caused by it. Close as `cancelled` and finish the effects.
            if not is_cancelled_exception(err):
                raise
            if self._status.stage is not Stage.CLOSED:
                self._apply_system(SystemEvent.CANCELLED, journey.cancel(self._status, workflow.now()))
            await self._effects.settle()
            return self._status

    async def _loop(self) -> TrajectoryStatus:
        while True:
            await self._effects.drain()
            if self._status.stage is Stage.CLOSED and not self._effects.owes_main_loop:
                # Closed: finish every record and notice (a mail may take days), then end.
                await workflow.wait_condition(workflow.all_handlers_finished)
                await self._effects.settle()
                self._publish()
                return self._status
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self._size_bound:  # carry a bounded number of records
                    await workflow.wait_condition(
                        lambda: len(self._effects.carried()[0]) <= MAX_CARRIED_RECORDS)
                await self._effects.quiesce()
                if self._status.stage is not Stage.CLOSED:
                    self._continue_as_new()
                continue
            if self._status.stage is Stage.REGISTERING and self._status.registration_pending:
                await self._register()
                continue
            await self._wait_for_next_thing()

    async def _wait_for_next_thing(self) -> None:
        version = self._version
        deadline = self._status.next_deadline
        if deadline is None:  # pragma: no cover - every open stage has one
            await workflow.wait_condition(
                lambda: self._version != version or self._effects.owes_main_loop)
            return

        def woken() -> bool:
            return (self._version != version or self._effects.owes_main_loop
                    or self._should_continue_as_new())

        remaining = (deadline.due_at - workflow.now()).total_seconds()
        if remaining > 0 and self._effects.lean:
            if not await self._timer.wait(deadline, woken):
                return
        elif remaining > 0:
            try:
                await workflow.wait_condition(
                    woken, timeout=timedelta(seconds=remaining),
                    timeout_summary=f"{deadline.kind.value} due {deadline.due.isoformat()}")
                return
            except TimeoutError:
                pass
        fired = deadlines.fire_deadlines(self._status, workflow.now())
        if fired is not None:
            self._apply_system(SystemEvent.DEADLINE, fired)

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self._request.continue_as_new_after_events
            or (self._size_bound and self._version > 0  # (never on a carried state alone)
                and info.get_current_history_size() >= self._request.continue_as_new_after_bytes)
        )

    def _start_rules(self) -> None:
        """A new trajectory runs under the newest rules whose patch this run has (a
        history recorded before that release has not: it replays under its own)."""
        version = self._patches.rules_version()
        if version != self._status.rules_version:
            self._status = self._status.model_copy(update={"rules_version": version})

    def _continue_as_new(self) -> None:
        """The safe point: the next run goes on under the current rules."""
        status = rules_versions.upgraded(self._status)
        records, notices, stuck = self._effects.carried()
        carried = CarriedState(status=status, timeline=tuple(self._timeline),
                               keys=self._keys, records=records, notices=notices, stuck=stuck)
        info = workflow.info()
        workflow.logger.info("continuing as new", extra={
            "stage": self._status.stage.value, "history_length": info.get_current_history_length(),
            "history_size": info.get_current_history_size(), "records_carried": len(records),
            "rules_version": self._status.rules_version, "next_rules_version": status.rules_version,
            "notices_carried": len(notices)})
        workflow.continue_as_new(self._request.model_copy(update={"carried": carried}))

    # --------------------------------------------------------------- messages

    def _decide(self, name: MessageName, args: tuple[Any, ...]) -> tuple[Message, Accepted]:
        """Parse and decide an Update; a refusal raises the one-line reason for the caller."""
        if self._invalid is not None:
            raise ApplicationError("the trajectory did not start: its input is invalid",
                                   type="Rejected", non_retryable=True)
        try:
            message = inputs.message(name, args)
        except ValueError as exc:
            raise ApplicationError(str(exc), type="InvalidMessage", non_retryable=True) from None
        decision = journey.decide(self._status, message, workflow.now(), per_case=self._per_case)
        if isinstance(decision, Rejected):
            raise ApplicationError(one_line(decision.reason), type="Rejected",
                                   non_retryable=True)
        return message, decision

    def _validate(self, name: MessageName, args: tuple[Any, ...]) -> None:
        self._decisions.keep(args, self._version, self._per_case, workflow.now(), self._decide(name, args))

    def _check_per_case(self) -> None:
        """Per-case authorization (the sender must hold their role on this trajectory).

        A run started with it checks every message, Update validators included.
        A run that started before it replays its old messages without the check
        and turns it on at the first message it handles afresh (the handlers,
        not the validators, may record the patch marker).
        """
        if not self._per_case:
            self._per_case = workflow.patched(PER_CASE_RUNNING_PATCH)

    def _handle_update(self, name: MessageName,
                       args: tuple[Any, ...]) -> TrajectoryStatus | MessageAck:
        self._check_per_case()
        message, decision = (self._decisions.take(name, args, self._version, self._per_case,
                                                  workflow.now())
                             or self._decide(name, args))  # again: the state may have moved
        self._apply_message(message, decision)
        if self._effects.lean:  # a small answer: the caller may query the status
            return MessageAck(stage=self._status.stage, seq=self._status.seq)
        return self._status

    def _handle_signal(self, name: MessageName, args: tuple[Any, ...]) -> None:
        """Apply a Signal; a rejected one is only a bounded line in the timeline (and
        the audit log): never its payload, which may be large or personal."""
        if self._invalid is not None:
            return
        self._check_per_case()
        try:
            message = inputs.message(name, args)
        except ValueError as exc:
            self._append("message", name.value, inputs.actor_of(args), False, "invalid payload",
                         self._status, self._status, (), reason=str(exc))
            return
        decision = journey.decide(self._status, message, workflow.now(), per_case=self._per_case)
        if isinstance(decision, Rejected):
            self._append("message", name.value, message.actor, False, "rejected", self._status,
                         self._status, (), reason=one_line(decision.reason))
            return
        self._apply_message(message, decision)

    def _apply_message(self, message: Message, decision: Accepted) -> None:
        before = self._status
        self._status = decision.status
        self._append("message", message.name.value, message.actor, True, decision.summary,
                     before, self._status, decision.notices,
                     payload=message.model_dump(mode="json"))

    def _apply_system(self, event: SystemEvent, decision: Accepted,
                      payload: dict[str, Any] | None = None) -> None:
        before = self._status
        self._status = decision.status
        self._append("system", event.value, SYSTEM_ACTOR, True, decision.summary, before,
                     self._status, decision.notices, payload=payload)

    def _append(
        self, kind: str, name: str, actor: Actor, accepted: bool, summary: str,
        before: TrajectoryStatus, after: TrajectoryStatus, notices: tuple[Notice, ...],
        *, reason: str | None = None, payload: dict[str, Any] | None = None,
    ) -> None:
        number = (self._timeline[-1].seq + 1) if self._timeline else 1
        entry = TimelineEntry(
            at=workflow.now(), kind=kind, name=name, actor=actor, accepted=accepted,
            summary=summary, reason=reason, stage_before=before.stage, stage_after=after.stage,
            seq=number,
        )
        self._timeline.append(entry)
        del self._timeline[:-TIMELINE_LIMIT]
        workflow.logger.debug(  # (INFO: the record_events line names every event)
            "event applied" if accepted else "message rejected", extra={
                "kind": kind, "event": name, "role": actor.role.value, "seq": number,
                "stage_before": before.stage.value, "stage": after.stage.value})
        self._effects.add(PendingRecord(entry=entry, payload=payload, status=after), notices)
        self._version += 1
        self._publish()

    # ------------------------------------------------------------------ effects

    def _notification_failed(self, notice: Notice, detail: str) -> None:
        decision = journey.notification_failed(self._status, notice.template, workflow.now())
        self._apply_system(SystemEvent.NOTIFICATION_FAILED, decision,
                           payload={"key": notice.key, "error": detail})

    def _record_failed(self, request: RecordRequest, detail: str) -> None:
        entry = request.entry
        self._apply_system(SystemEvent.RECORD_FAILED,
                           journey.record_failed(self._status, entry.seq, entry.name),
                           payload={"key": request.key, "error": detail})

    def _effects_changed(self) -> None:
        self._publish()  # an effect got stuck or done (or crashed: the loop wakes on that)

    async def _register(self) -> None:
        outcome = await effects.register(self._status, self._keys)
        if self._status.stage is not Stage.REGISTERING:
            return
        if isinstance(outcome, effects.RegistrationFailure):
            self._apply_system(
                SystemEvent.REGISTRATION_FAILED,
                journey.registration_failed(self._status, outcome.detail, workflow.now()),
                payload={"error": outcome.detail})
        else:
            self._apply_system(
                SystemEvent.REGISTERED,
                journey.registration_succeeded(self._status, outcome.reference, workflow.now()),
                payload={"reference": outcome.reference})

    # --------------------------------------------------------------- visibility

    def _publish(self) -> None:
        self._published = visibility.publish(self._status, self._published,
                                             self._effects.attention())

    # ------------------------------------------------------------------ queries

    @workflow.query(name=STATUS_QUERY, description="The whole current picture of the trajectory")
    def status(self) -> TrajectoryStatus:
        if self._invalid is not None:
            raise ApplicationError(f"the trajectory did not start: {self._invalid}")
        return self._status

    @workflow.query(name=TIMELINE_QUERY, description="Every accepted and rejected message and system event")
    def timeline(self) -> list[TimelineEntry]:
        return list(self._timeline)

    # ---------------------------------------------------------------- messages
    # One Update and one Signal per message of shared/domain.md, in seed order.

    record_info = _update(MessageName.RECORD_INFO, "Info session or mediator talk held")
    record_info_signal = _signal(MessageName.RECORD_INFO, "Info session or mediator talk held")
    record_precheck = _update(MessageName.RECORD_PRECHECK, "Entry conditions pre-checked")
    record_precheck_signal = _signal(MessageName.RECORD_PRECHECK, "Entry conditions pre-checked")
    submit_candidacy = _update(MessageName.SUBMIT_CANDIDACY, "Client is a candidate")
    submit_candidacy_signal = _signal(MessageName.SUBMIT_CANDIDACY, "Client is a candidate")
    give_agreement = _update(MessageName.GIVE_AGREEMENT, "Caseworker's formal agreement")
    give_agreement_signal = _signal(MessageName.GIVE_AGREEMENT, "Caseworker's formal agreement")
    decline_agreement = _update(MessageName.DECLINE_AGREEMENT, "Formal agreement declined")
    decline_agreement_signal = _signal(MessageName.DECLINE_AGREEMENT, "Formal agreement declined")
    confirm_handover = _update(MessageName.CONFIRM_HANDOVER, "Warm handover done")
    confirm_handover_signal = _signal(MessageName.CONFIRM_HANDOVER, "Warm handover done")
    schedule_intake = _update(MessageName.SCHEDULE_INTAKE, "VDAB intake planned")
    schedule_intake_signal = _signal(MessageName.SCHEDULE_INTAKE, "VDAB intake planned")
    record_screening = _update(MessageName.RECORD_SCREENING, "Screening result")
    record_screening_signal = _signal(MessageName.RECORD_SCREENING, "Screening result")
    postpone_start = _update(MessageName.POSTPONE_START, "Start date postponed")
    postpone_start_signal = _signal(MessageName.POSTPONE_START, "Start date postponed")
    confirm_start = _update(MessageName.CONFIRM_START, "Training started")
    confirm_start_signal = _signal(MessageName.CONFIRM_START, "Training started")
    record_progress = _update(MessageName.RECORD_PROGRESS, "Progress during the training")
    record_progress_signal = _signal(MessageName.RECORD_PROGRESS, "Progress during the training")
    report_stopped = _update(MessageName.REPORT_STOPPED, "Caseworker: the client stopped the training")
    report_stopped_signal = _signal(MessageName.REPORT_STOPPED, "Caseworker: the client stopped the training")
    record_end = _update(MessageName.RECORD_END, "Training ended, with its result")
    record_end_signal = _signal(MessageName.RECORD_END, "Training ended, with its result")
    agree_follow_up = _update(MessageName.AGREE_FOLLOW_UP, "Who guides the client to work")
    agree_follow_up_signal = _signal(MessageName.AGREE_FOLLOW_UP, "Who guides the client to work")
    record_employment = _update(MessageName.RECORD_EMPLOYMENT, "Employment check")
    record_employment_signal = _signal(MessageName.RECORD_EMPLOYMENT, "Employment check")
    withdraw = _update(MessageName.WITHDRAW, "Client stops before the start")
    withdraw_signal = _signal(MessageName.WITHDRAW, "Client stops before the start")
    reassign = _update(MessageName.REASSIGN, "Another caseworker or mediator takes over")
    reassign_signal = _signal(MessageName.REASSIGN, "Another caseworker or mediator takes over")
    update_policy = _update(MessageName.UPDATE_POLICY, "Replace the reminder policy from now on")
    update_policy_signal = _signal(MessageName.UPDATE_POLICY, "Replace the reminder policy from now on")


"""Side effects that cannot hold each other hostage.

Every event leaves an audit record and maybe notices. :class:`EffectRunner`
carries them out beside the main loop, which never waits for them (messages,
deadlines, stage changes and the jobseeker registration go on):

* **records** keep one ordered queue, independent of mail delivery;
* **notices** each run as their own task, at most :data:`NOTICE_CONCURRENCY` at a time,
  in order per recipient; one not deliverable yet delays no record and no other mail;
* an effect not done within ``attention_after`` (default :data:`ATTENTION_AFTER`; sooner
  when its next retry would come after that) is **stuck**: shown (``OkotAttention``, the
  Web UI's current details), logged and counted (``okot_side_effects_stuck``) until done.
  The activity's first call has that as its schedule-to-close timeout, a second call
  goes on after it (durable time, no extra timer while all is well);
* continue-as-new first lets every effect under way finish or get stuck
  (:meth:`EffectRunner.quiesce`), then carries what is not done yet
  (:meth:`EffectRunner.carried`, resumed by the next run, stuck ones still stuck);
  closing waits for all of it (:meth:`EffectRunner.settle`).

Runs started before the ``independent-effects`` patch replay with
:class:`SerialEffects`: the main loop drains one queue, each event's record then
its notices (:func:`workflows.effects.drain`); :func:`effects_for` decides which
when a run starts. :func:`keys_for` decides the trajectory's idempotency keys
(:mod:`okot.domain.keys`) when it opens (``run-scoped-keys`` patch).

Task order is deterministic: records in event order, notices in queued order (dicts).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from okot.domain.effects import (
        NotifyRequest,
        RecordBatch,
        RecordItem,
        RecordRequest,
        RefusedRecord,
    )
    from okot.domain.keys import Keys
    from okot.domain.status import Notice, OpenTrajectory, PendingRecord
    from okot.domain.values import SystemEvent

from workflows import effects
from workflows.patches import RunPatches

RUN_SCOPED_KEYS = "run-scoped-keys"
"""Patch: keys scoped by the trajectory id (the first execution's run id)."""
INDEPENDENT_EFFECTS = "independent-effects"
"""Patch: records and notices carried out beside the main loop (:class:`EffectRunner`)."""
ATTENTION_AFTER = timedelta(minutes=5)
"""An effect not done after this long is shown to operations (OkotAttention); the
default of ``OpenTrajectory.attention_after_seconds``."""
NOTICE_CONCURRENCY = 8
"""Notices under way at once, at most (one per recipient)."""
LEAN_EFFECTS = "lean-effects"
"""Patch: records written by one local activity per workflow task (``record_events``:
one marker in the history, no activity events, no status in the history), the
deadline's timer kept until the deadline changes, and an Update answered with a
:class:`~okot.temporal.contract.MessageAck` instead of the whole status."""
MAX_BATCH = 50
"""Events recorded by one ``record_events`` call, at most."""
QUIET_TASKS = 3  # lean runs: short timers at most before continue-as-new (see quiesce)
Changed = Callable[[], None]


def _request(keys: Keys, pending: PendingRecord) -> RecordRequest:
    return RecordRequest(
        workflow_id=workflow.info().workflow_id, trajectory_id=keys.trajectory_id,
        key=keys.record(pending.entry.seq), entry=pending.entry, payload=pending.payload,
        status=pending.status,
    )


def _keyed(keys: Keys, notices: Iterable[Notice]) -> list[Notice]:
    """The rules name a notice within its trajectory; scope its key to the trajectory."""
    return [n.model_copy(update={"key": keys.notice(n.key)}) for n in notices]


class EffectRunner:
    """Records in order, notices concurrently; both beside the main loop."""

    def __init__(
        self,
        keys: Keys,
        *,
        records: Iterable[PendingRecord] = (),
        notices: Iterable[Notice] = (),
        stuck: Iterable[str] = (),
        attention_after: timedelta = ATTENTION_AFTER,
        record_failed: effects.RecordFailed,
        notification_failed: effects.NotificationFailed,
        changed: Changed,
        lean: bool = False,
    ) -> None:
        self._keys, self._added = keys, 0
        self.lean = lean
        """Runs since :data:`LEAN_EFFECTS`: records by ``record_events``, one per task."""
        self._records: deque[PendingRecord] = deque(records)
        self._notices: dict[str, Notice] = {n.key: n for n in notices}
        """Not done yet, in the order they were queued; keys already scoped."""
        self._started: dict[str, asyncio.Task[None]] = {}
        self._recording: asyncio.Task[None] | None = None
        self._stuck: dict[str, str] = {}
        """Effects under way for longer than ``attention_after``: key -> what it is."""
        self._resume_stuck: dict[str, None] = dict.fromkeys(stuck)
        """Carried effects that were stuck already: they stay stuck until done."""
        self._attention_after = attention_after
        self._crash: BaseException | None = None
        self._record_failed = record_failed
        self._notification_failed = notification_failed
        self._changed = changed

    # ---------------------------------------------------------------- the loop's view

    def add(self, record: PendingRecord, notices: tuple[Notice, ...]) -> None:
        """Queue an event's record and notices, and start what may start."""
        self._records.append(record)
        self._added += 1
        for notice in _keyed(self._keys, notices):
            self._notices.setdefault(notice.key, notice)
        self.start()

    def start(self) -> None:
        """Start the record queue and the notices that may run now."""
        if self._records and self._recording is None:
            self._recording = asyncio.create_task(self._guarded(self._record_all()))
        lanes = {_lane(self._notices[key]) for key in self._started}  # membership only
        for key, notice in list(self._notices.items()):
            if len(self._started) >= NOTICE_CONCURRENCY:
                break
            lane = _lane(notice)
            if key in self._started or lane in lanes:
                continue  # a recipient's notices go out one after another, in order
            lanes.add(lane)
            self._started[key] = asyncio.create_task(self._guarded(self._deliver(notice)))

    @property
    def pending(self) -> bool:
        """Some record or notice is not done yet."""
        return bool(self._records or self._notices) and self._crash is None

    @property
    def owes_main_loop(self) -> bool:
        """Work the main loop must do itself: none (or a crash to raise)."""
        return self._crash is not None

    async def drain(self) -> None:
        """Nothing to drain (the effects run beside the loop); raises a crash of theirs."""
        self._raise_crash()

    async def settle(self) -> None:
        """Wait until every record and notice is done (closing)."""
        await workflow.wait_condition(lambda: not self.pending)
        self._raise_crash()

    async def quiesce(self) -> None:
        """Wait until every effect under way is done or stuck (before continue-as-new:
        only stuck and waiting ones are carried, no attempt that may just succeed)."""
        def quiet() -> bool:
            under_way = [*self._started, *([self._head_key()] if self._recording else [])]
            return self._crash is not None or all(key in self._stuck for key in under_way)

        for _ in range(QUIET_TASKS if self.lean else 0):
            # Lean runs: a local activity may resolve between workflow tasks, and a Signal
            # of the next task would then come after the decision. Decide in a task of its
            # own (a short timer) in which nothing new came in.
            await workflow.wait_condition(quiet)
            added = self._added
            await workflow.sleep(0.001, summary="quiet before continue-as-new")
            if quiet() and added == self._added:
                break
        await workflow.wait_condition(quiet)
        self._raise_crash()

    def carried(self) -> tuple[tuple[PendingRecord, ...], tuple[Notice, ...], tuple[str, ...]]:
        """What continue-as-new carries: records and notices not done yet, in order, and
        the keys of those stuck."""
        return tuple(self._records), tuple(self._notices.values()), tuple(self._stuck)

    def _head_key(self) -> str:
        return self._keys.record(self._records[0].entry.seq)

    def attention(self) -> tuple[str, ...]:
        """The effects stuck for longer than :data:`ATTENTION_AFTER` (ids and codes only)."""
        return tuple(self._stuck.values())

    def _raise_crash(self) -> None:
        if self._crash is not None:
            raise self._crash

    # ---------------------------------------------------------------- the effects

    async def _guarded(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work``; a bug in it fails the main loop (a workflow task failure),
        never silently loses an effect."""
        try:
            await work
        except Exception as err:  # (not the coroutine being closed: an eviction)
            self._crash = err
            self._changed()

    async def _record_all(self) -> None:
        try:
            while self._records:
                if self.lean:
                    batch = [self._records[i] for i in range(min(MAX_BATCH, len(self._records)))]
                    await self._record_batch(batch)
                    for _ in batch:
                        self._records.popleft()
                else:
                    await self._record(self._records[0])
                    self._records.popleft()
        finally:
            self._recording = None
        self.start()  # a record added while the last one finished

    async def _record(self, pending: PendingRecord) -> None:
        request = _request(self._keys, pending)
        entry = pending.entry
        label = f"record entry {entry.seq} ({entry.name})"
        try:
            await self._watched(request.key, label, lambda within: effects.record(request, within))
        except ActivityError as err:
            if is_cancelled_exception(err):
                raise
            workflow.logger.warning("event not recorded", extra={"seq": entry.seq,
                                                                 "event": entry.name})
            if entry.name != SystemEvent.RECORD_FAILED.value:
                self._record_failed(request, effects.failure_text(err, "refused by the database"))

    async def _record_batch(self, batch: list[PendingRecord]) -> None:
        """Record ``batch`` (events in order) with one local activity; each event the
        database refuses becomes a ``record_failed`` event, like a refused ``record``."""
        keys, head = self._keys, batch[0].entry
        request = RecordBatch(
            workflow_id=workflow.info().workflow_id, trajectory_id=keys.trajectory_id,
            records=tuple(RecordItem(key=keys.record(p.entry.seq), entry=p.entry, payload=p.payload)
                          for p in batch),
            status=batch[-1].status)
        label = f"record entry {head.seq} ({head.name})"
        try:
            result = await self._watched(request.records[0].key, label,
                                         lambda within: effects.record_events(request, within))
            refused = result.refused
        except ActivityError as err:
            if is_cancelled_exception(err):
                raise
            text = effects.failure_text(err, "refused by the database")
            refused = tuple(RefusedRecord(key=r.key, error=text) for r in request.records)
        by_key = {keys.record(p.entry.seq): p for p in batch}
        for one in refused:
            entry = by_key[one.key].entry
            workflow.logger.warning("event not recorded", extra={"seq": entry.seq,
                                                                 "event": entry.name})
            if entry.name != SystemEvent.RECORD_FAILED.value:
                self._record_failed(_request(keys, by_key[one.key]), one.error)

    async def _deliver(self, notice: Notice) -> None:
        request = NotifyRequest(workflow_id=workflow.info().workflow_id,
                                trajectory_id=self._keys.trajectory_id, notice=notice)
        label = f"notify {notice.role.value}: {notice.template}"
        try:
            await self._watched(notice.key, label,
                                lambda within: effects.notify(request, within),
                                give_up=effects.NOTIFY_GIVE_UP)
        except ActivityError as err:
            if is_cancelled_exception(err):
                raise
            workflow.logger.warning(
                "notification failed", extra={"template": notice.template, "key": notice.key}
            )
            if notice.template != "notification_failed":
                self._notification_failed(notice, effects.failure_text(err, "delivery failed"))
        del self._notices[notice.key]
        del self._started[notice.key]
        self.start()

    async def _watched(
        self, key: str, label: str, call: Callable[[timedelta | None], Awaitable[Any]],
        give_up: timedelta | None = None,
    ) -> Any:
        """``call`` with ``attention_after`` as its time; if that runs out, mark the effect
        stuck and go on (until ``give_up`` in all, or without end) until done."""
        window = self._attention_after
        if key in self._resume_stuck:
            del self._resume_stuck[key]
        else:
            try:
                return await call(window)
            except ActivityError as err:
                if not effects.timed_out(err):
                    raise
        self._stuck[key] = label
        workflow.logger.warning("side effect not done after %d seconds",
                                int(window.total_seconds()), extra={"effect": label})
        workflow.metric_meter().create_counter(
            "okot_side_effects_stuck", "Records and notices not done within the attention window"
        ).add(1, {"effect": label.split(" ", 1)[0]})
        self._changed()
        try:
            result = await call(None if give_up is None else max(give_up - window, window))
        except ActivityError:
            self._unstick(key)
            raise
        self._unstick(key)  # (not in a finally: a workflow evicted from the cache ends here)
        return result

    def _unstick(self, key: str) -> None:
        del self._stuck[key]
        self._changed()


def _lane(notice: Notice) -> tuple[str, str]:
    return notice.role.value, notice.to


class SerialEffects:
    """Runs started before the ``independent-effects`` patch: one queue that the main
    loop drains, each event's record then its notices (the command order of their
    histories)."""

    lean = False

    def __init__(self, keys: Keys, *, record_failed: effects.RecordFailed,
                 notification_failed: effects.NotificationFailed) -> None:
        self._keys = keys
        self._queue: deque[effects.Effect] = deque()
        self._record_failed = record_failed
        self._notification_failed = notification_failed

    def add(self, record: PendingRecord, notices: tuple[Notice, ...]) -> None:
        self._queue.append(effects.Effect(_request(self._keys, record),
                                          tuple(_keyed(self._keys, notices))))

    def start(self) -> None:
        """Nothing starts by itself: the main loop drains."""

    @property
    def pending(self) -> bool:
        return bool(self._queue)

    @property
    def owes_main_loop(self) -> bool:
        return bool(self._queue)

    async def drain(self) -> None:
        await effects.drain(self._queue, self._notification_failed, self._record_failed)

    async def settle(self) -> None:
        await self.drain()

    async def quiesce(self) -> None:
        await self.drain()

    def carried(self) -> tuple[tuple[PendingRecord, ...], tuple[Notice, ...], tuple[str, ...]]:
        return (), (), ()  # drained before continuing as new

    def attention(self) -> tuple[str, ...] | None:
        return None  # not tracked: these runs publish no OkotAttention


def keys_for(request: OpenTrajectory, patches: RunPatches) -> Keys:
    """The trajectory's keys: carried, or decided once when it opens: scoped by the first
    execution's run id (kept by continue-as-new and Reset), or, in trajectories opened
    before that patch, the legacy scheme they wrote their rows under."""
    carried, info = request.carried, workflow.info()
    if carried is not None:
        return carried.keys or Keys.legacy(info.workflow_id, request.case_id)
    if patches.has(RUN_SCOPED_KEYS):
        return Keys.run_scoped(info.first_execution_run_id or info.run_id)
    return Keys.legacy(info.workflow_id, request.case_id)


def effects_for(request: OpenTrajectory, keys: Keys, patches: RunPatches, *,
                record_failed: effects.RecordFailed,
                notification_failed: effects.NotificationFailed,
                changed: Changed) -> EffectRunner | SerialEffects:
    """How this run carries out its effects (decided when it starts), resuming what the
    previous run carried."""
    if not patches.has(INDEPENDENT_EFFECTS):
        return SerialEffects(keys, record_failed=record_failed,
                             notification_failed=notification_failed)
    carried = request.carried
    return EffectRunner(
        keys,
        records=carried.records if carried else (), notices=carried.notices if carried else (),
        stuck=carried.stuck if carried else (),
        attention_after=timedelta(seconds=request.attention_after_seconds),
        record_failed=record_failed, notification_failed=notification_failed, changed=changed,
        lean=patches.has(LEAN_EFFECTS),
    )

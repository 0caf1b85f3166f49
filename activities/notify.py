"""The ``notify`` activity: one notification, through the outbox, delivered once.

The notice is written to the outbox under its idempotency key first; it is
sent only if the outbox does not already hold it as sent, and only by the attempt
that claimed it (an attempt still running elsewhere holds it for up to
:data:`CLAIM`), so the same key is never sent twice once the first send was
recorded. Every
attempt is counted in the outbox with what it met (``okot outbox --failed``
shows a backlog while the mail server is down); a database failure is reported
as one safe line (:mod:`okot.db.failures`).

With ``OKOT_DELIVERY=relay`` the activity does not send: it queues the notice and
waits for the mail relay (``okot outbox relay``, :mod:`okot.mail.relay`, a process of
its own) to mark it ``sent`` or ``failed``, checking the row every
:data:`RELAY_POLL` (growing to :data:`RELAY_POLL_MAX`) for up to :data:`RELAY_WAIT`
per attempt, then asks to be retried at once (``next_retry_delay``); once the relay
has met trouble (SMTP down) it asks to be retried just after the relay's next attempt
instead, holding no activity slot meanwhile, with what the relay's last attempt met.
A worker killed at any moment then never sends a mail twice.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from okot.db import outbox
from okot.db.failures import describe
from okot.db.writes import utc_now
from okot.domain.effects import (
    NotifyRequest,
    NotifyResult,
)
from okot.errors import PermanentFailure
from okot.mail.delivery import Delivery
from okot.mail.errors import attempt_error
from okot.mail.relay import next_attempt

CLAIM = timedelta(seconds=90)
"""How long one attempt may hold a notice (longer than the activity's 60 s)."""
RELAY_WAIT = timedelta(seconds=45)
"""How long one attempt waits for the relay (the activity's start-to-close is 60 s)."""
RELAY_SILENT = timedelta(minutes=1)
"""A queued notice no relay has tried for this long: the failure asks whether one runs."""
RELAY_POLL = 0.2
RELAY_POLL_MAX = 2.0
"""Seconds between two looks at the row while waiting for the relay."""


class NotifyActivities:
    def __init__(self, engine: Engine, delivery: Delivery | None = None, *,
                 relay: bool = False) -> None:
        """``delivery`` sends in the activity itself; ``relay`` leaves the sending to the
        mail relay and waits for it; neither: queue in the outbox only."""
        self._engine = engine
        self._delivery = delivery
        self._relay = relay

    @activity.defn(name="notify")
    async def notify(self, request: NotifyRequest) -> NotifyResult:
        try:
            return await self._notify(request)
        except SQLAlchemyError as err:
            failure = describe(err)
            activity.logger.warning(
                "notification not processed",
                extra={"template": request.notice.template, "error": failure.message,
                       "retryable": failure.retryable},
            )
            raise ApplicationError(
                failure.message, type=failure.type, non_retryable=not failure.retryable
            ) from None

    async def _notify(self, request: NotifyRequest) -> NotifyResult:
        notice = request.notice
        outbox_id, created = await asyncio.to_thread(outbox.put_notification, self._engine, request)
        log = {"outbox_id": outbox_id, "template": notice.template, "role": notice.role.value}
        row = await asyncio.to_thread(outbox.get_notification, self._engine, outbox_id)
        if row.state == "sent":
            activity.logger.info("notification already sent", extra=log)
            return NotifyResult(outbox_id=outbox_id, state="sent")
        if self._relay:
            return await self._await_relay(outbox_id, log)
        if self._delivery is None:
            activity.logger.info("notification queued", extra={**log, "new_row": created})
            return NotifyResult(outbox_id=outbox_id, state="queued")
        claim = await asyncio.to_thread(outbox.claim_notification, self._engine, outbox_id, CLAIM)
        if claim == "sent":
            activity.logger.info("notification already sent", extra=log)
            return NotifyResult(outbox_id=outbox_id, state="sent")
        if claim == "busy":  # an earlier attempt is still delivering it: retried later
            activity.logger.info("notification being delivered by another attempt", extra=log)
            raise ApplicationError("another attempt is delivering this notification",
                                   type="DeliveryInProgress")
        try:
            message_id = await self._delivery.deliver(notice, outbox_id)
        except PermanentFailure as err:
            await asyncio.to_thread(
                outbox.mark_notification, self._engine, outbox_id, "failed", attempt_error(err)
            )
            activity.logger.warning("notification failed for good", extra=log)
            raise ApplicationError(
                str(err), type="PermanentDeliveryError", non_retryable=True
            ) from err
        except Exception as err:
            error = attempt_error(err)
            await asyncio.to_thread(
                outbox.mark_notification, self._engine, outbox_id, "queued", error
            )
            activity.logger.warning("notification delivery will be retried",
                                    extra={**log, "error": error,
                                           "attempt": activity.info().attempt})
            raise
        await asyncio.to_thread(
            outbox.mark_notification, self._engine, outbox_id, "sent", None, message_id
        )
        activity.logger.info("notification sent", extra=log)
        return NotifyResult(outbox_id=outbox_id, state="sent")

    async def _await_relay(self, outbox_id: int, log: dict[str, object]) -> NotifyResult:
        """Wait until the relay has sent the row or failed it for good (see the module)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RELAY_WAIT.total_seconds()
        pause = RELAY_POLL
        while True:
            row = await asyncio.to_thread(outbox.get_notification, self._engine, outbox_id)
            if row.state == "sent":
                activity.logger.info("notification sent by the relay", extra=log)
                return NotifyResult(outbox_id=outbox_id, state="sent")
            if row.state == "failed":
                activity.logger.warning("notification failed for good", extra=log)
                raise ApplicationError(row.last_error or "the mail relay gave up",
                                       type="PermanentDeliveryError", non_retryable=True)
            if row.attempts or loop.time() + pause > deadline:
                break
            await asyncio.sleep(pause)
            pause = min(pause * 2, RELAY_POLL_MAX)
        waiting = "the mail relay has not delivered this notification yet"
        again = timedelta(seconds=1)
        if row.attempts:  # the relay met trouble: come back after its next attempt, and
            # hold no activity slot meanwhile (a long SMTP outage has many mails waiting)
            tries = f"{row.attempts} attempt{'s' if row.attempts != 1 else ''}"
            waiting += f" ({tries}; last: {row.last_error or 'unknown'})"
            again = max(again, next_attempt(row) - utc_now() + timedelta(seconds=1))
        elif utc_now() - next_attempt(row) > RELAY_SILENT:
            waiting += (f" (queued {int((utc_now() - next_attempt(row)).total_seconds())} s "
                        "ago, never tried: is `okot outbox relay` running?)")
        raise ApplicationError(waiting, type="AwaitingRelay", next_retry_delay=again)

"""The ``notify`` activity: one notification, through the outbox, delivered once.

The notice is written to the outbox under its idempotency key first; it is
sent only if the outbox does not already hold it as sent, and only by the attempt
that claimed it (an attempt still running elsewhere holds it for up to
:data:`CLAIM`), so the same key is never sent twice once the first send was
recorded. Every
attempt is counted in the outbox with what it met (``okot outbox --failed``
shows a backlog while the mail server is down); a database failure is reported
as one safe line (:mod:`okot.db.failures`).
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
from okot.domain.effects import (
    NotifyRequest,
    NotifyResult,
)
from okot.errors import ExternalFailure, PermanentFailure
from okot.mail.delivery import Delivery

ERROR_TEXT_LIMIT = 200
CLAIM = timedelta(seconds=90)
"""How long one attempt may hold a notice (longer than the activity's 60 s)."""


def attempt_error(err: Exception) -> str:
    """What a failed attempt met, for the outbox: the failure's class, and its text when
    it is one of ours (``str()`` of an :class:`~okot.errors.ExternalFailure` is safe to
    store); never a server's or a library's free text."""
    kind = type(err).__name__
    if isinstance(err, ExternalFailure):
        return f"{kind}: {err}"[:ERROR_TEXT_LIMIT]
    return kind


class NotifyActivities:
    def __init__(self, engine: Engine, delivery: Delivery | None = None) -> None:
        self._engine = engine
        self._delivery = delivery

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

"""The ``notify`` activity: one notification, through the outbox, delivered once.

The notice is written to the outbox under its idempotency key first; it is
sent only if the outbox does not already hold it as sent, so a retry after a
crash never sends the same key twice once the first send was recorded.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from okot.db import outbox
from okot.domain.effects import (
    NotifyRequest,
    NotifyResult,
)
from okot.errors import PermanentFailure
from okot.mail.delivery import Delivery


class NotifyActivities:
    def __init__(self, engine: Engine, delivery: Delivery | None = None) -> None:
        self._engine = engine
        self._delivery = delivery

    @activity.defn(name="notify")
    async def notify(self, request: NotifyRequest) -> NotifyResult:
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
        try:
            message_id = await self._delivery.deliver(notice, outbox_id)
        except PermanentFailure as err:
            await asyncio.to_thread(
                outbox.mark_notification, self._engine, outbox_id, "failed", str(err)
            )
            activity.logger.warning("notification failed for good", extra=log)
            raise ApplicationError(
                str(err), type="PermanentDeliveryError", non_retryable=True
            ) from err
        except Exception as err:
            await asyncio.to_thread(
                outbox.mark_notification, self._engine, outbox_id, "queued", type(err).__name__
            )
            activity.logger.warning("notification delivery will be retried", extra=log)
            raise
        await asyncio.to_thread(
            outbox.mark_notification, self._engine, outbox_id, "sent", None, message_id
        )
        activity.logger.info("notification sent", extra=log)
        return NotifyResult(outbox_id=outbox_id, state="sent")

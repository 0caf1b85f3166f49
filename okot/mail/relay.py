"""The mail relay: delivers the outbox's queued notices, in a process of its own.

With ``OKOT_DELIVERY=relay`` the worker's ``notify`` activity only writes the notice
to the outbox (once per idempotency key) and waits until its row says ``sent`` or
``failed``; ``okot outbox relay`` (this module) does the sending. The split is about
crashes: a mail server accepts a mail before the sender can write down that it did,
so whoever is killed in between sends that mail again on its next try. Workers are
restarted often (deploys, scaling, crashes) and run hundreds of activities at once;
the relay only sends, writes ``sent`` right after the server's ``250`` and, on
SIGTERM, finishes the mails it has started before it stops. A worker killed at any
moment therefore never sends a mail twice; only a relay killed with SIGKILL inside
that one round trip can (the same Message-ID, which receiving servers recognise).

Each round (:meth:`Relay.run_once`) takes the queued rows that are due (:func:`due_rows`):
not claimed by a running attempt, and past their back-off after a failed attempt
(:func:`retry_delay`: 5 s doubling up to 10 minutes). Each is claimed, delivered
through :class:`~okot.mail.delivery.MailDelivery` and marked: ``sent``; ``failed``
for good on a permanent failure or when it is older than :data:`GIVE_UP` (the
workflow then tells the team lead); else ``queued`` with the error it met, so
``okot outbox --failed`` shows the backlog while it lasts. A trajectory hands over
one notice per recipient at a time, so a recipient's mails keep their order.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select

from okot.db import outbox
from okot.db.engine import session
from okot.db.tables import OUTBOX, Outbox
from okot.db.writes import utc_now
from okot.domain.status import Notice
from okot.domain.values import Role
from okot.errors import PermanentFailure
from okot.logging import get_logger
from okot.mail.delivery import Delivery
from okot.mail.errors import attempt_error

log = get_logger(__name__)

GIVE_UP = timedelta(days=3) - timedelta(hours=1)
"""A notice not delivered within this time is failed for good: before the workflow's
own limit (three days), so that the workflow hears ``failed`` and tells the team lead."""
CLAIM = timedelta(seconds=90)
"""How long one delivery attempt holds its row (longer than the SMTP timeout)."""
BATCH = 200
"""Rows looked at per round, at most."""


def retry_delay(attempts: int) -> timedelta:
    """How long after a failed attempt the next one comes: 5 s, doubling, at most 10 min."""
    if attempts <= 0:
        return timedelta(0)
    return timedelta(seconds=min(5 * 2 ** min(attempts - 1, 12), 600))



def _utc(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=utc_now().tzinfo)


def next_attempt(row: Outbox) -> datetime:
    """When the relay tries ``row`` next (at the earliest: it may be busy)."""
    if row.last_attempt_at is None:
        return _utc(row.created_at)
    return _utc(row.last_attempt_at) + retry_delay(row.attempts)


def due_rows(engine: Engine, now: datetime, limit: int = BATCH) -> list[Outbox]:
    """Queued rows that no attempt holds and whose back-off has passed: those never tried
    first (oldest first), then those whose last attempt is longest ago, so a new mail is
    never held behind a backlog that waits out its back-off."""
    o = OUTBOX.c
    query = (select(Outbox)
             .where(o.state == "queued", or_(o.claimed_until.is_(None), o.claimed_until < now))
             .order_by(o.last_attempt_at.is_not(None), o.last_attempt_at, o.id)
             .limit(limit))
    with session(engine) as s:
        rows = list(s.scalars(query).all())
    return [r for r in rows if next_attempt(r) <= now]


def notice_of(row: Outbox) -> Notice:
    """The notice an outbox row holds (its key, template, recipient and context)."""
    return Notice(role=Role(row.recipient_role), to=row.recipient, template=row.template,
                  key=row.key, context=row.context or {})


@dataclass
class RoundResult:
    """What one round did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    """Claimed by another attempt meanwhile (another relay), or sent already."""

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed


class Relay:
    """Delivers due outbox rows, ``concurrency`` at a time."""

    def __init__(self, engine: Engine, delivery: Delivery, *, concurrency: int = 8,
                 poll_seconds: float = 1.0) -> None:
        self._engine = engine
        self._delivery = delivery
        self._gate = asyncio.Semaphore(max(1, concurrency))
        self._poll = poll_seconds

    async def run_once(self) -> RoundResult:
        """One round: deliver every row that is due now."""
        result = RoundResult()
        rows = await asyncio.to_thread(due_rows, self._engine, utc_now())
        await asyncio.gather(*(self._one(row, result) for row in rows))
        return result

    async def run(self, stop: asyncio.Event) -> None:
        """Rounds until ``stop`` is set; a round under way is finished first (no mail is
        left between the server's acceptance and its ``sent``)."""
        log.info("mail relay started")
        while not stop.is_set():
            try:
                result = await self.run_once()
            except Exception as err:  # the database away for a while: try again
                log.warning("mail relay round failed", error=type(err).__name__)
                result = RoundResult()
            if result.handled:
                log.info("mail relay round", sent=result.sent, retried=result.retried,
                         failed=result.failed)
            if result.handled == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._poll)
        log.info("mail relay stopped")

    async def _one(self, row: Outbox, result: RoundResult) -> None:
        outbox_id = int(row.id or 0)
        async with self._gate:
            claim = await asyncio.to_thread(outbox.claim_notification, self._engine,
                                            outbox_id, CLAIM)
            if claim != "claimed":
                result.skipped += 1
                return
            fields = {"outbox_id": outbox_id, "template": row.template,
                      "role": row.recipient_role}
            try:
                message_id = await self._delivery.deliver(notice_of(row), outbox_id)
            except Exception as err:
                error = attempt_error(err)
                too_old = utc_now() - _utc(row.created_at) >= GIVE_UP
                state = "failed" if isinstance(err, PermanentFailure) or too_old else "queued"
                await asyncio.to_thread(outbox.mark_notification, self._engine, outbox_id,
                                        state, error)
                if state == "failed":
                    result.failed += 1
                    log.warning("notification failed for good", **fields, error=error)
                else:
                    result.retried += 1
                    log.warning("notification delivery will be retried", **fields, error=error,
                                attempt=row.attempts + 1)
                return
            await asyncio.to_thread(outbox.mark_notification, self._engine, outbox_id,
                                    "sent", None, message_id)
            result.sent += 1
            log.info("notification sent", **fields)

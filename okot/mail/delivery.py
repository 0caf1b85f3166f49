"""Delivering a notice by mail: staff directory lookup, Dutch template, SMTP.

:class:`MailDelivery` is what the ``notify`` activity (and ``okot outbox
retry``) delivers through: it resolves the recipients in the staff directory
at send time (a reassignment or a changed address is honoured; the workflow
history only ever holds staff ids), renders the template
(:mod:`okot.mail.render`) and sends it (:mod:`okot.mail.smtp`).

The :class:`Delivery` protocol lives here, beside its one production
implementation and :func:`delivery_from_settings`, just as
:class:`~okot.vdab.gateway.RegistrationGateway` lives beside its HTTP client:
the activities (and the worker wiring) depend on the adapter's port, never
the other way round, since nothing in ``okot/`` may import ``activities``.
It is not in :mod:`okot.errors`, which holds the failure kinds only and
knows nothing of notices.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from sqlalchemy import Engine

from okot.db import staff
from okot.domain.status import Notice
from okot.domain.values import Role
from okot.mail.errors import PermanentDeliveryError
from okot.mail.render import (
    MailTemplateError,
    StaffContact,
    render,
    resolve_people,
)
from okot.mail.smtp import (
    build_message,
    message_id_for,
    send,
)
from okot.settings import Settings


class Delivery(Protocol):
    async def deliver(self, notice: Notice, outbox_id: int) -> str:
        """Deliver ``notice``; return its Message-ID.

        Raise an :class:`okot.errors.PermanentFailure` when hopeless (unknown
        recipient, refused address); any other exception is retried.
        """
        ...


def _contact(engine: Engine, staff_id: str) -> StaffContact | None:
    member = staff.lookup_staff(engine, staff_id)
    if member is None:
        return None
    return StaffContact(
        id=member.id, role=Role(member.role), name=member.name, email=member.email,
        phone=member.phone, ocmw=member.ocmw, teamlead=member.teamlead,
    )


class MailDelivery:
    """Renders a notice in Dutch for its recipient and sends it."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings

    def _lookup(self, staff_id: str) -> StaffContact | None:
        return _contact(self._engine, staff_id)

    async def deliver(self, notice: Notice, outbox_id: int) -> str:
        try:
            recipient, contact = await asyncio.to_thread(resolve_people, notice, self._lookup)
            rendered = render(notice.template, notice.context, recipient, contact,
                              web_url=self._settings.web_url)
            message = build_message(
                rendered, self._settings.smtp_from, recipient, notice.key,
                reply_to=contact if notice.template == "agreement_given" else None,
            )
            await send(message, self._settings)
        except MailTemplateError as err:  # a template this notice cannot fill: never will
            raise PermanentDeliveryError(str(err)) from err
        return message_id_for(notice.key)


def delivery_from_settings(settings: Settings, engine: Engine) -> Delivery | None:
    """The worker's delivery the settings ask for; ``None`` when the worker does not send
    (``outbox``: queued only; ``relay``: the mail relay sends)."""
    if settings.delivery in ("outbox", "relay"):
        return None
    return MailDelivery(engine, settings)

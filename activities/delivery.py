"""Mail delivery for the ``notify`` activity: staff directory, template, SMTP.

Recipients are resolved from the staff directory at send time (a
reassignment or a changed address is honoured); the workflow history only
ever holds staff ids.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from activities.notify import Delivery, PermanentFailure
from okot.db import staff
from okot.domain.status import Notice
from okot.domain.values import Role
from okot.mail import compose as mail
from okot.settings import Settings


def _contact(engine: Engine, staff_id: str) -> mail.StaffContact | None:
    member = staff.lookup_staff(engine, staff_id)
    if member is None:
        return None
    return mail.StaffContact(
        id=member.id, role=Role(member.role), name=member.name, email=member.email,
        phone=member.phone, ocmw=member.ocmw, teamlead=member.teamlead,
    )


class MailDelivery:
    """Renders a notice in Dutch for its recipient and sends it."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings

    def _lookup(self, staff_id: str) -> mail.StaffContact | None:
        return _contact(self._engine, staff_id)

    async def deliver(self, notice: Notice, outbox_id: int) -> str:
        try:
            recipient, contact = await asyncio.to_thread(mail.resolve_people, notice, self._lookup)
            rendered = mail.render(notice.template, notice.context, recipient, contact)
            message = mail.build_message(
                rendered, self._settings.smtp_from, recipient, notice.key,
                reply_to=contact if notice.template == "agreement_given" else None,
            )
            await mail.send(message, self._settings)
        except (mail.PermanentDeliveryError, mail.MailTemplateError) as err:
            raise PermanentFailure(str(err)) from err
        return mail.message_id_for(notice.key)


def delivery_from_settings(settings: Settings, engine: Engine) -> Delivery | None:
    """The delivery the settings ask for; ``None`` queues in the outbox only."""
    if settings.delivery == "outbox":
        return None
    return MailDelivery(engine, settings)

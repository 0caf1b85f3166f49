"""Rendering a Dutch mail for a notice: who gets it, and what it says.

The first two steps of delivering a :class:`~okot.domain.status.Notice`
(:mod:`okot.mail.smtp` builds and sends the result):

1. :func:`resolve_people` finds the recipient and the contact person of the
   notice in the staff directory (names, e-mail addresses and phone numbers
   are looked up at send time, never carried in a workflow);
2. :func:`render` renders the template ``okot/mail/templates/<template>.j2``
   into a :class:`RenderedMail` (subject, plain text, HTML), with the Dutch
   filters of :mod:`okot.mail.filters`.

Privacy (docs/domain.md): exception messages here carry only template keys
and variable names, never a person's name, address or phone number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from okot.domain.status import Notice
from okot.domain.values import (
    DeadlineKind,
    Role,
    StaffId,
)
from okot.mail.errors import PermanentDeliveryError
from okot.mail.filters import FILTERS

TEMPLATE_DIR: Final = Path(__file__).resolve().parent / "templates"

# ------------------------------------------------------------------- templates

EVENT_TEMPLATES: Final[tuple[str, ...]] = (
    "candidacy_submitted",
    "agreement_given",
    "agreement_declined",
    "registered",
    "registration_failed",
    "screening_result",
    "start_postponed",
    "training_started",
    "stop_reported",
    "training_ended",
    "withdrawn",
    "reassigned_to",
    "reassigned_from",
    "follow_up_agreed",
    "follow_up_confirmed",
    "follow_up_closed",
    "notification_failed",
)
"""Templates of the notices that journey events emit."""

SILENT_DEADLINES: Final = frozenset({DeadlineKind.REGISTRATION_RETRY, DeadlineKind.FOLLOW_UP_CLOSE})
"""Deadline kinds that never notify anyone by themselves."""

DEADLINE_TEMPLATES: Final[tuple[str, ...]] = tuple(
    k.value for k in DeadlineKind if k not in SILENT_DEADLINES
)
"""Templates of reminders and escalations: one per notifying :class:`DeadlineKind`."""

TEMPLATES: Final = frozenset(EVENT_TEMPLATES + DEADLINE_TEMPLATES)
"""Every template key a :class:`~okot.model.Notice` may carry."""

# Who ``contact`` is, per template, when it is not the default "the other party".
_CONTACT_KEY: Final[Mapping[str, str]] = {
    "agreement_given": "contact",
    "reassigned_to": "previous",
    "reassigned_from": "successor",
}
_CONTACT_REQUIRED: Final = frozenset({"agreement_given"})
_RESERVED: Final = frozenset({"recipient", "contact_person", "part", "case_url"})


def case_url(web_url: str, case_id: str) -> str:
    """The case page of the web app (``okot web``) for ``case_id``."""
    return f"{web_url.rstrip('/')}/dossiers/{case_id}"

# ---------------------------------------------------------------------- errors


class MailTemplateError(ValueError):
    """The template is unknown, or the context lacks a key it needs (names keys only)."""


# ---------------------------------------------------------------------- models

# Deliberately loose (the directory decides); build_message() refuses what SMTP cannot carry.
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


class StaffContact(BaseModel):
    """One staff member as the staff directory knows them, at send time.

    ``teamlead`` is the staff id of this person's team lead (caseworkers);
    ``ocmw`` is the OCMW code (for a VDAB mediator: the OCMW they work with;
    it is not shown as their employer).
    Validation errors never echo the input (``hide_input_in_errors``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    id: StaffId
    role: Role
    name: str = Field(min_length=1, max_length=300)
    email: str = Field(pattern=_EMAIL_RE.pattern, max_length=254)
    phone: str | None = Field(default=None, max_length=100)
    ocmw: str | None = Field(default=None, max_length=64)
    teamlead: StaffId | None = None


class RenderedMail(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    template: str
    subject: str
    text: str
    html: str


# ------------------------------------------------------------------- jinja


def _environment(*, html: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        undefined=StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    return env


_TEXT_ENV: Final = _environment(html=False)
_HTML_ENV: Final = _environment(html=True)


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _tidy_html(html: str) -> str:
    lines = [line.rstrip() for line in html.strip().splitlines()]
    return "\n".join(line for line in lines if line.strip()) + "\n"


# ------------------------------------------------------------------ rendering


def contact_id_for(notice: Notice) -> str | None:
    """The staff id whose details go into the mail as the contact person.

    ``agreement_given``: the contact the caseworker named (the 'formeel
    akkoord' needs one). ``reassigned_to``: the previous holder;
    ``reassigned_from``: the successor. Otherwise the other party: the
    caseworker for a mediator, the mediator for a caseworker, and for a team
    lead the caseworker whose file it is (``notice.to``).
    """
    key = _CONTACT_KEY.get(notice.template)
    if key is not None:
        value = notice.context.get(key)
    elif notice.role is Role.TEAMLEAD:
        value = notice.to
    elif notice.role is Role.MEDIATOR:
        value = notice.context.get("caseworker")
    else:
        value = notice.context.get("mediator")
    return value if isinstance(value, str) and value else None


def resolve_people(
    notice: Notice, lookup: Callable[[str], StaffContact | None]
) -> tuple[StaffContact, StaffContact | None]:
    """Recipient and contact person of ``notice``, from the staff directory.

    For ``role == teamlead`` the recipient is the team lead of the caseworker
    ``notice.to``. A missing recipient (or missing 'formeel akkoord' contact)
    is a :class:`PermanentDeliveryError`: retrying will not make them appear.
    So is a directory entry that does not make a valid :class:`StaffContact`.
    """
    try:
        return _resolve(notice, lookup)
    except ValidationError:
        raise PermanentDeliveryError(
            f"{notice.template}: a staff directory entry is incomplete or invalid"
        ) from None


def _resolve(
    notice: Notice, lookup: Callable[[str], StaffContact | None]
) -> tuple[StaffContact, StaffContact | None]:
    addressee = lookup(notice.to)
    if addressee is None:
        raise PermanentDeliveryError(f"{notice.template}: recipient not in the staff directory")
    if notice.role is Role.TEAMLEAD:
        if addressee.teamlead is None:
            raise PermanentDeliveryError(f"{notice.template}: the caseworker has no teamlead")
        lead = lookup(addressee.teamlead)
        if lead is None:
            raise PermanentDeliveryError(f"{notice.template}: teamlead not in the staff directory")
        recipient = lead
    else:
        recipient = addressee
    contact_id = contact_id_for(notice)
    contact = None
    if contact_id is not None:
        contact = addressee if contact_id == addressee.id else lookup(contact_id)
    if contact is None and notice.template in _CONTACT_REQUIRED:
        raise PermanentDeliveryError(f"{notice.template}: contact person not in the staff directory")
    return recipient, contact


def render(
    template: str,
    context: Mapping[str, object],
    recipient: StaffContact,
    contact: StaffContact | None,
    *,
    web_url: str | None = None,
) -> RenderedMail:
    """Render ``okot/templates/<template>.j2`` in Dutch for ``recipient``.

    With ``web_url`` (``OKOT_WEB_URL``) every mail links straight to the case
    page, ``<web_url>/dossiers/<case_id>``, where the recipient acts.

    ``context`` is a notice's context (ids, codes, ISO dates; see
    ``journey._base_context``). People's names and contact details come only
    from ``recipient`` and ``contact`` (available in templates as
    ``recipient`` and ``contact_person``). Raises :class:`MailTemplateError`
    for an unknown template, a missing required key or a missing contact.
    """
    if template not in TEMPLATES:
        raise MailTemplateError(f"unknown mail template {template!r}")
    if template in _CONTACT_REQUIRED and contact is None:
        raise MailTemplateError(f"template {template!r} needs the contact person")
    clash = _RESERVED.intersection(context)
    if clash:
        raise MailTemplateError(f"context may not use the reserved keys {sorted(clash)}")
    variables: dict[str, object] = {
        **context,
        "template": template,
        "recipient": recipient,
        "contact_person": contact,
        "case_url": case_url(web_url, str(context.get("case_id", ""))) if web_url else None,
    }
    name = f"{template}.j2"
    try:
        text_template = _TEXT_ENV.get_template(name)
        subject = text_template.render(variables, part="subject")
        text = text_template.render(variables, part="text")
        html = _HTML_ENV.get_template(name).render(variables, part="html")
    except TemplateError as error:
        # Jinja's messages name template variables, never their values.
        raise MailTemplateError(f"template {template!r}: {error.message}") from None
    return RenderedMail(
        template=template,
        subject=" ".join(subject.split()),
        text=_tidy_text(text),
        html=_tidy_html(html),
    )

"""Delivering notifications: render a Dutch mail from a template, build it, send it.

Pure library code for the notification activities (the outbox lives in
``okot.db.store``). The pieces, in the order an activity uses them:

1. :func:`resolve_people` finds the recipient and the contact person of a
   :class:`~okot.model.Notice` in the staff directory (names, e-mail addresses
   and phone numbers are looked up at send time, never carried in a workflow).
2. :func:`render` renders the template ``okot/templates/<template>.j2`` into a
   :class:`RenderedMail` (subject, plain text, HTML).
3. :func:`build_message` wraps it in an :class:`email.message.EmailMessage`
   whose Message-ID follows from the idempotency key, so a retried send is
   recognisably the same mail.
4. :func:`send` delivers over SMTP (or writes a ``.eml`` into
   ``settings.mail_dir``) and classifies every failure as
   :class:`TemporaryDeliveryError` (retry) or :class:`PermanentDeliveryError`
   (give up; the journey then tells the team lead).

Privacy (shared/domain.md): exception messages and log lines here carry only
template keys, SMTP codes and hashes, never an e-mail address, a name, a phone
number or a server's free-text reply. Exceptions are raised ``from None`` so no
third-party exception with an address in it hangs off them.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.errors
import email.utils
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Final

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from okot.domain.status import Notice
from okot.domain.values import (
    DeadlineKind,
    Role,
    StaffId,
)
from okot.settings import Settings

log = logging.getLogger(__name__)

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
    "training_ended",
    "withdrawn",
    "reassigned_to",
    "reassigned_from",
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

TEMPLATE_TITLES: Final[Mapping[str, str]] = {
    "candidacy_submitted": "de melding van een nieuwe kandidaatstelling",
    "agreement_given": "het formeel akkoord aan de VDAB-bemiddelaar",
    "agreement_declined": "de melding dat er geen formeel akkoord komt",
    "registered": "de bevestiging van de inschrijving als werkzoekende",
    "registration_failed": "de melding van een mislukte inschrijving als werkzoekende",
    "screening_result": "het resultaat van de screening",
    "start_postponed": "de melding van een uitgestelde startdatum",
    "training_started": "de melding van de start van de opleiding",
    "training_ended": "het resultaat van de opleiding",
    "withdrawn": "de melding dat de cliënt stopt vóór de start",
    "reassigned_to": "de melding van een nieuwe toewijzing",
    "reassigned_from": "de melding van een overdracht",
    "follow_up_closed": "de melding van de afsluiting na de nazorg",
    "notification_failed": "een melding van een niet-afgeleverd bericht",
    "orientation_reminder": "een herinnering over de kandidaatstelling",
    "orientation_escalation": "een escalatie over de kandidaatstelling",
    "agreement_reminder": "een herinnering over het formeel akkoord",
    "agreement_escalation": "een escalatie over het formeel akkoord",
    "handover_reminder": "een herinnering over de warme overdracht",
    "handover_escalation": "een escalatie over de warme overdracht",
    "screening_reminder": "een herinnering over het resultaat van de screening",
    "screening_escalation": "een escalatie over het resultaat van de screening",
    "start_reminder": "een herinnering over de start van de opleiding",
    "progress_check": "een herinnering om de voortgang na te kijken",
    "end_reminder": "een herinnering over het resultaat van de opleiding",
    "follow_up_reminder": "een herinnering over de begeleiding naar werk",
    "employment_check_6m": "de opvolging van de werksituatie na 6 maanden",
    "employment_check_12m": "de opvolging van de werksituatie na 12 maanden",
}
"""What each template is, in Dutch (used when a mail about a mail is sent)."""

# Who ``contact`` is, per template, when it is not the default "the other party".
_CONTACT_KEY: Final[Mapping[str, str]] = {
    "agreement_given": "contact",
    "reassigned_to": "previous",
    "reassigned_from": "successor",
}
_CONTACT_REQUIRED: Final = frozenset({"agreement_given"})
_RESERVED: Final = frozenset({"recipient", "contact_person", "part"})

# ---------------------------------------------------------------------- errors


class DeliveryError(Exception):
    """A mail could not be delivered. ``str(error)`` never names a person or address."""

    retryable: bool = True

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TemporaryDeliveryError(DeliveryError):
    """Try again later: SMTP 4xx, connection trouble, timeouts, configuration hiccups."""

    retryable = True


class PermanentDeliveryError(DeliveryError):
    """This mail will never be delivered as it is: SMTP 5xx, refused or unknown recipient."""

    retryable = False


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


# ------------------------------------------------------------ Dutch vocabulary

_MONTHS: Final = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)
_STUDY_LEVELS: Final[Mapping[str, str]] = {
    "secondary": "secundair onderwijs",
    "se_n_se": "secundair-na-secundair (Se-n-Se)",
    "graduaat": "graduaat (HBO5)",
    "bachelor": "bachelor",
}
_RESULTS: Final[Mapping[str, str]] = {
    "passed": "geslaagd",
    "not_passed": "niet geslaagd",
    "stopped_early": "vroegtijdig stopgezet door VDAB",
}
_REASONS: Final[Mapping[str, str]] = {
    "motivation": "motivatie",
    "preconditions_financial": "randvoorwaarden: financiële situatie",
    "preconditions_mobility": "randvoorwaarden: mobiliteit",
    "preconditions_childcare": "randvoorwaarden: kinderopvang",
    "fit": "de opleiding past (nu) niet in het traject naar werk",
    "learning_ability": "leervermogen",
    "other": "andere reden (de VDAB-bemiddelaar licht die graag toe)",
}
_STAGES: Final[Mapping[str, str]] = {
    "orientation": "oriëntatie",
    "awaiting_agreement": "wacht op formeel akkoord",
    "registering": "inschrijving als werkzoekende",
    "handover": "warme overdracht",
    "screening": "intake en screening bij VDAB",
    "awaiting_start": "wacht op de start van de opleiding",
    "in_training": "in opleiding",
    "follow_up": "nazorg en begeleiding naar werk",
    "closed": "afgesloten",
}
_ROLES: Final[Mapping[str, str]] = {
    "caseworker": "maatschappelijk assistent / arbeidstrajectbegeleider (MA/ATB)",
    "mediator": "VDAB-bemiddelaar",
    "teamlead": "teamverantwoordelijke",
    "system": "okot-flow",
}
_CHANNELS: Final[Mapping[str, str]] = {
    "training_guide": "via de opleidingengids",
    "mediator": "via de VDAB-bemiddelaar",
}


def _datum(value: object) -> str:
    """``2025-03-03`` -> ``3 maart 2025``; anything unparsable is shown as is."""
    if value is None or value == "":
        return "onbekend"
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _lookup(table: Mapping[str, str], fallback: str) -> Callable[[object], str]:
    def translate(value: object) -> str:
        if value is None or value == "":
            return fallback
        key = str(getattr(value, "value", value))
        return table.get(key, key)

    return translate


def _redenen(value: object) -> list[str]:
    """Comma-separated screening reason codes -> Dutch phrases, in order."""
    if not value:
        return []
    codes = [c.strip() for c in str(value).split(",") if c.strip()]
    return [_REASONS.get(c, f"andere reden ({c})") for c in codes]


def _ocmw_naam(value: object) -> str:
    """An OCMW code (``sint-niklaas``) as people write it (``OCMW Sint-Niklaas``)."""
    if not value:
        return "het OCMW"
    parts = re.split(r"([-_])", str(value))
    words = "".join(
        "-" if p in "-_" else (p if p.isupper() else p.capitalize()) for p in parts
    )
    return f"OCMW {words}"


def _sjabloon(value: object) -> str:
    key = str(value or "")
    return TEMPLATE_TITLES.get(key, "een bericht")


def _hoofdletter(value: object) -> str:
    """First letter upper case, the rest untouched (unlike jinja's ``capitalize``)."""
    text = str(value)
    return text[:1].upper() + text[1:]


_FILTERS: Final[Mapping[str, Callable[..., Any]]] = {
    "hoofdletter": _hoofdletter,
    "datum": _datum,
    "niveau": _lookup(_STUDY_LEVELS, "nog niet bepaald"),
    "resultaat": _lookup(_RESULTS, "onbekend"),
    "redenen": _redenen,
    "fase": _lookup(_STAGES, "onbekend"),
    "rol": _lookup(_ROLES, "medewerker"),
    "kanaal": _lookup(_CHANNELS, ""),
    "ocmw_naam": _ocmw_naam,
    "sjabloon": _sjabloon,
}


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
    env.filters.update(_FILTERS)
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
) -> RenderedMail:
    """Render ``okot/templates/<template>.j2`` in Dutch for ``recipient``.

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


# ----------------------------------------------------------------- the message


def message_id_for(key: str) -> str:
    """The Message-ID of the mail with idempotency key ``key`` (deterministic)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@okot-flow>"


def _address(person: StaffContact, what: str) -> Address:
    try:
        return Address(display_name=person.name, addr_spec=person.email)
    except (ValueError, IndexError, TypeError, email.errors.MessageError):
        raise PermanentDeliveryError(f"the {what} address in the staff directory is invalid") from None


def build_message(
    rendered: RenderedMail,
    sender: str,
    recipient: StaffContact,
    key: str,
    *,
    reply_to: StaffContact | None = None,
) -> EmailMessage:
    """A multipart/alternative mail (text + HTML) for ``recipient``.

    ``sender`` is the From address (``settings.smtp_from``). ``key`` is the
    notice's idempotency key; it determines the Message-ID (see
    :func:`message_id_for`), so resending after a crash yields the same id and
    the same ``.eml`` file name. ``reply_to`` (e.g. the contact person of the
    'formeel akkoord') becomes the Reply-To header.
    """
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = sender
    message["To"] = _address(recipient, "recipient")
    if reply_to is not None and reply_to.email != recipient.email:
        message["Reply-To"] = _address(reply_to, "reply-to")
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = message_id_for(key)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message["X-OKOT-Template"] = rendered.template
    message["Content-Language"] = "nl-BE"
    message.set_content(rendered.text, subtype="plain", charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return message


# --------------------------------------------------------------------- sending


def _message_digest(message: EmailMessage) -> str:
    message_id = str(message.get("Message-ID", "")).strip()
    match = re.fullmatch(r"<([0-9a-f]{8,64})@okot-flow>", message_id)
    if match:
        return match.group(1)
    if not message_id:
        raise ValueError("the message has no Message-ID; build it with build_message()")
    return hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:32]


def _write_eml(directory: Path, name: str, payload: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}.eml"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".okot-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def _by_code(code: int, what: str) -> DeliveryError:
    if 400 <= code < 500:
        return TemporaryDeliveryError(f"SMTP {code}: {what} refused temporarily", code)
    if 500 <= code < 600:
        return PermanentDeliveryError(f"SMTP {code}: {what} refused", code)
    return TemporaryDeliveryError(f"SMTP {code}: unexpected reply to {what}", code)


def classify_smtp_error(error: BaseException) -> DeliveryError:
    """Map an aiosmtplib/OS error to a delivery error with an address-free message.

    4xx, lost connections and timeouts are temporary; 5xx and refused
    recipients are permanent. Authentication, HELO and unsupported-extension
    failures are configuration problems of *our* side: they are temporary, so
    the outbox keeps the mail until operations fix the configuration instead
    of giving up on every notice.
    """
    if isinstance(error, DeliveryError):
        return error
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in error.recipients] or [550]
        if all(400 <= c < 500 for c in codes):
            return TemporaryDeliveryError(f"SMTP {codes[0]}: recipient refused temporarily", codes[0])
        code = next(c for c in codes if not 400 <= c < 500)
        return PermanentDeliveryError(f"SMTP {code}: recipient refused", code)
    if isinstance(error, aiosmtplib.SMTPRecipientRefused):
        return _by_code(error.code, "recipient")
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return TemporaryDeliveryError(
            f"SMTP {error.code}: authentication refused (check OKOT_SMTP_USERNAME/PASSWORD)",
            error.code,
        )
    if isinstance(error, aiosmtplib.SMTPHeloError):
        return TemporaryDeliveryError(f"SMTP {error.code}: greeting refused", error.code)
    if isinstance(error, aiosmtplib.SMTPSenderRefused):
        return _by_code(error.code, "sender")
    if isinstance(error, aiosmtplib.SMTPDataError):
        return _by_code(error.code, "message")
    if isinstance(error, aiosmtplib.SMTPConnectResponseError):
        return _by_code(error.code, "connection")
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return _by_code(error.code, "command")
    if isinstance(error, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return TemporaryDeliveryError("SMTP timeout")
    if isinstance(error, aiosmtplib.SMTPNotSupported):
        return TemporaryDeliveryError("SMTP server lacks a required extension (check TLS settings)")
    if isinstance(error, aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPConnectError):
        return TemporaryDeliveryError("SMTP server unreachable or disconnected")
    if isinstance(error, OSError):
        return TemporaryDeliveryError(f"SMTP connection failed ({type(error).__name__})")
    return TemporaryDeliveryError(f"SMTP delivery failed ({type(error).__name__})")


async def send(message: EmailMessage, settings: Settings) -> None:
    """Deliver ``message``: write ``<mail_dir>/<id>.eml`` if ``settings.mail_dir``
    is set, else send over SMTP with the ``OKOT_SMTP_*`` settings.

    Raises :class:`TemporaryDeliveryError` or :class:`PermanentDeliveryError`.
    Writing the same message twice overwrites one file (the name follows
    from the Message-ID).
    """
    digest = _message_digest(message)
    if settings.mail_dir is not None:
        try:
            await asyncio.to_thread(_write_eml, Path(settings.mail_dir), digest, bytes(message))
        except OSError as error:
            raise TemporaryDeliveryError(
                f"could not write the mail file ({type(error).__name__})"
            ) from None
        log.info("mail written", extra={"message_hash": digest, "transport": "mail_dir"})
        return
    try:
        errors, _ = await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            use_tls=settings.smtp_tls,
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
    except Exception as error:
        failure = classify_smtp_error(error)
        log.warning(
            "mail not delivered",
            extra={
                "message_hash": digest,
                "smtp_code": failure.code,
                "retryable": failure.retryable,
                "error_type": type(error).__name__,
            },
        )
        raise failure from None
    if errors:  # some recipients refused, others accepted: report the refusal
        codes = [response.code for response in errors.values()]
        code = max(codes)
        failure = _by_code(code, "recipient")
        log.warning("mail partly refused", extra={"message_hash": digest, "smtp_code": code})
        raise failure
    log.info("mail sent", extra={"message_hash": digest, "transport": "smtp"})

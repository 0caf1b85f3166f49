"""Building a notification mail and sending it over SMTP (or into a directory).

The last two steps of delivering a notice (:mod:`okot.mail.render` comes first):

1. :func:`build_message` wraps a :class:`~okot.mail.render.RenderedMail` in an
   :class:`email.message.EmailMessage` whose Message-ID follows from the
   idempotency key (:func:`message_id_for`), so a retried send is
   recognisably the same mail;
2. :func:`send` delivers over SMTP (or writes a ``.eml`` into
   ``settings.mail_dir``) and classifies every failure
   (:func:`classify_smtp_error`) as :class:`~okot.mail.errors.TemporaryDeliveryError`
   (retry) or :class:`~okot.mail.errors.PermanentDeliveryError` (give up; the
   journey then tells the team lead).

Privacy (docs/domain.md): exception messages and log lines here carry only
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
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from okot.mail.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from okot.mail.render import (
    RenderedMail,
    StaffContact,
)
from okot.settings import Settings

log = logging.getLogger(__name__)

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

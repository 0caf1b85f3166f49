"""Sending for real: an aiosmtpd server on loopback, refusals, timeouts, mail_dir."""

from __future__ import annotations

import time
from email.message import EmailMessage
from pathlib import Path

import mail_helpers as h
import pytest

from okot.mail.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from okot.mail.render import render
from okot.mail.smtp import (
    build_message,
    message_id_for,
    send,
)

KEY = f"okot-{h.CASE_ID}:12:agreement_given:mediator:{h.MEDIATOR.id}"
SENDER = "okot-flow@ocmw-gent.example"


def agreement_mail(key: str = KEY) -> EmailMessage:
    ctx = {**h.BASE_CONTEXT, "stage": "handover", "contact": h.CASEWORKER.id}
    rendered = render("agreement_given", ctx, h.MEDIATOR, h.CASEWORKER)
    return build_message(rendered, SENDER, h.MEDIATOR, key, reply_to=h.CASEWORKER)


def assert_private(error: DeliveryError) -> None:
    message = str(error)
    assert "@" not in message
    for datum in h.personal_data():
        assert datum not in message
    assert error.__cause__ is None  # no third-party exception with an address attached


async def test_delivers_to_the_right_recipient_with_subject_and_message_id() -> None:
    handler = h.RecordingHandler()
    with h.smtp_server(handler) as port:
        message = agreement_mail()
        await send(message, h.smtp_settings(port))

    assert len(handler.delivered) == 1
    got = handler.delivered[0]
    assert got.rcpt_tos == [h.MEDIATOR.email]
    assert got.mail_from == SENDER
    assert got.message["Message-ID"] == message_id_for(KEY)
    assert got.message["Subject"] == message["Subject"]
    assert got.message["Subject"] == f"OKOT-dossier {h.CASE_ID}: formeel akkoord kandidaatstelling OKOT"
    assert got.message["To"].addresses[0].addr_spec == h.MEDIATOR.email
    assert got.message["Reply-To"].addresses[0].addr_spec == h.CASEWORKER.email
    text, html = h.bodies(got.message)
    assert "Beste Bart," in text  # first name only
    assert "Anna Peeters" in text and "09 266 12 34" in text and "cliënt" in text
    assert "anna.peeters@ocmw-gent.example" in html


async def test_temporary_refusal_then_acceptance() -> None:
    handler = h.RecordingHandler(rcpt_replies=["451 4.7.1 Greylisted, please try again later"])
    with h.smtp_server(handler) as port:
        settings = h.smtp_settings(port)
        with pytest.raises(TemporaryDeliveryError) as caught:
            await send(agreement_mail(), settings)
        assert caught.value.code == 451
        assert caught.value.retryable
        assert_private(caught.value)
        assert handler.delivered == []

        await send(agreement_mail(), settings)  # the retry goes through
    assert len(handler.delivered) == 1
    assert handler.rcpt_attempts == 2
    assert handler.delivered[0].message["Message-ID"] == message_id_for(KEY)


async def test_temporary_refusal_of_the_data() -> None:
    handler = h.RecordingHandler(data_replies=["452 4.3.1 Insufficient system storage"])
    with h.smtp_server(handler) as port, pytest.raises(TemporaryDeliveryError) as caught:
        await send(agreement_mail(), h.smtp_settings(port))
    assert caught.value.code == 452
    assert_private(caught.value)


async def test_unknown_recipient_is_permanent() -> None:
    handler = h.RecordingHandler(
        rcpt_replies=[f"550 5.1.1 <{h.MEDIATOR.email}>: Recipient address rejected: unknown"]
    )
    with h.smtp_server(handler) as port, pytest.raises(PermanentDeliveryError) as caught:
        await send(agreement_mail(), h.smtp_settings(port))
    assert caught.value.code == 550
    assert not caught.value.retryable
    assert_private(caught.value)
    assert handler.delivered == []


async def test_rejected_content_is_permanent() -> None:
    handler = h.RecordingHandler(data_replies=["554 5.7.1 Message rejected as spam"])
    with h.smtp_server(handler) as port, pytest.raises(PermanentDeliveryError) as caught:
        await send(agreement_mail(), h.smtp_settings(port))
    assert caught.value.code == 554
    assert_private(caught.value)


async def test_no_server_is_temporary() -> None:
    port = h.free_port()  # nothing listens here
    with pytest.raises(TemporaryDeliveryError) as caught:
        await send(agreement_mail(), h.smtp_settings(port, smtp_timeout_seconds=2.0))
    assert caught.value.code is None
    assert_private(caught.value)


async def test_a_server_that_never_answers_times_out_as_temporary() -> None:
    with h.silent_server() as port:
        started = time.monotonic()
        with pytest.raises(TemporaryDeliveryError) as caught:
            await send(agreement_mail(), h.smtp_settings(port, smtp_timeout_seconds=0.3))
        elapsed = time.monotonic() - started
    assert elapsed < 3
    assert "timeout" in str(caught.value).lower()
    assert_private(caught.value)


async def test_mail_dir_writes_one_eml_per_key(tmp_path: Path) -> None:
    outbox = tmp_path / "mail"
    port = h.free_port()  # SMTP must not be used: nothing listens here
    settings = h.smtp_settings(port, mail_dir=outbox)

    await send(agreement_mail(), settings)
    await send(agreement_mail(), settings)  # a retry: same key, same file
    await send(agreement_mail(KEY + ":other"), settings)

    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2
    assert not list(outbox.glob(".okot-*"))  # no temporary files left behind
    by_id = {h.read_eml(f)["Message-ID"]: f for f in files}
    assert set(by_id) == {message_id_for(KEY), message_id_for(KEY + ":other")}
    path = by_id[message_id_for(KEY)]
    assert path.name == message_id_for(KEY)[1:33] + ".eml"
    parsed = h.read_eml(path)
    assert parsed["To"].addresses[0].addr_spec == h.MEDIATOR.email
    assert parsed["Subject"].endswith("formeel akkoord kandidaatstelling OKOT")
    text, _ = h.bodies(parsed)
    assert "Anna Peeters" in text


async def test_mail_dir_that_cannot_be_written_is_temporary(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(TemporaryDeliveryError) as caught:
        await send(agreement_mail(), h.smtp_settings(h.free_port(), mail_dir=blocker / "mail"))
    assert_private(caught.value)
    assert str(tmp_path) not in str(caught.value)


async def test_message_without_message_id_is_refused(tmp_path: Path) -> None:
    message = agreement_mail()
    del message["Message-ID"]
    with pytest.raises(ValueError, match="Message-ID"):
        await send(message, h.smtp_settings(h.free_port(), mail_dir=tmp_path))

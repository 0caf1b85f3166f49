"""The notify activity: outbox first, delivered once per idempotency key."""

from __future__ import annotations

import mail_helpers as h
import pytest
from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notify import NotifyActivities
from okot.db import outbox
from okot.db.staff import (
    StaffMember,
    import_members,
)
from okot.domain.effects import NotifyRequest
from okot.domain.status import Notice
from okot.domain.values import Role
from okot.mail.delivery import MailDelivery
from okot.mail.errors import TemporaryDeliveryError


def _request(key: str = "okot-GENT-1:3:candidacy_submitted:caseworker:cw-anna",
             to: str = "cw-anna") -> NotifyRequest:
    return NotifyRequest(
        workflow_id="okot-GENT-1",
        notice=Notice(role=Role.CASEWORKER, to=to, template="candidacy_submitted", key=key,
                      context={**h.BASE_CONTEXT, "channel": "training_guide"}),
    )


@pytest.fixture
def directory(engine: Engine) -> Engine:
    import_members(engine, [
        StaffMember(id=p.id, role=p.role.value, name=p.name, email=p.email, phone=p.phone,
                    ocmw=p.ocmw or "vdab", teamlead=p.teamlead)
        for p in h.PEOPLE
    ])
    return engine


async def test_a_retried_activity_delivers_once(directory: Engine) -> None:
    handler = h.RecordingHandler()
    with h.smtp_server(handler) as port:
        activities = NotifyActivities(directory, MailDelivery(directory, h.smtp_settings(port)))
        env = ActivityEnvironment()
        first = await env.run(activities.notify, _request())
        again = await env.run(activities.notify, _request())
        third = await env.run(activities.notify, _request())
    assert first.state == again.state == third.state == "sent"
    assert first.outbox_id == again.outbox_id == third.outbox_id
    assert len(handler.delivered) == 1
    assert handler.delivered[0].rcpt_tos == [h.CASEWORKER.email]
    row = outbox.get_notification(directory, first.outbox_id)
    assert row.state == "sent" and row.message_id == handler.delivered[0].message["Message-ID"]


async def test_temporary_refusal_is_retried_then_delivered_exactly_once(
    directory: Engine,
) -> None:
    handler = h.RecordingHandler(rcpt_replies=["451 4.7.1 Greylisted, please try again later"])
    with h.smtp_server(handler) as port:
        activities = NotifyActivities(directory, MailDelivery(directory, h.smtp_settings(port)))
        env = ActivityEnvironment()
        with pytest.raises(TemporaryDeliveryError):  # not an ApplicationError: Temporal retries it
            await env.run(activities.notify, _request())
        assert outbox.list_notifications(directory)[0].state == "queued"
        result = await env.run(activities.notify, _request())
        await env.run(activities.notify, _request())
    assert result.state == "sent"
    assert len(handler.delivered) == 1


async def test_permanent_refusal_is_not_retried_and_marks_the_outbox(directory: Engine) -> None:
    handler = h.RecordingHandler(rcpt_replies=["550 5.1.1 No such user"])
    with h.smtp_server(handler) as port:
        activities = NotifyActivities(directory, MailDelivery(directory, h.smtp_settings(port)))
        with pytest.raises(ApplicationError) as permanent:
            await ActivityEnvironment().run(activities.notify, _request())
    assert permanent.value.non_retryable and permanent.value.type == "PermanentDeliveryError"
    assert h.CASEWORKER.email not in str(permanent.value)
    (row,) = outbox.list_notifications(directory, failed_only=True)
    assert row.state == "failed"


async def test_unknown_recipient_is_permanent(directory: Engine) -> None:
    activities = NotifyActivities(directory, MailDelivery(directory, h.smtp_settings(1)))
    with pytest.raises(ApplicationError) as permanent:
        await ActivityEnvironment().run(activities.notify, _request(key="k-unknown", to="cw-nobody"))
    assert permanent.value.non_retryable
    assert "not in the staff directory" in str(permanent.value)


async def test_outbox_only_queues(engine: Engine) -> None:
    result = await ActivityEnvironment().run(NotifyActivities(engine).notify, _request())
    assert result.state == "queued"
    (row,) = outbox.list_notifications(engine)
    assert row.state == "queued" and row.recipient == "cw-anna"


def test_outbox_cli_lists_failed_and_retry_resends(
    directory: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from typer.testing import CliRunner

    from okot.cli.app import app
    from okot.settings import get_settings

    refusing = h.RecordingHandler(rcpt_replies=["550 5.1.1 No such user"])
    with h.smtp_server(refusing) as port:
        activities = NotifyActivities(directory, MailDelivery(directory, h.smtp_settings(port)))
        with pytest.raises(ApplicationError):
            asyncio.run(ActivityEnvironment().run(activities.notify, _request()))

    monkeypatch.setenv("OKOT_DATABASE_URL", str(directory.url))
    runner = CliRunner()
    accepting = h.RecordingHandler()
    with h.smtp_server(accepting) as port:
        monkeypatch.setenv("OKOT_SMTP_PORT", str(port))
        monkeypatch.setenv("OKOT_SMTP_HOST", "127.0.0.1")
        get_settings.cache_clear()
        try:
            listed = runner.invoke(app, ["outbox", "--failed", "--json"])
            assert listed.exit_code == 0, listed.output
            (row,) = __import__("json").loads(listed.stdout)
            assert row["state"] == "failed" and row["template"] == "candidacy_submitted"
            retried = runner.invoke(app, ["outbox", "retry", str(row["id"])])
            assert retried.exit_code == 0, retried.output
            again = runner.invoke(app, ["outbox", "retry", str(row["id"])])
            assert again.exit_code == 2 and "sent already" in again.stderr
            missing = runner.invoke(app, ["outbox", "retry", "999"])
            assert missing.exit_code == 2 and "no notification" in missing.stderr
        finally:
            get_settings.cache_clear()
    assert [m.rcpt_tos for m in accepting.delivered] == [[h.CASEWORKER.email]]
    assert outbox.get_notification(directory, row["id"]).state == "sent"


class SmtpDown:
    """The mail server cannot be reached."""

    def __init__(self) -> None:
        self.calls = 0

    async def deliver(self, notice: Notice, outbox_id: int) -> str:
        self.calls += 1
        raise TemporaryDeliveryError("SMTP server unreachable (ConnectionRefusedError)")


async def test_every_failed_attempt_is_counted_and_listed_while_retried(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from okot.cli.app import app
    from okot.settings import get_settings

    activities = NotifyActivities(engine, SmtpDown())
    for _ in range(3):
        with pytest.raises(TemporaryDeliveryError):
            await ActivityEnvironment().run(activities.notify, _request())
    (row,) = outbox.list_notifications(engine, failed_only=True)
    assert (row.state, row.attempts) == ("queued", 3)
    assert row.last_error == "TemporaryDeliveryError: SMTP server unreachable (ConnectionRefusedError)"
    assert row.last_attempt_at is not None and row.claimed_until is None

    monkeypatch.setenv("OKOT_DATABASE_URL", str(engine.url))
    get_settings.cache_clear()
    try:
        listed = CliRunner().invoke(app, ["outbox", "--failed", "--json"])
    finally:
        get_settings.cache_clear()
    assert listed.exit_code == 0, listed.output
    (shown,) = __import__("json").loads(listed.stdout)
    assert shown["state"] == "queued" and shown["attempts"] == 3 and shown["last_attempt_at"]


async def test_an_attempt_never_sends_what_another_attempt_is_delivering(
    directory: Engine,
) -> None:
    from datetime import timedelta

    handler = h.RecordingHandler()
    with h.smtp_server(handler) as port:
        activities = NotifyActivities(directory, MailDelivery(directory, h.smtp_settings(port)))
        outbox_id, _ = outbox.put_notification(directory, _request())
        # an attempt of a run that continued as new (or was reset) is still delivering it
        assert outbox.claim_notification(directory, outbox_id, timedelta(minutes=1)) == "claimed"
        with pytest.raises(ApplicationError) as busy:
            await ActivityEnvironment().run(activities.notify, _request())
        assert busy.value.type == "DeliveryInProgress" and not busy.value.non_retryable
        assert handler.delivered == []
        outbox.mark_notification(directory, outbox_id, "sent", None, "<elsewhere@okot>")
        done = await ActivityEnvironment().run(activities.notify, _request())
    assert done.state == "sent" and handler.delivered == []
    assert outbox.claim_notification(directory, outbox_id, timedelta(minutes=1)) == "sent"

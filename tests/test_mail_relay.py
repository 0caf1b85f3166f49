"""The mail relay (``okot outbox relay``) and the notify activity that waits for it."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import mail_helpers as h
import pytest
from db_fixtures import db, db_backend  # noqa: F401
from sqlalchemy import Engine, update
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from test_notify_activity import SmtpDown, _request

import activities.notify as notify_module
from activities.notify import NotifyActivities
from okot.db import outbox
from okot.db.staff import StaffMember, import_members
from okot.db.tables import OUTBOX
from okot.db.writes import utc_now
from okot.mail import relay as relay_module
from okot.mail.delivery import MailDelivery
from okot.mail.relay import Relay, due_rows, retry_delay


@pytest.fixture
def directory(db: Engine) -> Engine:  # noqa: F811
    """The staff directory on SQLite and on PostgreSQL."""
    engine = db
    import_members(engine, [
        StaffMember(id=p.id, role=p.role.value, name=p.name, email=p.email, phone=p.phone,
                    ocmw=p.ocmw or "vdab", teamlead=p.teamlead)
        for p in h.PEOPLE
    ])
    return engine


def _queue(engine: Engine, n: int) -> list[int]:
    return [outbox.put_notification(engine, _request(key=f"k-{i}"))[0] for i in range(n)]


def _age(engine: Engine, outbox_id: int, **by: timedelta) -> None:
    """Move the row's times back (as if they had passed)."""
    row = outbox.get_notification(engine, outbox_id)
    values = {name: getattr(row, name) - delta for name, delta in by.items()}
    with engine.begin() as conn:
        conn.execute(update(OUTBOX).where(OUTBOX.c.id == outbox_id).values(**values))


def waiting_id(engine: Engine) -> int:
    (row,) = outbox.list_notifications(engine)
    return int(row.id or 0)


def test_retry_delay_doubles_from_five_seconds_to_ten_minutes() -> None:
    assert [retry_delay(n).total_seconds() for n in (0, 1, 2, 3, 7, 8, 50)] == [
        0, 5, 10, 20, 320, 600, 600]


async def test_the_relay_sends_each_queued_mail_once(directory: Engine) -> None:
    handler = h.RecordingHandler()
    ids = _queue(directory, 3)
    with h.smtp_server(handler) as port:
        relay = Relay(directory, MailDelivery(directory, h.smtp_settings(port)))
        first = await relay.run_once()
        second = await relay.run_once()
    assert (first.sent, first.retried, first.failed) == (3, 0, 0)
    assert second.handled == 0
    assert len(handler.delivered) == 3
    rows = [outbox.get_notification(directory, i) for i in ids]
    assert [r.state for r in rows] == ["sent"] * 3
    assert {r.message_id for r in rows} == {m.message["Message-ID"] for m in handler.delivered}


async def test_a_failed_attempt_waits_its_back_off_and_shows_in_the_backlog(
    directory: Engine,
) -> None:
    (outbox_id,) = _queue(directory, 1)
    down = SmtpDown()
    relay = Relay(directory, down)
    assert (await relay.run_once()).retried == 1
    assert (await relay.run_once()).handled == 0  # within its 5 s back-off: not tried again
    assert down.calls == 1
    (row,) = outbox.list_notifications(directory, failed_only=True)
    assert (row.state, row.attempts, row.claimed_until) == ("queued", 1, None)
    assert row.last_error == "TemporaryDeliveryError: SMTP server unreachable (ConnectionRefusedError)"
    assert due_rows(directory, utc_now() + timedelta(seconds=6))[0].id == outbox_id

    handler = h.RecordingHandler()
    _age(directory, outbox_id, last_attempt_at=timedelta(seconds=6))
    with h.smtp_server(handler) as port:
        done = await Relay(directory, MailDelivery(directory, h.smtp_settings(port))).run_once()
    assert done.sent == 1 and len(handler.delivered) == 1
    row = outbox.get_notification(directory, outbox_id)
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, None)


async def test_a_new_mail_is_not_held_behind_a_backlog_in_back_off(directory: Engine) -> None:
    first, second, new = _queue(directory, 3)
    assert (await Relay(directory, SmtpDown()).run_once()).retried == 3
    _age(directory, first, last_attempt_at=timedelta(seconds=6))  # due again
    with directory.begin() as conn:  # and a new mail queued after them
        conn.execute(update(OUTBOX).where(OUTBOX.c.id == new).values(
            attempts=0, last_attempt_at=None, last_error=None))
    assert [r.id for r in due_rows(directory, utc_now(), limit=2)] == [new, first]
    assert second not in [r.id for r in due_rows(directory, utc_now())]


async def test_a_permanent_refusal_fails_the_row_for_good(directory: Engine) -> None:
    _queue(directory, 1)
    handler = h.RecordingHandler(rcpt_replies=["550 5.1.1 No such user"])
    with h.smtp_server(handler) as port:
        done = await Relay(directory, MailDelivery(directory, h.smtp_settings(port))).run_once()
    assert done.failed == 1
    (row,) = outbox.list_notifications(directory, failed_only=True)
    assert row.state == "failed" and row.last_error is not None
    assert "550" in row.last_error and h.CASEWORKER.email not in row.last_error


async def test_a_mail_not_delivered_within_three_days_is_given_up(directory: Engine) -> None:
    (outbox_id,) = _queue(directory, 1)
    _age(directory, outbox_id, created_at=relay_module.GIVE_UP)
    done = await Relay(directory, SmtpDown()).run_once()
    assert done.failed == 1
    assert outbox.get_notification(directory, outbox_id).state == "failed"


async def test_a_row_another_attempt_holds_is_left_alone(directory: Engine) -> None:
    (outbox_id,) = _queue(directory, 1)
    assert outbox.claim_notification(directory, outbox_id, timedelta(minutes=1)) == "claimed"
    down = SmtpDown()
    assert (await Relay(directory, down).run_once()).handled == 0
    assert down.calls == 0


async def test_the_relay_stops_when_asked(directory: Engine) -> None:
    stop = asyncio.Event()
    runner = asyncio.create_task(Relay(directory, SmtpDown(), poll_seconds=0.05).run(stop))
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.wait_for(runner, 5)


async def test_the_activity_waits_for_the_relay_and_never_sends_itself(
    directory: Engine,
) -> None:
    handler = h.RecordingHandler()
    with h.smtp_server(handler) as port:
        activities = NotifyActivities(directory, None, relay=True)
        relay = Relay(directory, MailDelivery(directory, h.smtp_settings(port)))

        async def relay_later() -> None:
            await asyncio.sleep(0.5)
            await relay.run_once()

        result, _ = await asyncio.gather(ActivityEnvironment().run(activities.notify, _request()),
                                         relay_later())
        again = await ActivityEnvironment().run(activities.notify, _request())
    assert result.state == again.state == "sent" and result.outbox_id == again.outbox_id
    assert len(handler.delivered) == 1


async def test_the_activity_reports_a_failure_the_relay_gave_up_on(directory: Engine) -> None:
    (outbox_id,) = _queue(directory, 1)
    outbox.mark_notification(directory, outbox_id, "failed", "PermanentDeliveryError: SMTP 550: "
                             "recipient refused")
    with pytest.raises(ApplicationError) as failed:
        await ActivityEnvironment().run(NotifyActivities(directory, relay=True).notify,
                                        _request(key="k-0"))
    assert failed.value.non_retryable and failed.value.type == "PermanentDeliveryError"
    assert "SMTP 550" in str(failed.value)


async def test_the_activity_comes_back_after_a_while_when_the_relay_is_slow(
    directory: Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(notify_module, "RELAY_WAIT", timedelta(seconds=0.5))
    with pytest.raises(ApplicationError) as waiting:  # no relay runs: nothing happens
        await ActivityEnvironment().run(NotifyActivities(directory, relay=True).notify,
                                        _request(key="k-0"))
    assert waiting.value.type == "AwaitingRelay"
    assert waiting.value.message == "the mail relay has not delivered this notification yet"
    assert waiting.value.next_retry_delay == timedelta(seconds=1)
    _age(directory, waiting_id(directory), created_at=timedelta(minutes=2))
    with pytest.raises(ApplicationError) as silent:  # no relay for minutes: ask
        await ActivityEnvironment().run(NotifyActivities(directory, relay=True).notify,
                                        _request(key="k-0"))
    assert silent.value.message.startswith(
        "the mail relay has not delivered this notification yet (queued 12")
    assert silent.value.message.endswith("s ago, never tried: is `okot outbox relay` running?)")


async def test_the_activity_asks_to_be_retried_after_the_relays_next_attempt(
    directory: Engine,
) -> None:
    (outbox_id,) = _queue(directory, 1)
    await Relay(directory, SmtpDown()).run_once()
    with pytest.raises(ApplicationError) as waiting:
        await ActivityEnvironment().run(NotifyActivities(directory, relay=True).notify,
                                        _request(key="k-0"))
    assert waiting.value.type == "AwaitingRelay" and not waiting.value.non_retryable
    delay = waiting.value.next_retry_delay  # just after the relay's next attempt (5 s)
    assert delay is not None and timedelta(seconds=4) < delay <= timedelta(seconds=6)
    assert waiting.value.message == ("the mail relay has not delivered this notification yet "
                                  "(1 attempt; last: TemporaryDeliveryError: SMTP server "
                                  "unreachable (ConnectionRefusedError))")
    assert outbox.get_notification(directory, outbox_id).state == "queued"


def test_okot_outbox_relay_once(directory: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from okot.cli.app import app
    from okot.settings import get_settings

    _queue(directory, 2)
    handler = h.RecordingHandler()
    with h.smtp_server(handler) as port:
        monkeypatch.setenv("OKOT_DATABASE_URL", str(directory.url))
        monkeypatch.setenv("OKOT_SMTP_PORT", str(port))
        monkeypatch.setenv("OKOT_SMTP_HOST", "127.0.0.1")
        get_settings.cache_clear()
        try:
            done = CliRunner().invoke(app, ["outbox", "relay", "--once"])
            listed = CliRunner().invoke(app, ["outbox", "--json"])
        finally:
            get_settings.cache_clear()
    assert done.exit_code == 0, done.output
    assert done.stdout.strip().splitlines()[-1] == (
        "sent 2, to retry 0, failed 0, held by another attempt 0")
    assert [r["state"] for r in json.loads(listed.stdout)] == ["sent", "sent"]
    assert len(handler.delivered) == 2

"""A file already late when it is opened or migrated (rules version 3, pure): at once
the reminders and the escalation its age calls for, one notice per stream, then the
normal cadence. Checked against a punctual worker that fired every deadline on time,
for every opening day of the last three years and for random policies."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from journey_helpers import BRUSSELS, CASEWORKER, at, fire_until, notice_triples, open_request

from okot.domain import deadlines, journey, late_files
from okot.domain.calendar import add_working_days, is_working_day
from okot.domain.changes import Accepted
from okot.domain.policy import ReminderPolicy
from okot.domain.status import TrajectoryStatus
from okot.domain.values import DeadlineKind, Role

K = DeadlineKind
CW, TL = Role.CASEWORKER, Role.TEAMLEAD
NOW = at(2026, 11, 18)  # a Wednesday, 10:00 in Brussels


def opened_on(day: date, now: datetime = NOW, policy: ReminderPolicy | None = None,
              version: int = 3) -> TrajectoryStatus:
    request = open_request(policy=policy).model_copy(update={"opened_on": day})
    return journey.open_trajectory(request, now).model_copy(update={"rules_version": version})


def sent(s: TrajectoryStatus) -> dict[DeadlineKind, int]:
    return {k: v.sent for k, v in s.streams.items() if v.sent}


def compare_with_a_punctual_worker(s: TrajectoryStatus, now: datetime) -> Accepted | None:
    """Fire once at ``now`` and check it against firing every deadline on time."""
    punctual, firings = fire_until(s, now, limit=2000)
    caught = deadlines.fire_deadlines(s, now)
    if not firings:
        assert caught is None
        return None
    assert caught is not None
    c = caught.status
    # every missed period is counted in its stream, as if each had been sent
    assert sent(c) == sent(punctual)
    # one notice per stream: the last one due (an escalation once there is one; the
    # reminders are folded into it), not a burst of every missed one
    last = firings[-1][1]
    assert notice_triples(caught.notices) == notice_triples(last.notices)
    assert len(caught.notices) <= 2
    if len(firings) > 1:
        assert all(n.context["missed"] == len(firings) for n in caught.notices)
    # counted as one notice each
    assert (c.reminders_sent + c.escalations_sent) - (s.reminders_sent + s.escalations_sent) == 1
    # overdue since the first deadline that was missed, awaited from the caseworker
    assert c.overdue and c.overdue_detail is not None
    if s.overdue:
        assert c.overdue_detail == s.overdue_detail  # the first missed one stays
    else:
        assert c.overdue_detail.since == firings[0][0].astimezone(BRUSSELS).date()
        assert c.overdue_detail.kind.value == firings[0][1].notices[0].template
    assert [p.role for p in c.overdue_detail.awaited_from] == [CW]
    # then the normal cadence, from the day of the catch-up
    today = now.astimezone(BRUSSELS).date()
    nxt = c.next_deadline
    assert nxt is not None and nxt.kind == punctual.next_deadline.kind  # type: ignore[union-attr]
    assert nxt.due == add_working_days(today, s.policy.orientation_reminder_days)
    assert deadlines.fire_deadlines(c, now) is None  # nothing else due: no busy loop
    return caught


def test_every_opening_day_of_the_last_three_years() -> None:
    escalated = reminded = quiet = 0
    for back in range(0, 3 * 366):
        result = compare_with_a_punctual_worker(opened_on(NOW.date() - timedelta(days=back)), NOW)
        if result is None:
            quiet += 1
        elif result.status.escalations_sent:
            escalated += 1
        else:
            reminded += 1
    assert quiet >= 20 and reminded >= 40 and escalated > 900


def test_the_issues_example_85_working_days_in_orientation() -> None:
    """Opened 2026-08-01, seen 2026-11-27: about 80 working days, three reminders and
    an escalation were due; the team lead is copied at once."""
    now = at(2026, 11, 27)
    s = opened_on(date(2026, 8, 1), now)
    result = deadlines.fire_deadlines(s, now)
    assert result is not None
    assert notice_triples(result.notices) == {(TL, CASEWORKER, "orientation_escalation"),
                                              (CW, CASEWORKER, "orientation_escalation")}
    assert sent(result.status) == {K.ORIENTATION_REMINDER: 3, K.ORIENTATION_ESCALATION: 1}
    assert result.status.overdue_detail is not None
    assert result.status.overdue_detail.since == add_working_days(date(2026, 8, 1), 20)
    assert "4 orientation periods missed at once: 3 reminder(s), 1 escalation(s)" in result.summary
    assert result.notices[0].context["missed"] == 4


def test_under_rules_v2_a_late_file_gets_one_reminder() -> None:
    s = opened_on(date(2026, 8, 1), at(2026, 11, 27), version=2)
    result = deadlines.fire_deadlines(s, at(2026, 11, 27))
    assert result is not None
    assert notice_triples(result.notices) == {(CW, CASEWORKER, "orientation_reminder")}
    assert sent(result.status) == {K.ORIENTATION_REMINDER: 1}
    assert "missed" not in result.notices[0].context


def test_an_on_time_firing_is_as_before() -> None:
    s = opened_on(date(2026, 8, 3), at(2026, 8, 3))
    nxt = s.next_deadline
    assert nxt is not None
    v3 = deadlines.fire_deadlines(s, nxt.due_at)
    v2 = deadlines.fire_deadlines(s.model_copy(update={"rules_version": 2}), nxt.due_at)
    assert v3 is not None and v2 is not None
    assert v3.notices == v2.notices and v3.status.streams == v2.status.streams


POLICIES = st.builds(
    lambda days, after: ReminderPolicy(orientation_reminder_days=days,
                                       orientation_escalate_after_reminders=after),
    st.integers(1, 45), st.integers(1, 6),
)


@settings(max_examples=400, deadline=None, database=None)
@given(policy=POLICIES, back=st.integers(0, 3 * 365), hour=st.integers(0, 23),
       now_day=st.dates(date(2025, 1, 1), date(2030, 12, 31)))
def test_any_policy_any_age_any_hour(policy: ReminderPolicy, back: int, hour: int,
                                     now_day: date) -> None:
    now = datetime(now_day.year, now_day.month, now_day.day, hour, 30, tzinfo=BRUSSELS)
    compare_with_a_punctual_worker(opened_on(now_day - timedelta(days=back), now, policy), now)


@settings(max_examples=200, deadline=None, database=None)
@given(policy=POLICIES, back=st.integers(30, 3 * 365), downtime=st.integers(1, 400))
def test_a_worker_down_for_a_while_later_catches_up_the_same_way(
    policy: ReminderPolicy, back: int, downtime: int
) -> None:
    """After a first catch-up, a worker that is down again: the same rule, from then on."""
    s = opened_on(NOW.date() - timedelta(days=back), NOW, policy)
    first = deadlines.fire_deadlines(s, NOW)
    s = first.status if first is not None else s
    compare_with_a_punctual_worker(s, NOW + timedelta(days=downtime))


# ---------------------------------------------------------------- the small parts


@settings(max_examples=300, deadline=None, database=None)
@given(base=st.dates(date(2020, 1, 1), date(2030, 12, 31)), period=st.integers(1, 60),
       span=st.integers(0, 800))
def test_missed_periods_counts_like_a_calendar(base: date, period: int, span: int) -> None:
    day = base + timedelta(days=span)
    naive, due = 0, add_working_days(base, period)
    while due <= day:
        naive += 1
        due = add_working_days(due, period)
    assert late_files.missed_periods(base, period, day) == naive


def test_missed_periods_needs_a_period() -> None:
    with pytest.raises(ValueError, match="at least one"):
        late_files.missed_periods(date(2026, 1, 5), 0, date(2026, 2, 5))


@given(sent=st.integers(0, 10), missed=st.integers(0, 50), after=st.integers(1, 8))
def test_split_first_reminders_then_escalations(sent: int, missed: int, after: int) -> None:
    reminders, escalations = late_files.split(sent, missed, after)
    assert reminders + escalations == missed and reminders >= 0 and escalations >= 0
    kinds = ["reminder" if sent + i < after else "escalation" for i in range(missed)]
    assert (reminders, escalations) == (kinds.count("reminder"), kinds.count("escalation"))


@pytest.mark.parametrize(("hour", "minute", "same_day"), [(8, 59, False), (9, 0, True), (17, 0, True)])
def test_the_reference_day_is_the_last_whose_nine_oclock_has_passed(hour: int, minute: int,
                                                                    same_day: bool) -> None:
    day = date(2026, 11, 18)
    now = datetime(2026, 11, 18, hour, minute, tzinfo=BRUSSELS)
    assert late_files.reference_day(now) == (day if same_day else day - timedelta(days=1))


def test_one_notice_per_stream() -> None:
    assert late_files.CatchUp(0, 0, 0).notice is None
    assert late_files.CatchUp(2, 2, 0).notice == "reminder"
    assert late_files.CatchUp(5, 3, 2).notice == "escalation"
    assert is_working_day(NOW.date())

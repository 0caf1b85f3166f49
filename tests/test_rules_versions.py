"""Rules versions: routine checks set ``overdue`` under version 1 only; version 3
explains it, catches late files up and tells the other side (pure rules; the
details of version 3 in tests/test_overdue.py, test_late_files.py, test_follow_up.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from journey_helpers import apply, at, fire_until, opened
from test_reminder_policy import follow_up, in_training

from okot.domain import deadlines, rules_versions
from okot.domain.status import TrajectoryStatus
from okot.domain.values import DeadlineKind, MessageName, Role

K = DeadlineKind
ROUTINE = {K.PROGRESS_CHECK, K.EMPLOYMENT_CHECK_6M, K.EMPLOYMENT_CHECK_12M}

# kind -> (sets overdue under v1, under v2, under v3): every kind pinned.
OVERDUE_TABLE: dict[DeadlineKind, tuple[bool, bool, bool]] = {
    kind: (True, kind not in ROUTINE, kind not in ROUTINE) for kind in DeadlineKind
}


def test_the_versions() -> None:
    assert (rules_versions.FIRST, rules_versions.CURRENT) == (1, 3)
    assert rules_versions.START_PATCHES == {2: "rules-v2-routine-checks-not-overdue",
                                            3: "rules-v3-overdue-explained"}
    assert rules_versions.ROUTINE_CHECKS == ROUTINE


@pytest.mark.parametrize("version", [1, 2, 3])
def test_what_version_3_changes(version: int) -> None:
    new = version >= 3
    assert rules_versions.explains_overdue(version) is new
    assert rules_versions.catches_up(version) is new
    assert rules_versions.tells_the_other_side(version) is new


@pytest.mark.parametrize("kind", list(DeadlineKind))
@pytest.mark.parametrize("version", [1, 2, 3])
def test_sets_overdue_table(kind: DeadlineKind, version: int) -> None:
    assert rules_versions.sets_overdue(kind, version) is OVERDUE_TABLE[kind][version - 1]


def under(status: TrajectoryStatus, version: int) -> TrajectoryStatus:
    return status.model_copy(update={"rules_version": version})


def test_a_new_trajectory_runs_under_the_current_rules() -> None:
    assert opened(now=at(2026, 9, 1)).rules_version == rules_versions.CURRENT


def test_a_status_recorded_without_a_version_is_version_1() -> None:
    s = opened(now=at(2026, 9, 1))
    data = s.model_dump(mode="json")
    del data["rules_version"]
    assert TrajectoryStatus.model_validate(data).rules_version == 1


def fire_through(s: TrajectoryStatus, until: datetime) -> tuple[TrajectoryStatus, list[str]]:
    s, results = fire_until(s, until)
    return s, [n.template for _, r in results for n in r.notices]


@pytest.mark.parametrize("version,overdue", [(1, True), (2, False)])
def test_progress_checks_are_reminders_under_v2(version: int, overdue: bool) -> None:
    s = under(in_training(at(2026, 9, 1), date(2027, 7, 9)), version)
    s, sent = fire_through(s, at(2027, 6, 2))
    assert sent == ["progress_check"] * 3  # sent and counted under both versions
    assert s.reminders_sent == 3
    assert s.overdue is overdue
    assert s.rules_version == version


@pytest.mark.parametrize("version,overdue", [(1, True), (2, False)])
def test_employment_checks_are_reminders_under_v2(version: int, overdue: bool) -> None:
    s = follow_up(at(2027, 6, 30))
    s = apply(s, MessageName.AGREE_FOLLOW_UP, Role.MEDIATOR, at(2027, 7, 1)).status
    s = under(s, version)
    assert s.overdue is False
    s, sent = fire_through(s, at(2027, 12, 31))
    assert sent == ["employment_check_6m"]
    assert s.overdue is overdue
    s, sent = fire_through(s, at(2028, 7, 1))
    assert sent == ["employment_check_12m"]
    assert s.overdue is overdue


@pytest.mark.parametrize("version", [1, 2])
def test_a_late_end_still_makes_the_trajectory_overdue(version: int) -> None:
    s = under(in_training(at(2026, 9, 1), date(2026, 11, 2)), version)
    s, sent = fire_through(s, at(2026, 11, 17))
    assert sent == ["end_reminder"]
    assert s.overdue is True


def test_upgrade_moves_to_the_current_rules_and_keeps_everything_else() -> None:
    s = under(in_training(at(2026, 9, 1), date(2027, 7, 9)), 1)
    s, _ = fire_through(s, at(2026, 12, 2))
    assert s.overdue is True
    new = rules_versions.upgraded(s)
    assert new.rules_version == rules_versions.CURRENT
    assert new.model_copy(update={"rules_version": 1}) == s  # only the version changes
    assert rules_versions.upgraded(new) is new
    # the flag set under the old rules stays until answered; the next check leaves it
    new = apply(new, MessageName.RECORD_PROGRESS, Role.CASEWORKER, at(2026, 12, 3)).status
    assert new.overdue is False
    new, sent = fire_through(new, at(2027, 3, 5))
    assert sent == ["progress_check"] and new.overdue is False


@given(st.sampled_from(list(DeadlineKind)))
def test_v2_never_sets_overdue_where_v1_did_not(kind: DeadlineKind) -> None:
    assert not rules_versions.sets_overdue(kind, 2) or rules_versions.sets_overdue(kind, 1)


def test_next_deadline_does_not_depend_on_the_rules_version() -> None:
    s = in_training(at(2026, 9, 1), date(2027, 7, 9))
    assert deadlines.pending_deadlines(under(s, 1)) == deadlines.pending_deadlines(under(s, 2))

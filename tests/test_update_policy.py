"""update_policy: a team lead or operations replaces the reminder policy from now on (pure)."""

from __future__ import annotations

from datetime import date

import pytest
from journey_helpers import apply, at, at_stage, fire_until, message, reject
from test_reminder_policy import in_training

from okot.domain import deadlines, journey
from okot.domain.changes import Rejected
from okot.domain.messages import parse_message
from okot.domain.policy import ReminderPolicy
from okot.domain.values import DeadlineKind, MessageName, Role, Stage

M = MessageName
K = DeadlineKind
TL, OPS = Role.TEAMLEAD, Role.OPERATIONS


def test_a_team_lead_replaces_the_policy_and_the_deadlines_follow_it() -> None:
    s = in_training(at(2026, 9, 1), date(2027, 7, 9))
    assert s.next_deadline is not None and s.next_deadline.due == date(2026, 12, 1)
    monthly = s.policy.model_copy(update={"progress_check_months": 1})
    result = apply(s, M.UPDATE_POLICY, TL, at(2026, 9, 15),
                   policy=monthly.model_dump(mode="json"))
    new = result.status
    assert new.policy == monthly
    assert new.stage is Stage.IN_TRAINING and new.seq == s.seq + 1
    assert new.next_deadline is not None and new.next_deadline.due == date(2026, 10, 1)
    assert result.summary == "reminder policy updated: progress_check_months 3 -> 1"
    assert result.notices == ()
    assert "policy 2027" not in result.summary  # the free-text reason is kept out of it
    new, results = fire_until(new, at(2026, 12, 2))
    assert [r.notices[0].template for _, r in results] == ["progress_check"] * 3


def test_operations_may_update_and_the_summary_names_every_change() -> None:
    s, now = at_stage(Stage.SCREENING)
    policy = s.policy.model_copy(update={"screening_reminder_days": 10, "repeat_days": 5,
                                         "employment_check_months": (3, 9)})
    result = apply(s, M.UPDATE_POLICY, OPS, now, policy=policy.model_dump(mode="json"))
    assert result.summary == ("reminder policy updated: screening_reminder_days 15 -> 10; "
                              "employment_check_months 6/12 -> 3/9; repeat_days 10 -> 5")
    assert result.status.next_deadline == deadlines.next_deadline(result.status)


def test_the_same_policy_again_is_refused() -> None:
    s, now = at_stage(Stage.HANDOVER)
    reason = reject(s, M.UPDATE_POLICY, TL, now, policy=s.policy.model_dump(mode="json"))
    assert reason == ("update_policy refused in stage handover: the reminder policy is already "
                      "this one; nothing to change")


def test_overdue_is_left_as_it_is() -> None:
    s, _ = at_stage(Stage.AWAITING_AGREEMENT)
    s, _ = fire_until(s, at(2026, 12, 31))
    assert s.overdue is True
    result = apply(s, M.UPDATE_POLICY, TL, at(2026, 12, 31))
    assert result.status.overdue is True


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.MEDIATOR, Role.SYSTEM])
def test_only_team_lead_and_operations(role: Role) -> None:
    s, now = at_stage(Stage.FOLLOW_UP)
    reason = reject(s, M.UPDATE_POLICY, role, now)
    assert reason == (f"update_policy may be sent by teamlead or operations, not by {role.value} "
                      "(stage follow_up)")


@pytest.mark.parametrize(("change", "why"), [
    ({"repeat_days": 0}, "policy.repeat_days"),
    ({"agreement_escalation_days": 3}, "agreement_escalation_days must be after"),
    ({"employment_check_months": [12, 6]}, "two increasing month counts"),
    ({"unknown_days": 4}, "policy.unknown_days"),
])
def test_an_invalid_policy_is_refused_at_parse(change: dict[str, object], why: str) -> None:
    body = ReminderPolicy().model_dump(mode="json") | change
    with pytest.raises(ValueError, match=why):
        parse_message("update_policy", {"actor": {"role": "teamlead", "id": "tl-dora"},
                                        "reason": "x", "policy": body})


def test_a_reason_is_required() -> None:
    with pytest.raises(ValueError, match="reason"):
        parse_message("update_policy", {"actor": {"role": "teamlead", "id": "tl-dora"},
                                        "policy": {}})


def test_closed_trajectories_refuse_it() -> None:
    s, now = at_stage(Stage.CLOSED)
    decision = journey.decide(s, message(M.UPDATE_POLICY, TL, s, now), now)
    assert isinstance(decision, Rejected) and "closed" in decision.reason

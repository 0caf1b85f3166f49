"""Idempotency keys: run-scoped for new trajectories, the released scheme for older ones."""

from __future__ import annotations

from datetime import UTC, datetime

from okot.domain import journey
from okot.domain.keys import Keys, notice_suffix
from okot.domain.messages import RecordPrecheck, SubmitCandidacy
from okot.domain.status import OpenTrajectory
from okot.domain.values import Actor, Role

CW = Actor(role=Role.CASEWORKER, id="cw-anna")


def test_legacy_keys_are_those_released_trajectories_wrote() -> None:
    keys = Keys.legacy("okot-GENT-1", "GENT-1")
    assert keys.trajectory_id == "okot-GENT-1"
    assert keys.record(7) == "okot-GENT-1:t7"
    assert keys.registration() == "okot-GENT-1:register"
    suffix = notice_suffix(3, "candidacy_submitted", "caseworker", "cw-anna")
    assert keys.notice(suffix) == "okot-GENT-1:3:candidacy_submitted:caseworker:cw-anna"


def test_two_trajectories_of_one_case_never_share_a_key() -> None:
    first, second = Keys.run_scoped("0195-aaaa"), Keys.run_scoped("0195-bbbb")
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    status = journey.open_trajectory(OpenTrajectory(case_id="GENT-1", ocmw="gent",
                                                    caseworker=CW.id), now)
    notices = []
    for message in (RecordPrecheck(actor=CW, conditions_met=True, twe_active=False,
                                   study_level="bachelor"),
                    SubmitCandidacy(actor=CW, programme="Informatica", study_level="bachelor",
                                    school="HoGent", channel="mediator", mediator="med-carl")):
        decision = journey.decide(status, message, now)
        assert isinstance(decision, journey.Accepted)
        status, notices = decision.status, [*notices, *decision.notices]
    assert notices, "the candidacy tells the caseworker"
    for keys in (first, second):
        assert all(keys.notice(n.key).startswith(f"{keys.trajectory_id}:") for n in notices)
    ours = {first.record(n) for n in range(1, 50)} | {first.notice(n.key) for n in notices}
    theirs = {second.record(n) for n in range(1, 50)} | {second.notice(n.key) for n in notices}
    assert not ours & theirs and first.registration() != second.registration()

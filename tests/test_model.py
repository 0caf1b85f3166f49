"""Validation of the wire model: identifiers, messages, policy."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from okot.domain.messages import (
    ConfirmStart,
    Reassign,
    RecordScreening,
    SubmitCandidacy,
    Withdraw,
    parse_message,
)
from okot.domain.policy import ReminderPolicy
from okot.domain.status import OpenTrajectory
from okot.domain.values import (
    Actor,
    ScreeningReason,
    StudyLevel,
    looks_like_national_register_number,
    workflow_id_for,
)

CW = {"role": "caseworker", "id": "cw.anna"}
MED = {"role": "mediator", "id": "med.bart"}


def _open(case_id: str, **kw: Any) -> OpenTrajectory:
    return OpenTrajectory.model_validate({"case_id": case_id, "ocmw": "gent", "caseworker": "cw.anna", **kw})


# ------------------------------------------------------------------ case ids


NRN_LIKE = [
    "85.07.30-033.28",
    "85073003328",
    "X85073003328",
    "850730 033 28",
    "850730-033-28",
    "85/07/30-033/28",
    "case-85073003328-b",
    "85073003328x",
]


@pytest.mark.parametrize("case_id", NRN_LIKE)
def test_national_register_like_case_ids_are_refused(case_id: str) -> None:
    assert looks_like_national_register_number(case_id)
    with pytest.raises(ValidationError) as info:
        _open(case_id)
    text = str(info.value)
    assert "case_id" in text
    assert "national register number" in text
    with pytest.raises(ValueError, match="national register number"):
        workflow_id_for(case_id)


@pytest.mark.parametrize(
    "case_id",
    ["gent-2026-0042", "A1B2C3", "ocmw_42_x", "8507300332", "2026-000123", "abc"],
)
def test_opaque_case_ids_are_accepted(case_id: str) -> None:
    assert not looks_like_national_register_number(case_id)
    assert _open(case_id).case_id == case_id
    assert workflow_id_for(case_id) == f"okot-{case_id}"


@pytest.mark.parametrize(
    "case_id",
    ["", "ab", "-abc", "_abc", "has space", "gent/42", "jan.peeters", "x" * 65, "café-1", "a;b-c"],
)
def test_invalid_case_ids_are_refused(case_id: str) -> None:
    with pytest.raises(ValidationError) as info:
        _open(case_id)
    text = str(info.value)
    assert "case_id" in text
    assert "3 to 64 characters" in text


def test_staff_ids_and_ocmw_codes() -> None:
    with pytest.raises(ValidationError, match="staff id"):
        Actor.model_validate({"role": "caseworker", "id": "a"})
    with pytest.raises(ValidationError, match="national register number"):
        Actor.model_validate({"role": "caseworker", "id": "85073003328"})
    with pytest.raises(ValidationError, match="code is not allowed: use 2 to 64 lower-case"):
        _open("gent-1", ocmw="Gent")
    assert Actor.model_validate({"role": "teamlead", "id": "tl.chris"}).id == "tl.chris"


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        parse_message("withdraw", {"actor": CW, "reason": "x", "name": "Jan Peeters"})
    assert "name" in str(info.value)
    assert "Extra inputs are not permitted" in str(info.value)


# ------------------------------------------------------------- readable errors


def test_malformed_date_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        parse_message("record_info", {"actor": CW, "date": "30/07/2026", "channel": "info_session"})
    text = str(info.value)
    assert "date" in text.splitlines()[1]
    assert "valid date" in text


def test_impossible_date_is_refused() -> None:
    with pytest.raises(ValidationError, match="date"):
        parse_message("schedule_intake", {"actor": MED, "date": "2026-02-30"})


@pytest.mark.parametrize(
    ("name", "payload", "field", "allowed"),
    [
        (
            "record_info",
            {"actor": CW, "date": "2026-03-02", "channel": "phone"},
            "channel",
            ["info_session", "mediator_talk"],
        ),
        (
            "record_precheck",
            {"actor": CW, "conditions_met": True, "twe_active": False, "study_level": "master"},
            "study_level",
            [s.value for s in StudyLevel],
        ),
        (
            "record_end",
            {"actor": MED, "date": "2026-03-02", "result": "failed"},
            "result",
            ["passed", "not_passed", "stopped_early"],
        ),
        (
            "agree_follow_up",
            {"actor": MED, "lead": "cpas", "plan": "x"},
            "lead",
            ["vdab", "ocmw"],
        ),
        (
            "confirm_handover",
            {"actor": CW, "date": "2026-03-02", "channel": "fax"},
            "channel",
            ["phone", "meeting", "email"],
        ),
        (
            "withdraw",
            {"actor": {"role": "client", "id": "cw.anna"}, "reason": "x"},
            "actor.role",
            ["caseworker", "mediator", "teamlead", "system"],
        ),
        (
            "record_screening",
            {"actor": MED, "approved": False, "reasons": ["laziness"]},
            "reasons.0",
            [r.value for r in ScreeningReason],
        ),
    ],
)
def test_unknown_enum_values_are_refused_with_the_allowed_values(
    name: str, payload: dict[str, Any], field: str, allowed: list[str]
) -> None:
    with pytest.raises(ValidationError) as info:
        parse_message(name, payload)
    text = str(info.value)
    assert field in text
    for value in allowed:
        assert f"'{value}'" in text, f"{value} not mentioned in {text}"


def test_missing_fields_are_named() -> None:
    with pytest.raises(ValidationError) as info:
        parse_message("submit_candidacy", {"actor": CW, "programme": "Verpleegkunde"})
    text = str(info.value)
    for field in ("study_level", "school", "channel", "mediator"):
        assert field in text
    assert "Field required" in text


def test_blank_free_text_is_refused() -> None:
    with pytest.raises(ValidationError, match="reason"):
        parse_message("withdraw", {"actor": CW, "reason": "   "})
    with pytest.raises(ValidationError, match="reason"):
        parse_message("withdraw", {"actor": CW, "reason": "x" * 2001})


def test_parse_message_builds_the_right_type() -> None:
    msg = parse_message(
        "submit_candidacy",
        {
            "actor": CW,
            "programme": " Verpleegkunde ",
            "study_level": "bachelor",
            "school": "HOGENT",
            "channel": "training_guide",
            "mediator": "med.bart",
        },
    )
    assert isinstance(msg, SubmitCandidacy)
    assert msg.programme == "Verpleegkunde"
    assert msg.study_level is StudyLevel.BACHELOR


def test_parse_message_with_an_unknown_name() -> None:
    with pytest.raises(ValueError) as info:
        parse_message("approve_everything", {"actor": CW})
    text = str(info.value)
    assert "unknown message" in text and "approve_everything" not in text
    assert "record_info" in text and "reassign" in text


def test_messages_are_immutable() -> None:
    msg = parse_message("withdraw", {"actor": CW, "reason": "x"})
    assert isinstance(msg, Withdraw)
    with pytest.raises(ValidationError, match="frozen"):
        msg.reason = "y"  # type: ignore[misc]
    assert msg.reason == "x"


# ---------------------------------------------------------- RecordScreening


def test_approved_screening_needs_start_date_and_location() -> None:
    with pytest.raises(ValidationError, match="start_date and location"):
        RecordScreening.model_validate({"actor": MED, "approved": True, "location": "Gent"})
    with pytest.raises(ValidationError, match="start_date and location"):
        RecordScreening.model_validate({"actor": MED, "approved": True, "start_date": "2026-05-04"})
    ok = RecordScreening.model_validate(
        {"actor": MED, "approved": True, "start_date": "2026-05-04", "location": "Gent"}
    )
    assert ok.reasons == ()


def test_rejected_screening_needs_a_reason_code() -> None:
    with pytest.raises(ValidationError) as info:
        RecordScreening.model_validate({"actor": MED, "approved": False})
    text = str(info.value)
    assert "at least one reason" in text
    for reason in ScreeningReason:
        assert reason.value in text


def test_screening_reasons_may_not_repeat() -> None:
    with pytest.raises(ValidationError, match="twice"):
        RecordScreening.model_validate({"actor": MED, "approved": False, "reasons": ["fit", "fit"]})
    ok = RecordScreening.model_validate(
        {"actor": MED, "approved": False, "reasons": ["fit", "learning_ability"]}
    )
    assert ok.reasons == (ScreeningReason.FIT, ScreeningReason.LEARNING_ABILITY)


# --------------------------------------------------------------- ConfirmStart


def _start(start: str, end: str) -> ConfirmStart:
    return ConfirmStart.model_validate({"actor": MED, "date": start, "location": "Gent", "expected_end": end})


def test_confirm_start_expected_end_after_start() -> None:
    assert _start("2026-09-01", "2027-06-30").expected_end.year == 2027
    with pytest.raises(ValidationError, match="must be after the start date"):
        _start("2026-09-01", "2026-09-01")
    with pytest.raises(ValidationError, match="must be after the start date"):
        _start("2026-09-01", "2026-08-31")


def test_confirm_start_expected_end_at_most_four_years() -> None:
    assert _start("2026-09-01", "2030-08-31").expected_end.year == 2030
    with pytest.raises(ValidationError, match="more than 4 years"):
        _start("2026-09-01", "2030-12-31")


# -------------------------------------------------------------------- Reassign


def test_reassign_needs_someone() -> None:
    with pytest.raises(ValidationError, match="new caseworker and/or a new mediator"):
        Reassign.model_validate({"actor": CW})
    assert Reassign.model_validate({"actor": CW, "caseworker": "cw.dirk"}).mediator is None
    assert Reassign.model_validate({"actor": MED, "mediator": "med.eva"}).caseworker is None


# ------------------------------------------------------------- ReminderPolicy


def test_default_policy_matches_domain_md() -> None:
    p = ReminderPolicy()
    assert p.orientation_reminder_days == 20
    assert p.orientation_escalate_after_reminders == 3
    assert (p.agreement_reminder_days, p.agreement_escalation_days) == (5, 10)
    assert (p.handover_reminder_days, p.handover_escalation_days) == (5, 10)
    assert (p.screening_reminder_days, p.screening_escalation_days) == (15, 30)
    assert p.screening_after_intake_days == 2
    assert p.start_reminder_days == 5
    assert p.progress_check_months == 3
    assert p.end_reminder_days == 10
    assert p.follow_up_reminder_days == 10
    assert p.employment_check_months == (6, 12)
    assert p.close_after_last_check_days == 20


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"agreement_escalation_days": 5}, "agreement_escalation_days must be after"),
        ({"handover_reminder_days": 12}, "handover_escalation_days must be after"),
        ({"screening_escalation_days": 10}, "screening_escalation_days must be after"),
        ({"employment_check_months": (12, 6)}, "two increasing month counts"),
        ({"employment_check_months": (0, 6)}, "two increasing month counts"),
        ({"repeat_days": 0}, "greater than or equal to 1"),
        ({"orientation_reminder_days": -3}, "greater than or equal to 1"),
        ({"reminder_every": 3}, "Extra inputs are not permitted"),
    ],
)
def test_reminder_policy_validation(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ReminderPolicy.model_validate(changes)


def test_reminder_policy_round_trips_as_data() -> None:
    p = ReminderPolicy(orientation_reminder_days=15, repeat_days=5)
    again = ReminderPolicy.model_validate_json(p.model_dump_json())
    assert again == p
    opened = _open("gent-1", policy=p.model_dump(mode="json"))
    assert opened.policy.orientation_reminder_days == 15

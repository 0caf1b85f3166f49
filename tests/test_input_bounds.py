"""Input is bounded and clean at every door: the pure models and reasons.

Every message field and the workflow input refuse oversized strings and lists,
control characters, dates outside 2000-01-01..2099-12-31 and national register
numbers in free text; a refusal is one short line that never repeats the input
(:mod:`okot.domain.reasons`).
"""

from __future__ import annotations

import string
import typing
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from okot.domain import calendar
from okot.domain.journey import opening_problem
from okot.domain.messages import MESSAGE_TYPES, parse_message
from okot.domain.policy import ReminderPolicy
from okot.domain.reasons import REASON_LIMIT, join_reasons, one_line, validation_reason
from okot.domain.register_numbers import (
    contains_national_register_number,
    is_valid_national_register_number,
    looks_like_national_register_number,
)
from okot.domain.status import OpenTrajectory, TimelineEntry
from okot.domain.values import EARLIEST_DAY, LATEST_DAY, MessageName

CW = {"role": "caseworker", "id": "cw-anna"}
MB = 1_000_000

# Valid register numbers: born 1985-07-30 (97 - 850730033 mod 97 = 28), and born
# 2001-02-03 (the 2000+ variant: 97 - 2010203123 mod 97 = 45; without the 2 it would be 16).
BORN_1985 = "85073003328"
BORN_2001 = "01020312345"
NOTATIONS_1985 = ("85.07.30-033.28", "850730 033 28", "85073003328", "85 07 30 033 28",
                  "850730-033-28", "85/07/30 033.28")


def _valid(name: MessageName) -> dict[str, Any]:
    """A payload that parses for ``name`` (every field set, free text included)."""
    return {
        MessageName.RECORD_INFO: {"date": "2026-03-02", "channel": "info_session"},
        MessageName.RECORD_PRECHECK: {"conditions_met": True, "twe_active": False,
                                      "study_level": "bachelor", "notes": "ok"},
        MessageName.SUBMIT_CANDIDACY: {"programme": "Verpleegkunde", "study_level": "bachelor",
                                       "school": "HoGent", "channel": "mediator",
                                       "mediator": "med-carl"},
        MessageName.GIVE_AGREEMENT: {"contact": "cw-bart"},
        MessageName.DECLINE_AGREEMENT: {"reason": "geen motivatie"},
        MessageName.CONFIRM_HANDOVER: {"date": "2026-03-02", "channel": "phone", "notes": "ok"},
        MessageName.SCHEDULE_INTAKE: {"date": "2026-03-02"},
        MessageName.RECORD_SCREENING: {"approved": True, "start_date": "2026-04-20",
                                       "location": "Gent"},
        MessageName.POSTPONE_START: {"start_date": "2026-05-04", "location": "Gent"},
        MessageName.CONFIRM_START: {"date": "2026-04-20", "location": "Gent",
                                    "expected_end": "2027-06-30"},
        MessageName.RECORD_PROGRESS: {"date": "2026-06-01", "note": "goed bezig"},
        MessageName.REPORT_STOPPED: {"date": "2026-10-02", "note": "komt niet meer"},
        MessageName.RECORD_END: {"result": "passed", "date": "2027-06-30"},
        MessageName.AGREE_FOLLOW_UP: {"lead": "vdab", "plan": "solliciteren"},
        MessageName.RECORD_EMPLOYMENT: {"employed": True, "date": "2027-09-01"},
        MessageName.WITHDRAW: {"reason": "verhuisd"},
        MessageName.REASSIGN: {"caseworker": "cw-bart", "mediator": "med-dirk"},
        MessageName.UPDATE_POLICY: {"reason": "nieuwe afspraken", "policy": {}},
    }[name] | {"actor": CW}


def _fields(model: type[BaseModel], kind: type) -> list[str]:
    """Fields of ``model`` whose (optional) type is ``kind`` (str or date)."""
    found = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        args = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
        args = [typing.get_args(a)[0] if typing.get_origin(a) is typing.Annotated else a
                for a in args]
        if any(a is kind for a in args):
            found.append(name)
    return found


STRING_FIELDS = [(n, f) for n, m in MESSAGE_TYPES.items() for f in _fields(m, str)]
DATE_FIELDS = [(n, f) for n, m in MESSAGE_TYPES.items() for f in _fields(m, date)]
FREE_TEXT = [(MessageName.RECORD_PRECHECK, "notes"), (MessageName.DECLINE_AGREEMENT, "reason"),
             (MessageName.UPDATE_POLICY, "reason"),
             (MessageName.CONFIRM_HANDOVER, "notes"), (MessageName.RECORD_PROGRESS, "note"),
             (MessageName.REPORT_STOPPED, "note"),
             (MessageName.AGREE_FOLLOW_UP, "plan"), (MessageName.WITHDRAW, "reason")]
ONE_LINE_TEXT = [(MessageName.SUBMIT_CANDIDACY, "programme"),
                 (MessageName.SUBMIT_CANDIDACY, "school"),
                 (MessageName.RECORD_SCREENING, "location"),
                 (MessageName.POSTPONE_START, "location"), (MessageName.CONFIRM_START, "location")]


def _refusal(name: MessageName, payload: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        parse_message(name.value, payload)
    reason = validation_reason(info.value, name.value)
    assert len(reason) <= REASON_LIMIT and "\n" not in reason
    return reason


def test_the_field_lists_cover_every_message() -> None:
    assert len(STRING_FIELDS) >= 15 and len(DATE_FIELDS) >= 10
    assert set(FREE_TEXT) | set(ONE_LINE_TEXT) <= set(STRING_FIELDS)
    for name in MESSAGE_TYPES:
        parse_message(name.value, _valid(name))


# ------------------------------------------------------------------ sizes


@pytest.mark.parametrize(("name", "field"), STRING_FIELDS, ids=lambda v: str(v))
def test_a_megabyte_string_is_refused_in_one_short_line(name: MessageName, field: str) -> None:
    secret = "Q" * MB
    reason = _refusal(name, _valid(name) | {field: secret})
    assert field in reason
    assert "QQQQ" not in reason


@pytest.mark.parametrize("name", list(MESSAGE_TYPES), ids=str)
def test_a_megabyte_field_name_is_refused_and_cut_short(name: MessageName) -> None:
    reason = _refusal(name, _valid(name) | {"Z" * MB: "x"})
    assert "(field): Extra inputs are not permitted" in reason
    assert "ZZZZ" not in reason


def test_a_megabyte_actor_id_and_role_are_refused() -> None:
    payload = _valid(MessageName.WITHDRAW) | {"actor": {"role": "R" * MB, "id": "I" * MB}}
    reason = _refusal(MessageName.WITHDRAW, payload)
    assert "actor.role" in reason and "actor.id" in reason
    assert "caseworker" in reason  # what is allowed
    assert "RRRR" not in reason and "IIII" not in reason


def test_reasons_list_is_bounded() -> None:
    payload = _valid(MessageName.RECORD_SCREENING) | {
        "approved": False, "reasons": ["fit", "motivation", "other", "learning_ability",
                                       "preconditions_financial", "preconditions_mobility",
                                       "preconditions_childcare", "fit"]}
    assert "at most 7" in _refusal(MessageName.RECORD_SCREENING, payload)


@pytest.mark.parametrize(("key", "shown"), [
    ("reasons", "reasons"), ("x" * 41, "(field)"), ("a85073003328", "(field)"),
    ("naam klant", "(field)"), ("a\nb", "(field)"),
])
def test_unknown_field_names_show_only_when_plain_and_short(key: str, shown: str) -> None:
    reason = _refusal(MessageName.WITHDRAW, _valid(MessageName.WITHDRAW) | {key: "x"})
    assert f"{shown}: Extra inputs are not permitted" in reason
    if shown != key:
        assert key not in reason


def test_many_errors_are_counted_not_listed() -> None:
    payload = {"actor": CW} | {f"extra_{n}": n for n in range(500)}
    reason = _refusal(MessageName.WITHDRAW, payload)
    assert reason.endswith("more)")


# ------------------------------------------------------------ control characters


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800"])
@pytest.mark.parametrize(("name", "field"), FREE_TEXT + ONE_LINE_TEXT, ids=lambda v: str(v))
def test_control_characters_are_refused(name: MessageName, field: str, char: str) -> None:
    reason = _refusal(name, _valid(name) | {field: f"a{char}b"})
    if char == "\ud800":  # a lone surrogate is not even a valid string for pydantic
        assert f"{field}: Input should be a valid string" in reason
    else:
        assert f"{field}: contains a control character" in reason
    assert char not in reason


@pytest.mark.parametrize(("name", "field"), FREE_TEXT, ids=lambda v: str(v))
def test_free_text_keeps_line_breaks_and_tabs(name: MessageName, field: str) -> None:
    message = parse_message(name.value, _valid(name) | {field: "eerste lijn\n\tTweede\r\nderde"})
    assert getattr(message, field) == "eerste lijn\n\tTweede\r\nderde"


@pytest.mark.parametrize(("name", "field"), ONE_LINE_TEXT, ids=lambda v: str(v))
def test_one_line_text_refuses_line_breaks(name: MessageName, field: str) -> None:
    assert "line break" in _refusal(name, _valid(name) | {field: "Gent\nAalst"})


@pytest.mark.parametrize("value", ["cw-anna\n", "cw-anna\x00", "cw\tanna"])
def test_ids_refuse_control_characters_even_at_the_end(value: str) -> None:
    reason = _refusal(MessageName.REASSIGN, _valid(MessageName.REASSIGN) | {"caseworker": value})
    assert "staff id is not allowed" in reason


# -------------------------------------------------------------------- dates


@pytest.mark.parametrize(("name", "field"), DATE_FIELDS, ids=lambda v: str(v))
@pytest.mark.parametrize("day", ["1999-12-31", "1900-01-01", "2100-01-01", "9999-12-31"])
def test_dates_outside_the_range_are_refused(name: MessageName, field: str, day: str) -> None:
    reason = _refusal(name, _valid(name) | {field: day})
    assert field in reason
    assert ("2000-01-01" in reason) or ("2099-12-31" in reason)


@pytest.mark.parametrize("day", [EARLIEST_DAY, LATEST_DAY])
def test_the_range_ends_are_allowed(day: date) -> None:
    message = parse_message("record_info", _valid(MessageName.RECORD_INFO) | {"date": day})
    assert message.date == day  # type: ignore[attr-defined]
    request = OpenTrajectory(case_id="C-1", ocmw="gent", caseworker="cw-anna", opened_on=day)
    assert request.opened_on == day


@pytest.mark.parametrize("day", ["1900-01-01", "2100-01-01"])
def test_opened_on_outside_the_range_is_refused_by_the_model(day: str) -> None:
    with pytest.raises(ValidationError):
        OpenTrajectory.model_validate(
            {"case_id": "C-1", "ocmw": "gent", "caseworker": "cw-anna", "opened_on": day})


def test_the_holiday_table_covers_every_allowed_date_and_what_follows() -> None:
    """Workflow code must never ask the holidays library (not allowed in the sandbox):
    every date a message may carry, and the deadlines that follow, are in the table."""
    years = calendar.PRECOMPUTED_YEARS
    assert years.start <= EARLIEST_DAY.year
    assert years.stop - 1 >= LATEST_DAY.year + 5
    assert calendar.is_holiday(date(2000, 1, 1)) and calendar.is_holiday(date(2099, 12, 25))
    assert calendar.add_working_days(LATEST_DAY, 260) < date(years.stop, 1, 1)
    assert calendar.add_months(LATEST_DAY, 36) < date(years.stop, 1, 1)


def test_opening_problem_bounds_opened_on_around_today() -> None:
    today = date(2026, 3, 2)

    def request(day: date) -> OpenTrajectory:
        return OpenTrajectory(case_id="C-1", ocmw="gent", caseworker="cw-anna", opened_on=day)

    assert opening_problem(request(today), today) is None
    assert opening_problem(request(today - timedelta(days=3 * 366)), today) is None
    assert "future" in (opening_problem(request(today + timedelta(days=1)), today) or "")
    assert opening_problem(request(today + timedelta(days=1)), today, slack_days=1) is None
    assert "three years" in (opening_problem(request(date(2020, 1, 1)), today) or "")


# -------------------------------------------------- national register numbers


def test_the_checksums_of_both_variants() -> None:
    assert is_valid_national_register_number(BORN_1985)
    assert is_valid_national_register_number(BORN_2001)
    assert not is_valid_national_register_number("85073003329")
    assert not is_valid_national_register_number("8507300332")
    assert not is_valid_national_register_number(BORN_2001[:9] + "00")
    assert is_valid_national_register_number("01020312316")  # also valid as born 1901


@pytest.mark.parametrize("notation", NOTATIONS_1985)
@pytest.mark.parametrize(("name", "field"), FREE_TEXT + ONE_LINE_TEXT, ids=lambda v: str(v))
def test_a_register_number_in_free_text_is_refused_and_not_echoed(
    name: MessageName, field: str, notation: str
) -> None:
    reason = _refusal(name, _valid(name) | {field: f"klant {notation} belde"})
    assert f"{field}: contains what looks like a national register number" in reason
    digits = "".join(c for c in notation if c.isdigit())
    assert notation not in reason and digits not in reason and "0730" not in reason


@pytest.mark.parametrize("text", [
    f"geboren {BORN_2001[:6]} {BORN_2001[6:9]} {BORN_2001[9:]}",
    f"nr {BORN_2001[:2]}.{BORN_2001[2:4]}.{BORN_2001[4:6]}-{BORN_2001[6:9]}.{BORN_2001[9:]}",
    f"({BORN_1985})",
])
def test_register_numbers_are_found_in_text(text: str) -> None:
    assert contains_national_register_number(text)


@pytest.mark.parametrize("text", [
    "tel 09 123 45 67", "85073003329", "afspraak 2026-03-02 om 10u", "dossier 850730033280",
    "bedrag 12345678901234", "IBAN BE71 0961 2345 6769",
])
def test_ordinary_numbers_are_not_register_numbers(text: str) -> None:
    assert not contains_national_register_number(text)


@given(body=st.integers(min_value=0, max_value=999_999_999), born_2000=st.booleans(),
       notation=st.sampled_from(["{}{}{}{}{}", "{}.{}.{}-{}.{}", "{}{}{} {} {}", "{} {} {} {} {}"]),
       before=st.text(alphabet=string.ascii_letters + " ,", max_size=20),
       after=st.text(alphabet=string.ascii_letters + " ,", max_size=20))
@settings(max_examples=300, deadline=None)
def test_any_valid_register_number_in_any_notation_is_found(
    body: int, born_2000: bool, notation: str, before: str, after: str
) -> None:
    digits = f"{body:09d}"
    check = 97 - ((2_000_000_000 if born_2000 else 0) + body) % 97
    number = digits + f"{check:02d}"
    written = notation.format(number[:2], number[2:4], number[4:6], number[6:9], number[9:])
    assert contains_national_register_number(f"{before} {written} {after}")
    assert looks_like_national_register_number(written)
    reason = _refusal(MessageName.WITHDRAW, {"actor": CW, "reason": f"{before} {written} {after}"})
    assert number not in reason and written not in reason


# ------------------------------------------------------------------- reasons


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=30).map(lambda t: f"SECRET{t}"),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


@given(name=st.sampled_from(list(MessageName)),
       fields=st.dictionaries(st.sampled_from(["actor", "date", "channel", "notes", "reason",
                                               "reasons", "approved", "start_date", "location",
                                               "mediator", "contact", "plan", "lead", "x"]),
                              JSON, max_size=6))
@settings(max_examples=400, deadline=None)
def test_any_payload_is_accepted_or_refused_with_a_short_line_without_its_values(
    name: MessageName, fields: dict[str, Any]
) -> None:
    try:
        parse_message(name.value, _valid(name) | fields)
    except ValidationError as error:
        reason = validation_reason(error, name.value)
        assert 0 < len(reason) <= REASON_LIMIT
        assert one_line(reason) == reason
        assert "SECRET" not in reason


def test_join_reasons_counts_what_does_not_fit() -> None:
    parts = [f"field_{n}: wrong" for n in range(100)]
    joined = join_reasons("x: ", parts, 80)
    assert len(joined) <= 80 and joined.startswith("x: field_0: wrong; field_1")
    assert joined.endswith("more)")
    assert join_reasons("x: ", ["a: b"]) == "x: a: b"


def test_one_line_cuts_and_flattens() -> None:
    assert one_line("a\nb\x00c\u2028d  e") == "a b c d e"
    assert len(one_line("x" * 5000)) == REASON_LIMIT and one_line("x" * 5000).endswith("…")


def test_a_timeline_entry_read_back_keeps_a_bounded_reason() -> None:
    entry = TimelineEntry.model_validate({
        "at": "2026-03-02T09:00:00Z", "kind": "message", "name": "withdraw", "actor": CW,
        "accepted": False, "summary": "invalid payload", "reason": "r" * MB,
        "stage_before": "orientation", "stage_after": "orientation", "seq": 3,
    })
    assert entry.reason is not None and len(entry.reason) == REASON_LIMIT


# -------------------------------------------------------- the workflow input


def test_open_trajectory_bounds() -> None:
    base = {"case_id": "C-1", "ocmw": "gent", "caseworker": "cw-anna"}
    for bad in ({"continue_as_new_after_events": 10**9}, {"continue_as_new_after_bytes": 10**12},
                {"continue_as_new_after_bytes": 10}, {"case_id": "C" * MB}):
        with pytest.raises(ValidationError) as info:
            OpenTrajectory.model_validate(base | bad)
        assert "CCCC" not in validation_reason(info.value)


@pytest.mark.parametrize("change", [
    {"orientation_reminder_days": 10**9}, {"repeat_days": 261}, {"progress_check_months": 37},
    {"employment_check_months": (6, 10**6)}, {"orientation_escalate_after_reminders": 53},
])
def test_reminder_policy_periods_are_bounded(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ReminderPolicy.model_validate(change)

"""Help texts of the message commands (``okot record-info``, ...): one line per
command, one per option, and the rule (who sends it, in which stages) from
:data:`okot.domain.journey.RULES`. Mostly a table of data."""

from __future__ import annotations

from okot.domain import journey
from okot.domain.values import (
    MessageName,
    Stage,
)

COMMAND_HELP: dict[MessageName, str] = {
    MessageName.RECORD_INFO: "Record the info session or the talk with the VDAB mediator.",
    MessageName.RECORD_PRECHECK: "Record the pre-check of the entry conditions (all but the "
    "screening) and whether a TWE is active; a negative pre-check closes the file as ineligible.",
    MessageName.SUBMIT_CANDIDACY: "Submit the client's candidacy for a study (via the training "
    "guide or the mediator).",
    MessageName.GIVE_AGREEMENT: "Give the caseworker's formal agreement ('formeel akkoord'); "
    "VDAB gets the contact details of --contact (default: the caseworker).",
    MessageName.DECLINE_AGREEMENT: "Decline the formal agreement; closes the trajectory.",
    MessageName.CONFIRM_HANDOVER: "Confirm the warm handover to the VDAB mediator.",
    MessageName.SCHEDULE_INTAKE: "Plan the date of VDAB's intake and screening.",
    MessageName.RECORD_SCREENING: "Record the screening: --approved with the probable "
    "--start-date and --location, or --no-approved with one or more --reason codes (closes).",
    MessageName.POSTPONE_START: "Postpone the probable start (optionally at another location).",
    MessageName.CONFIRM_START: "Confirm that the training has started.",
    MessageName.RECORD_PROGRESS: "Record a progress check (in the Klantendossier).",
    MessageName.REPORT_STOPPED: "Report that the client stopped during the training (the "
    "caseworker often hears it first); the mediator is asked to confirm it with record-end.",
    MessageName.RECORD_END: "Record the end of the training and its result (also to confirm "
    "a stop the caseworker reported).",
    MessageName.AGREE_FOLLOW_UP: "Record who guides the client to work next (vdab or ocmw) "
    "and how.",
    MessageName.RECORD_EMPLOYMENT: "Record an employment check (the 12-month check completes "
    "the trajectory).",
    MessageName.WITHDRAW: "The client stops before the training starts; closes the trajectory.",
    MessageName.REASSIGN: "Hand the trajectory over to another caseworker and/or mediator.",
    MessageName.UPDATE_POLICY: "Replace the reminder policy of a running trajectory from now on "
    "(`okot policy update`).",
}

_PRIVATE = " Kept in the trajectory, never logged."
FIELD_HELP: dict[str, str] = {
    "date": "The date (YYYY-MM-DD).",
    "channel": "The channel.",
    "conditions_met": "Whether the entry conditions (all but the screening) are met.",
    "twe_active": "Whether a TWE (temporary work experience) is active: an OKOT cannot be "
    "combined with one.",
    "study_level": "The study level.",
    "notes": "Free-text notes." + _PRIVATE,
    "programme": "The study programme, as in the training guide.",
    "school": "The school.",
    "mediator": "Staff id of the VDAB mediator.",
    "caseworker": "Staff id of the caseworker.",
    "contact": "Staff id whose contact details VDAB gets (default: the caseworker).",
    "reason": "Free-text reason." + _PRIVATE,
    "approved": "Whether the screening approved the candidacy.",
    "reasons": "Reason code of a rejected screening; repeat the option for several.",
    "start_date": "The probable start date (YYYY-MM-DD).",
    "location": "Where the training takes place.",
    "expected_end": "Expected end of the training (YYYY-MM-DD).",
    "note": "Free-text progress note." + _PRIVATE,
    "result": "The result of the training.",
    "lead": "Who guides the client to work next.",
    "plan": "The follow-up plan, free text." + _PRIVATE,
    "employed": "Whether the client is employed.",
}
MESSAGE_FIELD_HELP: dict[tuple[MessageName, str], str] = {
    (MessageName.RECORD_INFO, "date"): "Date of the info session or talk (not in the future).",
    (MessageName.RECORD_INFO, "channel"): "How the client was informed.",
    (MessageName.UPDATE_POLICY, "reason"): "Why the policy changes." + _PRIVATE,
    (MessageName.UPDATE_POLICY, "policy"): "The new reminder policy (a JSON or TOML file).",
    (MessageName.SUBMIT_CANDIDACY, "channel"): "Through which channel the candidacy came.",
    (MessageName.CONFIRM_HANDOVER, "date"): "Date of the warm handover (not in the future).",
    (MessageName.CONFIRM_HANDOVER, "channel"): "How the handover was done (phone preferred).",
    (MessageName.CONFIRM_HANDOVER, "notes"): "Free-text notes on the handover." + _PRIVATE,
    (MessageName.SCHEDULE_INTAKE, "date"): "Planned intake date (today or later).",
    (MessageName.RECORD_SCREENING, "start_date"): "Probable start date (needed if approved).",
    (MessageName.RECORD_SCREENING, "location"): "Training location (needed if approved).",
    (MessageName.POSTPONE_START, "start_date"): "The new probable start date.",
    (MessageName.POSTPONE_START, "location"): "The new location (default: unchanged).",
    (MessageName.CONFIRM_START, "date"): "Date the training started (not in the future).",
    (MessageName.RECORD_PROGRESS, "date"): "Date of the progress check (not in the future).",
    (MessageName.REPORT_STOPPED, "date"): "Date the client stopped (not in the future).",
    (MessageName.REPORT_STOPPED, "note"): "What the caseworker heard, for the mediator to "
    "check." + _PRIVATE,
    (MessageName.RECORD_END, "date"): "Date the training ended (not in the future).",
    (MessageName.RECORD_EMPLOYMENT, "date"): "Date the employment situation applies to.",
    (MessageName.DECLINE_AGREEMENT, "reason"): "Why the agreement is declined." + _PRIVATE,
    (MessageName.WITHDRAW, "reason"): "Why the client stops." + _PRIVATE,
    (MessageName.REASSIGN, "caseworker"): "Staff id of the new caseworker.",
    (MessageName.REASSIGN, "mediator"): "Staff id of the new VDAB mediator.",
    (MessageName.REASSIGN, "teamlead"): (
        "Staff id of the new caseworker's teamlead (default: looked up in the staff directory)."
    ),
}


def rule_text(kind: MessageName) -> str:
    rule = journey.RULES.get(kind)
    if rule is None:
        return ""
    stages = ", ".join(s.value for s in rule.stages) if len(rule.stages) < len(Stage) - 1 else (
        "every open stage"
    )
    return f" Sent by {' or '.join(r.value for r in rule.roles)}; allowed in {stages}."


def field_help(kind: MessageName, field: str) -> str:
    return MESSAGE_FIELD_HELP.get((kind, field)) or FIELD_HELP.get(field) or field.replace("_", " ")

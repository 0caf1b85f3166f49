"""Shared helpers for the mail and registration tests: staff, contexts, servers.

Imported as a plain module (``import mail_helpers``); pytest puts ``tests/`` on
``sys.path``. No fixtures live here on purpose (no conftest): each test module
builds its fixtures from these helpers.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from okot.domain.values import Role
from okot.mail.render import StaffContact
from okot.settings import Settings
from okot_dev.ports import free_port

# ------------------------------------------------------------------ the staff

CASEWORKER = StaffContact(
    id="cw-anna",
    role=Role.CASEWORKER,
    name="Anna Peeters",
    email="anna.peeters@ocmw-gent.example",
    phone="09 266 12 34",
    ocmw="gent",
    teamlead="tl-chris",
)
NEW_CASEWORKER = StaffContact(
    id="cw-zoe",
    role=Role.CASEWORKER,
    name="Zoë Van den Broeck",
    email="zoe.vandenbroeck@ocmw-gent.example",
    phone="09 266 56 78",
    ocmw="gent",
    teamlead="tl-chris",
)
TEAMLEAD = StaffContact(
    id="tl-chris",
    role=Role.TEAMLEAD,
    name="Chris Wouters",
    email="chris.wouters@ocmw-gent.example",
    phone="09 266 00 01",
    ocmw="gent",
)
MEDIATOR = StaffContact(
    id="med-bart",
    role=Role.MEDIATOR,
    name="Bart De Smet",
    email="bart.desmet@vdab.example",
    phone="02 506 15 00",
    ocmw="gent",  # the directory files mediators under the OCMW they work with
)
NEW_MEDIATOR = StaffContact(
    id="med-fatima",
    role=Role.MEDIATOR,
    name="Fatima El Amrani",
    email="fatima.elamrani@vdab.example",
)

STAFF: dict[str, StaffContact] = {
    p.id: p for p in (CASEWORKER, NEW_CASEWORKER, TEAMLEAD, MEDIATOR, NEW_MEDIATOR)
}
PEOPLE = tuple(STAFF.values())


def lookup(staff_id: str) -> StaffContact | None:
    return STAFF.get(staff_id)


# --------------------------------------------------------------- the contexts

CASE_ID = "GENT-2025-0042"

BASE_CONTEXT: dict[str, str | int | bool | None] = {
    "case_id": CASE_ID,
    "ocmw": "gent",
    "stage": "awaiting_agreement",
    "caseworker": CASEWORKER.id,
    "mediator": MEDIATOR.id,
    "programme": "Verpleegkunde",
    "school": "HBO5 Verpleegkunde Gent",
    "study_level": "graduaat",
}


@dataclass(frozen=True)
class Sample:
    """One realistic notice: template, its context, recipient and contact."""

    template: str
    extra: dict[str, Any]
    recipient: StaffContact
    contact: StaffContact | None
    label: str = ""

    @property
    def context(self) -> dict[str, Any]:
        return {**BASE_CONTEXT, **self.extra}

    @property
    def id(self) -> str:
        return f"{self.template}-{self.recipient.role.value}{self.label}"


def _due(stage: str) -> dict[str, Any]:
    return {"stage": stage, "due": "2025-03-03", "awaiting": "something (message) from someone"}


SAMPLES: tuple[Sample, ...] = (
    Sample("candidacy_submitted", {"channel": "training_guide"}, CASEWORKER, MEDIATOR),
    Sample("candidacy_submitted", {"channel": "mediator"}, CASEWORKER, MEDIATOR, "-via-mediator"),
    Sample("agreement_given", {"stage": "handover", "contact": CASEWORKER.id}, MEDIATOR, CASEWORKER),
    Sample(
        "agreement_given", {"stage": "registering", "contact": CASEWORKER.id}, MEDIATOR,
        CASEWORKER, "-registering",
    ),
    Sample("agreement_declined", {"stage": "closed"}, MEDIATOR, CASEWORKER),
    Sample("registered", {"stage": "handover", "reference": "VDAB-00000001"}, CASEWORKER, MEDIATOR),
    Sample("registered", {"stage": "handover", "reference": "VDAB-00000001"}, MEDIATOR, CASEWORKER),
    Sample("registration_failed", {"stage": "registering"}, CASEWORKER, MEDIATOR),
    Sample("registration_failed", {"stage": "registering"}, TEAMLEAD, CASEWORKER),
    Sample(
        "screening_result",
        {"stage": "awaiting_start", "approved": True, "reasons": None,
         "start_date": "2025-09-15", "location": "VDAB Competentiecentrum Gent"},
        CASEWORKER, MEDIATOR, "-approved",
    ),
    Sample(
        "screening_result",
        {"stage": "closed", "approved": False,
         "reasons": "motivation,preconditions_childcare,learning_ability",
         "start_date": None, "location": None},
        CASEWORKER, MEDIATOR, "-rejected",
    ),
    Sample(
        "start_postponed",
        {"stage": "awaiting_start", "start_date": "2026-02-02", "location": "Campus Gent"},
        CASEWORKER, MEDIATOR,
    ),
    Sample(
        "training_started",
        {"stage": "in_training", "start_date": "2025-09-15", "location": "Campus Gent",
         "expected_end": "2027-06-30"},
        CASEWORKER, MEDIATOR,
    ),
    Sample("training_ended", {"stage": "follow_up", "result": "passed", "end_date": "2027-06-30"},
           CASEWORKER, MEDIATOR, "-passed"),
    Sample("training_ended", {"stage": "follow_up", "result": "not_passed",
                              "end_date": "2027-06-30"}, CASEWORKER, MEDIATOR, "-not-passed"),
    Sample("training_ended", {"stage": "follow_up", "result": "stopped_early",
                              "end_date": "2026-01-20"}, CASEWORKER, MEDIATOR, "-stopped"),
    Sample("withdrawn", {"stage": "closed"}, MEDIATOR, CASEWORKER),
    Sample("stop_reported", {"stage": "in_training", "stopped_on": "2026-10-02",
                             "reported_by": CASEWORKER.id}, MEDIATOR, CASEWORKER),
    Sample("follow_up_agreed", {"stage": "follow_up", "lead": "ocmw", "agreed_by": CASEWORKER.id},
           MEDIATOR, CASEWORKER),
    Sample("follow_up_agreed", {"stage": "follow_up", "lead": "vdab", "agreed_by": MEDIATOR.id},
           CASEWORKER, MEDIATOR),
    Sample("follow_up_confirmed", {"stage": "follow_up", "lead": "vdab",
                                   "agreed_by": MEDIATOR.id}, CASEWORKER, MEDIATOR),
    Sample("reassigned_to", {"previous": CASEWORKER.id}, NEW_CASEWORKER, CASEWORKER),
    Sample("reassigned_to", {"previous": None}, NEW_MEDIATOR, None, "-first"),
    Sample("reassigned_from", {"successor": NEW_CASEWORKER.id}, CASEWORKER, NEW_CASEWORKER),
    Sample("reassigned_from", {"successor": NEW_MEDIATOR.id}, MEDIATOR, NEW_MEDIATOR),
    Sample("follow_up_closed", {"stage": "closed"}, CASEWORKER, MEDIATOR),
    Sample("notification_failed", {"failed_template": "agreement_given"}, TEAMLEAD, CASEWORKER),
    Sample("orientation_reminder", {**_due("orientation"), "mediator": None}, CASEWORKER, None),
    Sample("orientation_escalation", _due("orientation"), TEAMLEAD, CASEWORKER),
    Sample("orientation_escalation", _due("orientation"), CASEWORKER, MEDIATOR),
    Sample("orientation_escalation", {**_due("orientation"), "missed": 4}, TEAMLEAD, CASEWORKER,
           "-late-file"),
    Sample("orientation_reminder", {**_due("orientation"), "missed": 2}, CASEWORKER, MEDIATOR,
           "-late-file"),
    Sample("agreement_reminder", _due("awaiting_agreement"), CASEWORKER, MEDIATOR),
    Sample("agreement_escalation", _due("awaiting_agreement"), TEAMLEAD, CASEWORKER),
    Sample("agreement_escalation", _due("awaiting_agreement"), CASEWORKER, MEDIATOR),
    Sample("handover_reminder", _due("handover"), CASEWORKER, MEDIATOR),
    Sample("handover_escalation", _due("handover"), TEAMLEAD, CASEWORKER),
    Sample("handover_escalation", _due("handover"), CASEWORKER, MEDIATOR),
    Sample("screening_reminder", _due("screening"), MEDIATOR, CASEWORKER),
    Sample("screening_escalation", _due("screening"), TEAMLEAD, CASEWORKER),
    Sample("screening_escalation", _due("screening"), MEDIATOR, CASEWORKER),
    Sample("start_reminder", _due("awaiting_start"), MEDIATOR, CASEWORKER),
    Sample("progress_check", _due("in_training"), CASEWORKER, MEDIATOR),
    Sample("end_reminder", _due("in_training"), MEDIATOR, CASEWORKER),
    Sample("follow_up_reminder", _due("follow_up"), CASEWORKER, MEDIATOR),
    Sample("follow_up_reminder", _due("follow_up"), MEDIATOR, CASEWORKER),
    Sample("employment_check_6m", _due("follow_up"), CASEWORKER, MEDIATOR),
    Sample("employment_check_12m", _due("follow_up"), CASEWORKER, MEDIATOR),
)


# ------------------------------------------------------------------ networking




def smtp_settings(port: int, **overrides: Any) -> Settings:
    """Settings that send to ``127.0.0.1:port`` (environment ignored where it matters)."""
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_from": "okot-flow@ocmw-gent.example",
        "smtp_starttls": False,
        "smtp_tls": False,
        "smtp_username": None,
        "smtp_password": None,
        "smtp_timeout_seconds": 5.0,
        "mail_dir": None,
        **overrides,
    }
    return Settings(**values)


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that records deliveries and can refuse on cue.

    ``rcpt_replies`` / ``data_replies`` are consumed one per attempt; when empty
    the server accepts (``250``).
    """

    rcpt_replies: list[str] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)
    delivered: list[Delivered] = field(default_factory=list)
    rcpt_attempts: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        self.rcpt_attempts += 1
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        content = envelope.original_content or envelope.content
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.delivered.append(Delivered(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_server(handler: RecordingHandler) -> Iterator[int]:
    """A real aiosmtpd SMTP server on a free loopback port; yields the port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections (backlog) but never says a word."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


def read_eml(path: Path) -> EmailMessage:
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def bodies(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies of a multipart/alternative mail."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def personal_data() -> list[str]:
    """Every name, e-mail address and phone number of the test staff."""
    out: list[str] = []
    for person in PEOPLE:
        out += [person.name, person.email]
        if person.phone:
            out.append(person.phone)
    return out

"""Every notification template renders in Dutch, for the right person, completely."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from html.parser import HTMLParser
from pathlib import Path

import mail_helpers as h
import pytest
from pydantic import ValidationError

from okot.domain import deadlines, journey, steps
from okot.domain.changes import Accepted
from okot.domain.messages import (
    GiveAgreement,
    Reassign,
    RecordPrecheck,
    SubmitCandidacy,
    Withdraw,
)
from okot.domain.status import (
    Notice,
    OpenTrajectory,
)
from okot.domain.values import (
    Actor,
    CandidacyChannel,
    DeadlineKind,
    Role,
    StudyLevel,
)
from okot.mail.errors import PermanentDeliveryError
from okot.mail.filters import TEMPLATE_TITLES
from okot.mail.render import (
    TEMPLATE_DIR,
    TEMPLATES,
    MailTemplateError,
    RenderedMail,
    StaffContact,
    contact_id_for,
    render,
    resolve_people,
)
from okot.mail.smtp import (
    build_message,
    message_id_for,
)

BRIEF_TEMPLATES = {
    "candidacy_submitted", "agreement_given", "agreement_declined", "registered",
    "registration_failed", "screening_result", "start_postponed", "training_started",
    "training_ended", "withdrawn", "reassigned_to", "reassigned_from", "follow_up_closed",
    "stop_reported", "follow_up_agreed", "follow_up_confirmed",
    "notification_failed", "orientation_reminder", "orientation_escalation",
    "agreement_reminder", "agreement_escalation", "handover_reminder", "handover_escalation",
    "screening_reminder", "screening_escalation", "start_reminder", "progress_check",
    "end_reminder", "follow_up_reminder", "employment_check_6m", "employment_check_12m",
}

# Wire values that must never leak untranslated into a Dutch mail.
WIRE_CODE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")
ENGLISH = re.compile(r"\b(the|please|reminder|agreement|training|and|from|caseworker|mediator)\b")


class _TagBalance(HTMLParser):
    VOID = frozenset({"br", "hr", "meta", "img", "input", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()


def assert_well_formed(html: str) -> None:
    parser = _TagBalance()
    parser.feed(html)
    parser.close()
    assert not parser.errors, parser.errors
    assert not parser.stack, f"unclosed tags {parser.stack}"


COMMANDS = re.compile(r"\nZo registreer je het in okot-flow \(opdrachtregel\):\n.*?\n\n", re.S)


def prose(text: str) -> str:
    """The mail text without its block of ``okot`` commands (which name codes on purpose)."""
    return COMMANDS.sub("\n", text)


def commands(text: str) -> list[str]:
    """The command lines a mail gives."""
    return [line.strip() for line in text.splitlines() if line.startswith("    okot ")]


def first_name(person: StaffContact) -> str:
    return person.name.split()[0]


def assert_complete(text: str) -> None:
    text = re.sub(r' style="[^"]*"', "", text)  # CSS may say "none"
    for leftover in ("{{", "}}", "{%", "%}", "{#", "#}", "Undefined"):
        assert leftover not in text, leftover
    assert not re.search(r"\bNone\b|\bnone\b|\bTrue\b|\bFalse\b", text)


# ---------------------------------------------------------------- the catalogue


def emitted_by_journey() -> set[str]:
    """Template names in every ``_notice(...)`` call of the journey's rules, plus reminders."""
    source = "".join(
        Path(module.__file__).read_text(encoding="utf-8") for module in (journey, steps, deadlines)
    )
    literal = set(re.findall(r'_notice\(\s*\w+\s*,\s*[\w.]+\s*,\s*"([a-z0-9_]+)"', source))
    dynamic = {
        k.value for k in DeadlineKind
        if k not in (DeadlineKind.REGISTRATION_RETRY, DeadlineKind.FOLLOW_UP_CLOSE)
    }
    return literal | dynamic


def test_catalogue_matches_the_brief_and_the_journey() -> None:
    assert set(TEMPLATES) == BRIEF_TEMPLATES
    assert emitted_by_journey() <= set(TEMPLATES)
    assert set(TEMPLATE_TITLES) == set(TEMPLATES)


def test_one_file_per_template_and_no_strays() -> None:
    files = {p.stem for p in TEMPLATE_DIR.glob("*.j2") if not p.name.startswith("_")}
    assert files == set(TEMPLATES)


def test_samples_cover_every_template() -> None:
    assert {s.template for s in h.SAMPLES} == set(TEMPLATES)


# ----------------------------------------------------------------- each sample


@pytest.mark.parametrize("sample", h.SAMPLES, ids=lambda s: s.id)
def test_renders_in_dutch_for_the_recipient(sample: h.Sample) -> None:
    mail = render(sample.template, sample.context, sample.recipient, sample.contact)

    assert mail.template == sample.template
    assert mail.subject.startswith(f"OKOT-dossier {h.CASE_ID}: ")
    assert "\n" not in mail.subject and len(mail.subject) < 120
    assert mail.text.startswith(f"Beste {first_name(sample.recipient)},\n")
    assert "Met vriendelijke groeten" in mail.text
    assert h.CASE_ID in mail.text and h.CASE_ID in mail.html
    assert f"<p>Beste {first_name(sample.recipient)},</p>" in mail.html
    assert '<html lang="nl">' in mail.html

    for part in (mail.subject, mail.text, mail.html):
        assert_complete(part)
    plain = mail.subject + "\n" + prose(mail.text)
    assert "personeelsnummer" not in mail.text + mail.html
    assert not WIRE_CODE.findall(plain), WIRE_CODE.findall(plain)
    assert not ENGLISH.findall(plain), ENGLISH.findall(plain)
    assert_well_formed(mail.html)

    # The only people named are the recipient and the contact person.
    for person in h.PEOPLE:
        if person not in (sample.recipient, sample.contact):
            assert person.name not in mail.text and person.email not in mail.text
    if sample.contact is not None:
        assert sample.contact.name in mail.text and sample.contact.email in mail.text
        assert sample.contact.name in mail.html


@pytest.mark.parametrize("sample", h.SAMPLES, ids=lambda s: s.id)
def test_every_mail_links_straight_to_the_case_page(sample: h.Sample) -> None:
    web = "https://okot.ocmw-gent.example/"
    mail = render(sample.template, sample.context, sample.recipient, sample.contact,
                  web_url=web)
    url = f"https://okot.ocmw-gent.example/dossiers/{h.CASE_ID}"
    assert f"\n{url}\n" in mail.text and "Open het dossier" in mail.text
    assert f'<a href="{url}"' in mail.html
    assert_well_formed(mail.html)
    plain = mail.subject + "\n" + prose(mail.text)
    assert not ENGLISH.findall(plain), ENGLISH.findall(plain)
    without = render(sample.template, sample.context, sample.recipient, sample.contact)
    assert "/dossiers/" not in without.text + without.html


def test_names_come_from_the_recipient_object_not_the_context() -> None:
    other = h.CASEWORKER.model_copy(update={"name": "Eva Claes"})
    ctx = {**h.BASE_CONTEXT, "channel": "training_guide"}
    first = render("candidacy_submitted", ctx, h.CASEWORKER, h.MEDIATOR)
    second = render("candidacy_submitted", ctx, other, h.MEDIATOR)
    assert "Beste Anna," in first.text and "Eva" not in first.text
    assert "Beste Eva," in second.text and "Anna" not in second.text
    assert "Peeters" not in first.text and "Claes" not in second.text  # first name only
    # Staff ids in the context are never shown instead of people (only in the commands,
    # as the recipient's own --as ROLE:ID).
    assert h.CASEWORKER.id not in prose(first.text) and h.MEDIATOR.id not in first.text


# ------------------------------------------------------------- the key mails


def test_formeel_akkoord_carries_contact_and_candidacy() -> None:
    ctx = {**h.BASE_CONTEXT, "stage": "handover", "contact": h.CASEWORKER.id}
    mail = render("agreement_given", ctx, h.MEDIATOR, h.CASEWORKER)
    assert "formeel akkoord" in mail.subject
    assert mail.text.startswith("Beste Bart,")
    for part in (mail.text, mail.html):
        assert "Anna Peeters" in part
        assert "OCMW Gent" in part
        assert "09 266 12 34" in part
        assert "anna.peeters@ocmw-gent.example" in part
        assert h.CASE_ID in part
        assert "Verpleegkunde" in part
        assert "HBO5 Verpleegkunde Gent" in part
        assert "graduaat (HBO5)" in part
    assert "Contactpersoon OCMW" in mail.text
    assert "al ingeschreven als werkzoekende" in mail.text
    registering = render("agreement_given", {**ctx, "stage": "registering"}, h.MEDIATOR, h.CASEWORKER)
    assert "nog niet ingeschreven als werkzoekende" in registering.text
    # VDAB registers the client after the agreement: nothing happens "automatically" by magic.
    for part in (registering.text, registering.html):
        assert "gebeurt nu automatisch" not in part
        assert "vraagt okot-flow de inschrijving aan bij VDAB; VDAB schrijft de cliënt in" in part
    # News from the OCMW, to VDAB: signed by the OCMW.
    assert registering.text.split("Met vriendelijke groeten,\n")[1].startswith(
        "OCMW Gent – OKOT-opvolging")


def test_mediator_is_not_presented_as_ocmw_staff() -> None:
    ctx = {**h.BASE_CONTEXT, "channel": "mediator"}
    mail = render("candidacy_submitted", ctx, h.CASEWORKER, h.MEDIATOR)
    assert "VDAB-bemiddelaar: Bart De Smet\n" in mail.text
    assert "Bart De Smet (OCMW" not in mail.text + mail.html
    lead = render("agreement_escalation", {**h.BASE_CONTEXT, "due": "2025-03-03"},
                  h.TEAMLEAD, h.CASEWORKER)
    assert "Anna Peeters (OCMW Gent)" in lead.text


def test_formeel_akkoord_with_another_contact_person() -> None:
    ctx = {**h.BASE_CONTEXT, "stage": "handover", "contact": h.NEW_CASEWORKER.id}
    mail = render("agreement_given", ctx, h.MEDIATOR, h.NEW_CASEWORKER)
    assert "Zoë Van den Broeck" in mail.text and "09 266 56 78" in mail.text
    assert "Anna Peeters" not in mail.text


def test_formeel_akkoord_without_a_contact_is_refused() -> None:
    with pytest.raises(MailTemplateError, match="contact"):
        render("agreement_given", dict(h.BASE_CONTEXT), h.MEDIATOR, None)


def test_screening_approved_gives_start_date_and_location() -> None:
    ctx = {**h.BASE_CONTEXT, "approved": True, "reasons": None, "start_date": "2025-09-15",
           "location": "VDAB Competentiecentrum Gent"}
    mail = render("screening_result", ctx, h.CASEWORKER, h.MEDIATOR)
    assert "15 september 2025" in mail.subject
    assert "screening positief" in mail.subject
    assert "de screening van je cliënt bij VDAB is positief" in mail.text
    assert "geslaagd" not in mail.text + mail.html  # a screening is not an exam
    assert "Waarschijnlijke startdatum: 15 september 2025" in mail.text
    assert "Waarschijnlijke locatie: VDAB Competentiecentrum Gent" in mail.text
    assert "15 september 2025" in mail.html and "VDAB Competentiecentrum Gent" in mail.html


def test_screening_rejected_lists_reasons_in_dutch() -> None:
    ctx = {**h.BASE_CONTEXT, "approved": False, "start_date": None, "location": None,
           "reasons": "motivation,preconditions_financial,preconditions_mobility,"
                      "preconditions_childcare,fit,learning_ability,other"}
    mail = render("screening_result", ctx, h.CASEWORKER, h.MEDIATOR)
    assert mail.subject.endswith("screening negatief")
    assert "De screening van je cliënt bij VDAB is negatief" in mail.text
    assert "<strong>negatief</strong>" in mail.html
    assert "geslaagd" not in mail.text + mail.html and "weerhouden" not in mail.text
    for phrase in ("- motivatie", "- randvoorwaarden: financiële situatie",
                   "- randvoorwaarden: mobiliteit", "- randvoorwaarden: kinderopvang",
                   "- de opleiding past (nu) niet in het traject naar werk", "- leervermogen",
                   "- andere reden"):
        assert phrase in mail.text
    assert mail.html.count("<li>") == 7
    assert "preconditions" not in mail.text + mail.html and "motivation" not in mail.html


@pytest.mark.parametrize(
    ("result", "dutch", "not_dutch"),
    [
        ("passed", "geslaagd", "niet geslaagd"),
        ("not_passed", "niet geslaagd", "vroegtijdig"),
        ("stopped_early", "vroegtijdig stopgezet door VDAB", "niet geslaagd"),
    ],
)
def test_training_result_in_dutch(result: str, dutch: str, not_dutch: str) -> None:
    ctx = {**h.BASE_CONTEXT, "stage": "follow_up", "result": result, "end_date": "2027-06-30"}
    mail = render("training_ended", ctx, h.CASEWORKER, h.MEDIATOR)
    assert mail.subject.endswith(f"opleiding beëindigd: {dutch}")
    assert f"Resultaat: {dutch}\n" in mail.text
    assert f"<strong>{dutch}</strong>" in mail.html
    assert not_dutch not in mail.text
    assert "Einddatum: 30 juni 2027" in mail.text


def test_escalation_speaks_to_teamlead_and_caseworker_differently() -> None:
    ctx = {**h.BASE_CONTEXT, "due": "2025-03-03", "awaiting": "x"}
    lead = render("agreement_escalation", ctx, h.TEAMLEAD, h.CASEWORKER)
    worker = render("agreement_escalation", ctx, h.CASEWORKER, h.MEDIATOR)
    assert "dossier van je team" in lead.text and "Anna Peeters" in lead.text
    assert "Je teamverantwoordelijke werd daarom op de hoogte gebracht" in worker.text
    assert "3 maart 2025" in lead.text and "3 maart 2025" in worker.text


def test_reassignment_names_the_previous_holder_and_the_successor() -> None:
    to = render("reassigned_to", {**h.BASE_CONTEXT, "previous": h.CASEWORKER.id},
                h.NEW_CASEWORKER, h.CASEWORKER)
    assert "Je neemt het dossier over van Anna Peeters" in to.text
    away = render("reassigned_from", {**h.BASE_CONTEXT, "successor": h.NEW_CASEWORKER.id},
                  h.CASEWORKER, h.NEW_CASEWORKER)
    assert "voortaan opgevolgd door Zoë Van den Broeck" in away.text
    unknown = render("reassigned_from", {**h.BASE_CONTEXT, "successor": "cw-x9"},
                     h.CASEWORKER, None)
    assert "een collega (medewerker cw-x9 in okot-flow)" in unknown.text
    assert "personeelsnummer" not in unknown.text + unknown.html
    assert commands(to.text) == [f"okot status {h.CASE_ID}", f"okot timeline {h.CASE_ID}"]


def test_a_reported_stop_asks_the_mediator_to_confirm_it_exactly_how() -> None:
    ctx = {**h.BASE_CONTEXT, "stage": "in_training", "stopped_on": "2026-10-02",
           "reported_by": h.CASEWORKER.id}
    mail = render("stop_reported", ctx, h.MEDIATOR, h.CASEWORKER,
                  web_url="https://okot.example")
    assert "gestopt tijdens de opleiding" in mail.subject
    assert "gestopt is met de opleiding, op 2 oktober 2026" in mail.text
    assert "Anna Peeters" in mail.text  # the caseworker who reported it, to call back
    # the command and the web link, like every mail that asks for an action
    assert commands(mail.text) == [
        f"okot record-end {h.CASE_ID} --result stopped_early --date JJJJ-MM-DD "
        f"--as mediator:{h.MEDIATOR.id}"]
    assert f"https://okot.example/dossiers/{h.CASE_ID}" in mail.text
    assert mail.text.split("Met vriendelijke groeten,\n")[1].startswith("OCMW Gent")


@pytest.mark.parametrize(("recipient", "contact", "who"), [
    (h.MEDIATOR, h.CASEWORKER, "De MA/ATB"), (h.CASEWORKER, h.MEDIATOR, "De VDAB-bemiddelaar")])
def test_the_follow_up_agreement_tells_the_other_side(recipient: StaffContact,
                                                      contact: StaffContact, who: str) -> None:
    ctx = {**h.BASE_CONTEXT, "stage": "follow_up", "lead": "vdab", "agreed_by": contact.id}
    mail = render("follow_up_agreed", ctx, recipient, contact)
    assert mail.text.split("\n\n")[1].startswith(f"{who} heeft de afspraak")
    assert "VDAB neemt de verdere begeleiding" in mail.text
    assert "Bevestig ze dan door dezelfde afspraak ook te registreren" in mail.text
    assert commands(mail.text) == [
        f'okot agree-follow-up {h.CASE_ID} --lead vdab --plan "korte afspraak" '
        f"--as {recipient.role.value}:{recipient.id}"]
    ocmw = render("follow_up_agreed", {**ctx, "lead": "ocmw"}, recipient, contact)
    assert "het OCMW neemt de verdere begeleiding" in ocmw.text
    confirmed = render("follow_up_confirmed", ctx, recipient, contact)
    assert "bevestigd" in confirmed.subject and f"{who} heeft de afspraak" in confirmed.text
    assert commands(confirmed.text) == []  # nothing left to do


def test_a_late_file_says_why_it_is_one_mail() -> None:
    ctx = {**h.BASE_CONTEXT, "stage": "orientation", "due": "2026-08-31", "missed": 4}
    lead = render("orientation_escalation", ctx, h.TEAMLEAD, h.CASEWORKER)
    assert "al 4 herinneringstermijnen te laat" in lead.text
    assert "deze ene mail in plaats van een reeks herinneringen" in lead.text
    assert "31 augustus 2026" in lead.text
    on_time = render("orientation_escalation", {**ctx, "missed": None}, h.TEAMLEAD, h.CASEWORKER)
    assert "herinneringstermijnen" not in on_time.text


def test_notification_failed_names_the_failed_mail_in_dutch() -> None:
    ctx = {**h.BASE_CONTEXT, "failed_template": "agreement_given"}
    mail = render("notification_failed", ctx, h.TEAMLEAD, h.CASEWORKER)
    assert "het formeel akkoord aan de VDAB-bemiddelaar" in mail.text
    assert "agreement_given" not in mail.text


# ------------------------------------------------------------- robustness


def test_html_is_escaped_and_text_is_not() -> None:
    ctx = {**h.BASE_CONTEXT, "programme": "Zorg & <Welzijn>", "contact": h.CASEWORKER.id}
    evil = h.CASEWORKER.model_copy(update={"name": "Anna <script>alert(1)</script>"})
    mail = render("agreement_given", ctx, h.MEDIATOR, evil)
    assert "Zorg & <Welzijn>" in mail.text and "<script>" in mail.text
    assert "Zorg &amp; &lt;Welzijn&gt;" in mail.html
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html


def test_missing_optional_keys_render_and_missing_required_keys_fail() -> None:
    minimal = {"case_id": h.CASE_ID, "ocmw": "gent", "stage": "screening"}
    for template in sorted(TEMPLATES - {"agreement_given", "training_ended", "screening_result"}):
        mail = render(template, minimal, h.CASEWORKER, None)
        assert_complete(mail.text)
        assert_complete(mail.html)
    with pytest.raises(MailTemplateError, match="case_id"):
        render("progress_check", {"ocmw": "gent", "stage": "in_training"}, h.CASEWORKER, None)
    with pytest.raises(MailTemplateError, match="result"):
        render("training_ended", minimal, h.CASEWORKER, None)


def test_unknown_template_and_reserved_keys_are_refused() -> None:
    with pytest.raises(MailTemplateError, match="unknown"):
        render("no_such_template", dict(h.BASE_CONTEXT), h.CASEWORKER, None)
    with pytest.raises(MailTemplateError, match="reserved"):
        render("progress_check", {**h.BASE_CONTEXT, "recipient": "x"}, h.CASEWORKER, None)
    with pytest.raises(MailTemplateError):
        render("_layout", dict(h.BASE_CONTEXT), h.CASEWORKER, None)


def test_ocmw_codes_read_as_names() -> None:
    ctx = {**h.BASE_CONTEXT, "ocmw": "sint-niklaas", "due": "2025-12-24"}
    mail = render("progress_check", ctx, h.CASEWORKER, None)
    assert "OCMW Sint-Niklaas" in mail.text
    assert "24 december 2025" in mail.text


def test_staff_contact_validation_hides_the_input() -> None:
    with pytest.raises(ValidationError) as caught:
        StaffContact(id="cw-x1", role=Role.CASEWORKER, name="Geheime Naam",
                     email="geen-adres-geheim")
    assert "geen-adres-geheim" not in str(caught.value)


# ---------------------------------------------------------------- the message


def test_build_message_is_multipart_with_a_deterministic_message_id() -> None:
    sample = next(s for s in h.SAMPLES if s.template == "withdrawn")
    mail = render(sample.template, sample.context, sample.recipient, sample.contact)
    key = f"okot-{h.CASE_ID}:7:withdrawn:mediator:{h.MEDIATOR.id}"
    message = build_message(mail, "okot-flow@ocmw-gent.example", h.MEDIATOR, key,
                            reply_to=h.CASEWORKER)
    again = build_message(mail, "okot-flow@ocmw-gent.example", h.MEDIATOR, key)
    other = build_message(mail, "okot-flow@ocmw-gent.example", h.MEDIATOR, key + "x")

    assert message["Message-ID"] == again["Message-ID"] == message_id_for(key)
    assert re.fullmatch(r"<[0-9a-f]{32}@okot-flow>", message["Message-ID"])
    assert other["Message-ID"] != message["Message-ID"]
    assert key not in message.as_string()  # the key itself (case id, staff ids) stays inside

    parsed = message_from_bytes(bytes(message), policy=policy.default)
    assert parsed["To"].addresses[0].addr_spec == h.MEDIATOR.email
    assert parsed["To"].addresses[0].display_name == h.MEDIATOR.name
    assert parsed["Reply-To"].addresses[0].addr_spec == h.CASEWORKER.email
    assert parsed["Subject"] == mail.subject
    assert "vóór" in parsed["Subject"]
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed.get_content_type() == "multipart/alternative"
    text, html = h.bodies(parsed)  # type: ignore[arg-type]
    assert text == mail.text and html == mail.html


def test_invalid_address_is_a_permanent_error_without_the_address() -> None:
    broken = h.MEDIATOR.model_construct(**{**h.MEDIATOR.model_dump(), "email": "bart@@x"})
    mail = RenderedMail(template="withdrawn", subject="s", text="t\n", html="<p>h</p>\n")
    with pytest.raises(PermanentDeliveryError) as caught:
        build_message(mail, "okot-flow@ocmw-gent.example", broken, "k")
    assert "bart" not in str(caught.value) and "@" not in str(caught.value)


# ------------------------------------------------------- people of a notice


def _notice(role: Role, to: str, template: str, **extra: object) -> Notice:
    return Notice(role=role, to=to, template=template, key="k",
                  context={**h.BASE_CONTEXT, **extra})  # type: ignore[dict-item]


def test_contact_and_recipient_resolution() -> None:
    cases = [
        (_notice(Role.MEDIATOR, h.MEDIATOR.id, "agreement_given", contact=h.NEW_CASEWORKER.id),
         h.MEDIATOR, h.NEW_CASEWORKER),
        (_notice(Role.CASEWORKER, h.NEW_CASEWORKER.id, "reassigned_to", previous=h.CASEWORKER.id),
         h.NEW_CASEWORKER, h.CASEWORKER),
        (_notice(Role.CASEWORKER, h.CASEWORKER.id, "reassigned_from",
                 successor=h.NEW_CASEWORKER.id), h.CASEWORKER, h.NEW_CASEWORKER),
        (_notice(Role.TEAMLEAD, h.CASEWORKER.id, "agreement_escalation"), h.TEAMLEAD, h.CASEWORKER),
        (_notice(Role.CASEWORKER, h.CASEWORKER.id, "agreement_reminder"), h.CASEWORKER, h.MEDIATOR),
        (_notice(Role.MEDIATOR, h.MEDIATOR.id, "screening_reminder"), h.MEDIATOR, h.CASEWORKER),
        (_notice(Role.CASEWORKER, h.CASEWORKER.id, "orientation_reminder", mediator=None),
         h.CASEWORKER, None),
    ]
    for notice, recipient, contact in cases:
        assert resolve_people(notice, h.lookup) == (recipient, contact), notice.template
        assert contact_id_for(notice) == (contact.id if contact else None)


def test_unresolvable_people_are_permanent_errors_without_personal_data() -> None:
    nobody = _notice(Role.CASEWORKER, "cw-gone", "agreement_reminder")
    no_contact = _notice(Role.MEDIATOR, h.MEDIATOR.id, "agreement_given", contact="cw-gone")
    leaderless = h.CASEWORKER.model_copy(update={"teamlead": None})
    escalation = _notice(Role.TEAMLEAD, h.CASEWORKER.id, "handover_escalation")
    def invalid_entry(staff_id: str) -> StaffContact:
        return StaffContact(id=staff_id, role=Role.CASEWORKER, name="Geheime Naam",
                            email="geen adres")

    for notice, lookup in [
        (nobody, h.lookup),
        (nobody, invalid_entry),
        (no_contact, h.lookup),
        (escalation, lambda i: leaderless if i == h.CASEWORKER.id else h.lookup(i)),
    ]:
        with pytest.raises(PermanentDeliveryError) as caught:
            resolve_people(notice, lookup)
        assert "@" not in str(caught.value)
        assert not any(p in str(caught.value) for p in h.personal_data())


# ------------------------------------------- real notices from the real journey


def test_every_notice_of_a_real_journey_renders() -> None:
    """Drive okot.domain.journey through a trajectory and render every notice it emits."""
    t0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    cw = Actor(role=Role.CASEWORKER, id=h.CASEWORKER.id)
    tl = Actor(role=Role.TEAMLEAD, id=h.TEAMLEAD.id)
    status = journey.open_trajectory(
        OpenTrajectory(case_id=h.CASE_ID, ocmw="gent", caseworker=h.CASEWORKER.id,
                       teamlead=h.TEAMLEAD.id, registered_jobseeker=False), t0)
    notices: list[Notice] = []

    def step(message: object, now: datetime) -> None:
        nonlocal status
        decision = journey.decide(status, message, now)  # type: ignore[arg-type]
        assert isinstance(decision, Accepted), decision
        status = decision.status
        notices.extend(decision.notices)

    step(RecordPrecheck(actor=cw, conditions_met=True, twe_active=False,
                        study_level=StudyLevel.GRADUAAT), t0)
    step(SubmitCandidacy(actor=cw, programme="Verpleegkunde", study_level=StudyLevel.GRADUAAT,
                         school="HBO5 Verpleegkunde Gent", channel=CandidacyChannel.TRAINING_GUIDE,
                         mediator=h.MEDIATOR.id), t0 + timedelta(hours=1))
    late = deadlines.fire_deadlines(status, t0 + timedelta(days=30))
    assert late is not None
    status = late.status
    notices.extend(late.notices)
    step(GiveAgreement(actor=cw), t0 + timedelta(days=31))
    failed = journey.registration_failed(status, "VDAB answered HTTP 503", t0 + timedelta(days=31))
    notices.extend(failed.notices)
    done = journey.registration_succeeded(failed.status, "VDAB-00000001", t0 + timedelta(days=32))
    status = done.status
    notices.extend(done.notices)
    notices.extend(journey.notification_failed(status, "agreement_given", t0).notices)
    step(Reassign(actor=tl, caseworker=h.NEW_CASEWORKER.id, mediator=h.NEW_MEDIATOR.id),
         t0 + timedelta(days=33))
    step(Withdraw(actor=Actor(role=Role.CASEWORKER, id=h.NEW_CASEWORKER.id), reason="verhuist"),
         t0 + timedelta(days=34))

    templates = {n.template for n in notices}
    assert {"candidacy_submitted", "agreement_given", "registered", "registration_failed",
            "notification_failed", "reassigned_to", "reassigned_from", "withdrawn"} <= templates
    assert templates & {"agreement_reminder", "agreement_escalation"}
    for notice in notices:
        recipient, contact = resolve_people(notice, h.lookup)
        mail = render(notice.template, notice.context, recipient, contact)
        assert mail.text.startswith(f"Beste {first_name(recipient)},")
        assert_complete(mail.text)
        assert not WIRE_CODE.findall(mail.subject + prose(mail.text)), notice.template
        message = build_message(mail, "okot-flow@ocmw-gent.example", recipient, notice.key)
        assert message["Message-ID"] == message_id_for(notice.key)
        if notice.role is Role.TEAMLEAD:
            assert recipient == h.TEAMLEAD
    agreement = next(n for n in notices if n.template == "agreement_given")
    recipient, contact = resolve_people(agreement, h.lookup)
    assert (recipient, contact) == (h.MEDIATOR, h.CASEWORKER)


# ------------------------------------------------ who signs, and what to do exactly


def signature(mail: RenderedMail) -> str:
    return mail.text.split("Met vriendelijke groeten,\n")[1].splitlines()[0]


@pytest.mark.parametrize("sample", h.SAMPLES, ids=lambda s: s.id)
def test_signature_names_who_the_news_comes_from(sample: h.Sample) -> None:
    mail = render(sample.template, sample.context, sample.recipient, sample.contact)
    signed = signature(mail)
    if sample.template in ("screening_result", "start_postponed", "training_started",
                           "training_ended"):
        # News of what a VDAB mediator did: never signed by the recipient's own OCMW.
        assert signed == "VDAB – OKOT-opvolging (verstuurd via okot-flow)"
    elif sample.template in ("agreement_given", "agreement_declined", "withdrawn", "stop_reported"):
        assert signed == "OCMW Gent – OKOT-opvolging"
    else:
        assert signed == "okot-flow – de OKOT-opvolging van OCMW Gent en VDAB"
    assert signed in mail.html


@pytest.mark.parametrize("sample", h.SAMPLES, ids=lambda s: s.id)
def test_a_mail_that_asks_to_register_says_exactly_how(sample: h.Sample) -> None:
    mail = render(sample.template, sample.context, sample.recipient, sample.contact)
    lines = commands(mail.text)
    asks = re.search(r"[Rr]egistre(er|ren)\b", prose(mail.text)) is not None
    if asks or sample.template == "reassigned_to":
        assert lines, f"{sample.template} asks for an action but gives no command"
    for line in lines:
        assert line.startswith("okot ") and f" {h.CASE_ID}" in line
        role, staff = sample.recipient.role.value, sample.recipient.id
        if "--as" in line:
            assert line.endswith(f"--as {role}:{staff}")
        assert f"<code>{line}</code>" in mail.html.replace("&#34;", '"')
    # A team lead copied on an escalation is not told to send a caseworker's message.
    if sample.recipient.role is Role.TEAMLEAD and lines:
        assert lines == [f"okot status {h.CASE_ID}"]


@pytest.mark.parametrize(
    ("template", "recipient", "expected"),
    [
        ("registered", h.CASEWORKER,
         "okot confirm-handover GENT-2025-0042 --date JJJJ-MM-DD --channel phone "
         "--as caseworker:cw-anna"),
        ("candidacy_submitted", h.CASEWORKER, "okot give-agreement GENT-2025-0042 "
         "--as caseworker:cw-anna"),
        ("end_reminder", h.MEDIATOR,
         "okot record-end GENT-2025-0042 --result passed --date JJJJ-MM-DD "
         "--as mediator:med-bart"),
    ],
)
def test_commands_are_the_real_cli(template: str, recipient: StaffContact, expected: str) -> None:
    sample = next(s for s in h.SAMPLES if s.template == template and s.recipient == recipient)
    mail = render(template, sample.context, recipient, sample.contact)
    assert expected in commands(mail.text)
    # The command parses: its name is a real `okot` command with these options.
    from typer.main import get_command

    from okot.cli.app import app

    name, _case, *options = expected.split()[1:]
    command = get_command(app).get_command(None, name)  # type: ignore[attr-defined]
    assert command is not None
    known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    assert {o for o in options if o.startswith("--")} <= known

"""The Dutch words of the web app: stages, messages, fields, codes and form errors."""

from __future__ import annotations

from typing import Any

STAGES = {
    "orientation": "Oriëntatie",
    "awaiting_agreement": "Wacht op formeel akkoord",
    "registering": "Inschrijving als werkzoekende",
    "handover": "Warme overdracht",
    "screening": "Intake en screening",
    "awaiting_start": "Wacht op de start",
    "in_training": "In opleiding",
    "follow_up": "Begeleiding naar werk",
    "closed": "Afgesloten",
}

MESSAGES = {
    "record_info": "Infosessie of gesprek registreren",
    "record_precheck": "Instapvoorwaarden gecontroleerd",
    "submit_candidacy": "Kandidatuur indienen",
    "give_agreement": "Formeel akkoord geven",
    "decline_agreement": "Formeel akkoord weigeren",
    "confirm_handover": "Warme overdracht bevestigen",
    "schedule_intake": "Intake plannen",
    "record_screening": "Screeningsresultaat registreren",
    "postpone_start": "Start uitstellen",
    "confirm_start": "Start bevestigen",
    "record_progress": "Voortgang registreren",
    "report_stopped": "Melden dat de cliënt gestopt is",
    "record_end": "Einde van de opleiding registreren",
    "agree_follow_up": "Begeleiding naar werk afspreken",
    "record_employment": "Tewerkstelling registreren",
    "withdraw": "Traject stopzetten",
    "reassign": "Dossier overdragen",
    "opened": "Dossier geopend",
    "registered": "Ingeschreven als werkzoekende",
    "registration_failed": "Inschrijving als werkzoekende mislukt",
    "deadline": "Herinnering of escalatie",
    "cancelled": "Geannuleerd",
    "notification_failed": "Melding niet afgeleverd",
}

FIELDS = {
    "date": "Datum",
    "channel": "Kanaal",
    "conditions_met": "Instapvoorwaarden voldaan",
    "twe_active": "Actieve TWE",
    "study_level": "Studieniveau",
    "notes": "Notities",
    "programme": "Opleiding",
    "school": "School",
    "mediator": "VDAB-bemiddelaar (personeels-id)",
    "contact": "Contactpersoon voor VDAB (personeels-id, leeg: uzelf)",
    "reason": "Reden",
    "approved": "Goedgekeurd",
    "reasons": "Redenen van afwijzing",
    "start_date": "Vermoedelijke startdatum",
    "location": "Locatie",
    "expected_end": "Verwachte einddatum",
    "note": "Notitie",
    "result": "Resultaat",
    "lead": "Wie begeleidt naar werk",
    "plan": "Plan",
    "employed": "Aan het werk",
    "caseworker": "Nieuwe maatschappelijk assistent (personeels-id)",
    "case_id": "Dossiernummer",
    "ocmw": "OCMW",
    "registered_jobseeker": "Al ingeschreven als werkzoekende",
    "opened_on": "Dossier geopend op (leeg: vandaag)",
}

CODES = {
    "info_session": "infosessie", "mediator_talk": "gesprek met de bemiddelaar",
    "secondary": "secundair", "se_n_se": "secundair-na-secundair", "graduaat": "graduaat (HBO5)",
    "bachelor": "bachelor", "training_guide": "opleidingengids", "mediator": "bemiddelaar",
    "phone": "telefoon", "meeting": "gesprek", "email": "e-mail",
    "motivation": "motivatie", "preconditions_financial": "randvoorwaarden: financieel",
    "preconditions_mobility": "randvoorwaarden: mobiliteit",
    "preconditions_childcare": "randvoorwaarden: kinderopvang", "fit": "aansluiting bij werk",
    "learning_ability": "leervermogen", "other": "andere",
    "passed": "geslaagd", "not_passed": "niet geslaagd", "stopped_early": "vroegtijdig gestopt",
    "vdab": "VDAB", "ocmw": "OCMW",
    "caseworker": "maatschappelijk assistent", "teamlead": "teamverantwoordelijke",
    "system": "systeem",
}

AWAITED = {
    "orientation_reminder": "kandidatuur (na een positieve controle) van de maatschappelijk assistent",
    "orientation_escalation": "kandidatuur van de maatschappelijk assistent",
    "agreement_reminder": "formeel akkoord van de maatschappelijk assistent",
    "agreement_escalation": "formeel akkoord van de maatschappelijk assistent",
    "registration_retry": "inschrijving als werkzoekende (automatisch)",
    "handover_reminder": "warme overdracht door de maatschappelijk assistent",
    "handover_escalation": "warme overdracht door de maatschappelijk assistent",
    "screening_reminder": "screeningsresultaat van de VDAB-bemiddelaar",
    "screening_escalation": "screeningsresultaat van de VDAB-bemiddelaar",
    "start_reminder": "bevestiging van de start door de VDAB-bemiddelaar",
    "progress_check": "voortgangscontrole in het Klantendossier door de maatschappelijk assistent",
    "end_reminder": "einde van de opleiding van de VDAB-bemiddelaar",
    "follow_up_reminder": "afspraak over de begeleiding naar werk",
    "employment_check_6m": "tewerkstelling na 6 maanden van de maatschappelijk assistent",
    "employment_check_12m": "tewerkstelling na 12 maanden van de maatschappelijk assistent",
    "follow_up_close": "tewerkstelling na 12 maanden (daarna sluit het dossier)",
}

ROLES = {"caseworker": "maatschappelijk assistent", "mediator": "VDAB-bemiddelaar",
         "teamlead": "teamverantwoordelijke", "operations": "beheerder", "system": "systeem"}

OVERDUE_WHAT = {
    "orientation_reminder": "kandidatuur", "orientation_escalation": "kandidatuur",
    "agreement_reminder": "formeel akkoord", "agreement_escalation": "formeel akkoord",
    "registration_retry": "inschrijving als werkzoekende",
    "handover_reminder": "warme overdracht", "handover_escalation": "warme overdracht",
    "screening_reminder": "screeningsresultaat", "screening_escalation": "screeningsresultaat",
    "start_reminder": "bevestiging van de start", "progress_check": "voortgangscontrole",
    "end_reminder": "einde van de opleiding",
    "follow_up_reminder": "afspraak over de begeleiding naar werk",
    "employment_check_6m": "tewerkstelling na 6 maanden",
    "employment_check_12m": "tewerkstelling na 12 maanden",
    "follow_up_close": "tewerkstelling na 12 maanden",
}
"""What an overdue deadline awaited (okot.domain.overdue.WHAT in Dutch)."""


def overdue_line(detail: Any) -> str:
    """``screeningsresultaat, verwacht sinds 02-11-2026 van de VDAB-bemiddelaar med-carl``
    (an :class:`~okot.domain.status.OverdueDetail`; empty for none)."""
    if detail is None:
        return ""
    kind = str(getattr(detail.kind, "value", detail.kind))
    who = " en ".join(
        f"de {ROLES.get(p.role.value, p.role.value)}" + (f" {p.id}" if p.id else "")
        for p in detail.awaited_from
    ) or "niemand (automatisch)"
    return (f"{OVERDUE_WHAT.get(kind, kind)}, verwacht sinds {detail.since:%d-%m-%Y} "
            f"van {who}")


def awaited(kind: Any) -> str:
    key = str(getattr(kind, "value", kind)) if kind is not None else ""
    return AWAITED.get(key, "niets")


def stage(value: Any) -> str:
    key = getattr(value, "value", value)
    return STAGES.get(str(key), str(key))


def message(value: str) -> str:
    return MESSAGES.get(value, value)


def code(value: Any) -> str:
    key = str(getattr(value, "value", value))
    return CODES.get(key, key)


def field_error(error: dict[str, Any]) -> str:
    """One pydantic error in Dutch."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in ("missing", "string_too_short"):
        return "Dit veld is verplicht."
    if kind.startswith("date"):
        return "Geef een geldige datum (JJJJ-MM-DD)."
    if kind.startswith("bool"):
        return "Kies ja of nee."
    if kind == "enum":
        return "Kies een van de mogelijkheden."
    if kind == "string_too_long":
        return f"Te lang: hoogstens {ctx.get('max_length', '?')} tekens."
    if kind == "extra_forbidden":
        return "Dit veld hoort niet bij dit formulier."
    text = str(error.get("msg", "")).replace("Value error, ", "")
    if "approved screening needs" in text:
        return "Een goedgekeurde screening heeft een vermoedelijke startdatum en locatie nodig."
    if "rejected screening needs" in text:
        return "Een afgewezen screening heeft minstens één reden nodig."
    if "expected_end" in text:
        return "De verwachte einddatum moet na de startdatum liggen (hoogstens 4 jaar)."
    if "reassign needs" in text:
        return "Geef een nieuwe maatschappelijk assistent en/of bemiddelaar."
    return f"Ongeldig: {text}"


def refusal(reason: str) -> str:
    """A refusal of the rules, in Dutch, with the rule's own one-line reason after it."""
    return f"Dit kan nu niet: {reason}"

"""The Jinja filters that put a notice's wire values into Dutch for the mail templates.

A notice's context carries codes and ISO dates (``2025-03-03``,
``se_n_se``, ``stopped_early``); the templates show them through these
filters (``{{ start_date | datum }}`` -> ``3 maart 2025``). :data:`FILTERS`
is what :mod:`okot.mail.render` installs in its Jinja environments;
:data:`TEMPLATE_TITLES` says in Dutch what each template is (the
``sjabloon`` filter, used when a mail about a mail is sent).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Final

from okot.mail.actions import Step, actions_for

TEMPLATE_TITLES: Final[Mapping[str, str]] = {
    "candidacy_submitted": "de melding van een nieuwe kandidaatstelling",
    "agreement_given": "het formeel akkoord aan de VDAB-bemiddelaar",
    "agreement_declined": "de melding dat er geen formeel akkoord komt",
    "registered": "de bevestiging van de inschrijving als werkzoekende",
    "registration_failed": "de melding van een mislukte inschrijving als werkzoekende",
    "screening_result": "het resultaat van de screening",
    "start_postponed": "de melding van een uitgestelde startdatum",
    "training_started": "de melding van de start van de opleiding",
    "stop_reported": "de melding dat de cliënt tijdens de opleiding gestopt is",
    "training_ended": "het resultaat van de opleiding",
    "withdrawn": "de melding dat de cliënt stopt vóór de start",
    "reassigned_to": "de melding van een nieuwe toewijzing",
    "reassigned_from": "de melding van een overdracht",
    "follow_up_agreed": "de melding van een afspraak over de begeleiding naar werk",
    "follow_up_confirmed": "de bevestiging van de afspraak over de begeleiding naar werk",
    "follow_up_closed": "de melding van de afsluiting na de nazorg",
    "notification_failed": "een melding van een niet-afgeleverd bericht",
    "orientation_reminder": "een herinnering over de kandidaatstelling",
    "orientation_escalation": "een escalatie over de kandidaatstelling",
    "agreement_reminder": "een herinnering over het formeel akkoord",
    "agreement_escalation": "een escalatie over het formeel akkoord",
    "handover_reminder": "een herinnering over de warme overdracht",
    "handover_escalation": "een escalatie over de warme overdracht",
    "screening_reminder": "een herinnering over het resultaat van de screening",
    "screening_escalation": "een escalatie over het resultaat van de screening",
    "start_reminder": "een herinnering over de start van de opleiding",
    "progress_check": "een herinnering om de voortgang na te kijken",
    "end_reminder": "een herinnering over het resultaat van de opleiding",
    "follow_up_reminder": "een herinnering over de begeleiding naar werk",
    "employment_check_6m": "de opvolging van de werksituatie na 6 maanden",
    "employment_check_12m": "de opvolging van de werksituatie na 12 maanden",
}
"""What each template is, in Dutch (used when a mail about a mail is sent)."""


_MONTHS: Final = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)
_STUDY_LEVELS: Final[Mapping[str, str]] = {
    "secondary": "secundair onderwijs",
    "se_n_se": "secundair-na-secundair (Se-n-Se)",
    "graduaat": "graduaat (HBO5)",
    "bachelor": "bachelor",
}
_RESULTS: Final[Mapping[str, str]] = {
    "passed": "geslaagd",
    "not_passed": "niet geslaagd",
    "stopped_early": "vroegtijdig stopgezet door VDAB",
}
_REASONS: Final[Mapping[str, str]] = {
    "motivation": "motivatie",
    "preconditions_financial": "randvoorwaarden: financiële situatie",
    "preconditions_mobility": "randvoorwaarden: mobiliteit",
    "preconditions_childcare": "randvoorwaarden: kinderopvang",
    "fit": "de opleiding past (nu) niet in het traject naar werk",
    "learning_ability": "leervermogen",
    "other": "andere reden (de VDAB-bemiddelaar licht die graag toe)",
}
_STAGES: Final[Mapping[str, str]] = {
    "orientation": "oriëntatie",
    "awaiting_agreement": "wacht op formeel akkoord",
    "registering": "inschrijving als werkzoekende",
    "handover": "warme overdracht",
    "screening": "intake en screening bij VDAB",
    "awaiting_start": "wacht op de start van de opleiding",
    "in_training": "in opleiding",
    "follow_up": "nazorg en begeleiding naar werk",
    "closed": "afgesloten",
}
_ROLES: Final[Mapping[str, str]] = {
    "caseworker": "maatschappelijk assistent / arbeidstrajectbegeleider (MA/ATB)",
    "mediator": "VDAB-bemiddelaar",
    "teamlead": "teamverantwoordelijke",
    "system": "okot-flow",
}
_CHANNELS: Final[Mapping[str, str]] = {
    "training_guide": "via de opleidingengids",
    "mediator": "via de VDAB-bemiddelaar",
}


def _datum(value: object) -> str:
    """``2025-03-03`` -> ``3 maart 2025``; anything unparsable is shown as is."""
    if value is None or value == "":
        return "onbekend"
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _lookup(table: Mapping[str, str], fallback: str) -> Callable[[object], str]:
    def translate(value: object) -> str:
        if value is None or value == "":
            return fallback
        key = str(getattr(value, "value", value))
        return table.get(key, key)

    return translate


def _redenen(value: object) -> list[str]:
    """Comma-separated screening reason codes -> Dutch phrases, in order."""
    if not value:
        return []
    codes = [c.strip() for c in str(value).split(",") if c.strip()]
    return [_REASONS.get(c, f"andere reden ({c})") for c in codes]


def _ocmw_naam(value: object) -> str:
    """An OCMW code (``sint-niklaas``) as people write it (``OCMW Sint-Niklaas``)."""
    if not value:
        return "het OCMW"
    parts = re.split(r"([-_])", str(value))
    words = "".join(
        "-" if p in "-_" else (p if p.isupper() else p.capitalize()) for p in parts
    )
    return f"OCMW {words}"


def _sjabloon(value: object) -> str:
    key = str(value or "")
    return TEMPLATE_TITLES.get(key, "een bericht")


VDAB_TEMPLATES: Final = frozenset({
    "screening_result", "start_postponed", "training_started", "training_ended",
})
"""Notices of something a VDAB mediator did: signed as VDAB, never as the OCMW."""
OCMW_TEMPLATES: Final = frozenset({"agreement_given", "agreement_declined", "withdrawn",
                                   "stop_reported"})
"""Notices of something the OCMW did, to the VDAB mediator: signed by the OCMW."""


def _afzender(template: object, ocmw: object) -> str:
    """The signature: who the news comes from (the rest is okot-flow itself)."""
    if template in VDAB_TEMPLATES:
        return "VDAB – OKOT-opvolging (verstuurd via okot-flow)"
    if template in OCMW_TEMPLATES:
        return f"{_ocmw_naam(ocmw)} – OKOT-opvolging"
    return f"okot-flow – de OKOT-opvolging van {_ocmw_naam(ocmw)} en VDAB"


def _voornaam(value: object) -> str:
    """``Anna Peeters`` -> ``Anna`` (the directory holds the full name, first name first)."""
    words = str(value or "").split()
    return words[0] if words else "collega"


def _acties(template: object, case_id: object, recipient: Any) -> list[Step]:
    return actions_for(str(template), str(case_id), str(getattr(recipient.role, "value",
                                                                 recipient.role)),
                       str(recipient.id))


def _hoofdletter(value: object) -> str:
    """First letter upper case, the rest untouched (unlike jinja's ``capitalize``)."""
    text = str(value)
    return text[:1].upper() + text[1:]


FILTERS: Final[Mapping[str, Callable[..., Any]]] = {
    "hoofdletter": _hoofdletter,
    "datum": _datum,
    "niveau": _lookup(_STUDY_LEVELS, "nog niet bepaald"),
    "resultaat": _lookup(_RESULTS, "onbekend"),
    "redenen": _redenen,
    "fase": _lookup(_STAGES, "onbekend"),
    "rol": _lookup(_ROLES, "medewerker"),
    "kanaal": _lookup(_CHANNELS, ""),
    "ocmw_naam": _ocmw_naam,
    "sjabloon": _sjabloon,
    "voornaam": _voornaam,
    "afzender": _afzender,
    "acties": _acties,
}

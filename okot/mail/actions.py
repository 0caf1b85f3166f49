"""What a mail asks its recipient to do, and exactly how (a table of data).

Every mail that asks for an action ends with the ``okot`` command that does it,
filled in with the case id and the recipient's own ``--as ROLE:ID``
(:func:`actions_for`, the ``acties`` filter of the templates). A recipient
whose role cannot send the message (a team lead copied on an escalation) gets
``okot status CASE`` instead. The web application's link goes next to the
commands (see ``_layout.j2``: the place is marked there).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Action:
    what: str
    """What it does, in Dutch (``Geef je akkoord``)."""
    command: str
    """The ``okot`` subcommand and its options, without case id and ``--as``."""
    roles: frozenset[str] = frozenset({"caseworker"})
    """Who may send it."""


@dataclass(frozen=True)
class Step:
    what: str
    line: str
    """The whole command line to type."""


CW: Final = frozenset({"caseworker"})
MED: Final = frozenset({"mediator"})
BOTH: Final = frozenset({"caseworker", "mediator"})

_AGREEMENT: Final = (
    Action("Geef je formeel akkoord (jij bent de contactpersoon; een collega: --contact ID)",
           "give-agreement"),
    Action("Of registreer dat er geen akkoord komt", 'decline-agreement --reason "korte reden"'),
)
_HANDOVER: Final = (
    Action("Registreer de warme overdracht (--channel phone, meeting of email)",
           "confirm-handover --date JJJJ-MM-DD --channel phone"),
)
_ORIENTATION: Final = (
    Action("Registreer de check van de instapvoorwaarden",
           "record-precheck --conditions-met --no-twe-active --study-level bachelor"),
    Action("Registreer de kandidaatstelling",
           'submit-candidacy --programme "opleiding" --study-level bachelor --school "school" '
           "--channel training_guide --mediator ID-VAN-DE-BEMIDDELAAR", BOTH),
)
_SCREENING: Final = (
    Action("Screening positief",
           'record-screening --approved --start-date JJJJ-MM-DD --location "locatie"', MED),
    Action("Screening negatief (--reason: motivation, preconditions_financial, "
           "preconditions_mobility, preconditions_childcare, fit, learning_ability, other)",
           "record-screening --no-approved --reason motivation", MED),
)
_FOLLOW_UP: Final = (
    Action("Registreer wie de begeleiding naar werk opneemt (--lead vdab of ocmw)",
           'agree-follow-up --lead vdab --plan "korte afspraak"', BOTH),
)
_EMPLOYMENT: Final = (
    Action("Registreer de werksituatie (niet aan het werk: --no-employed)",
           "record-employment --employed --date JJJJ-MM-DD", BOTH),
)

ACTIONS: Final[Mapping[str, tuple[Action, ...]]] = {
    "candidacy_submitted": _AGREEMENT,
    "agreement_reminder": _AGREEMENT,
    "agreement_escalation": _AGREEMENT,
    "registered": _HANDOVER,
    "handover_reminder": _HANDOVER,
    "handover_escalation": _HANDOVER,
    "orientation_reminder": _ORIENTATION,
    "orientation_escalation": _ORIENTATION,
    "screening_reminder": _SCREENING,
    "screening_escalation": _SCREENING,
    "start_reminder": (
        Action("Registreer de start",
               'confirm-start --date JJJJ-MM-DD --location "locatie" --expected-end JJJJ-MM-DD',
               MED),
        Action("Of registreer de nieuwe startdatum", "postpone-start --start-date JJJJ-MM-DD",
               MED),
    ),
    "progress_check": (
        Action("Registreer je opvolging", 'record-progress --date JJJJ-MM-DD --note "korte notitie"',
               BOTH),
    ),
    "end_reminder": (
        Action("Registreer het resultaat (--result passed, not_passed of stopped_early)",
               "record-end --result passed --date JJJJ-MM-DD", MED),
    ),
    "stop_reported": (
        Action("Bevestig de stopzetting: registreer het einde van de opleiding",
               "record-end --result stopped_early --date JJJJ-MM-DD", MED),
    ),
    "training_ended": _FOLLOW_UP,
    "follow_up_agreed": (
        Action("Bevestig de afspraak: registreer dezelfde (--lead vdab of ocmw), of een andere",
               'agree-follow-up --lead vdab --plan "korte afspraak"', BOTH),
    ),
    "follow_up_reminder": _FOLLOW_UP,
    "employment_check_6m": _EMPLOYMENT,
    "employment_check_12m": _EMPLOYMENT,
    "reassigned_to": (
        Action("Bekijk de stand van zaken", "status", frozenset()),
        Action("Bekijk de tijdlijn", "timeline", frozenset()),
    ),
}
"""Per template: the actions it asks for. ``roles`` empty: a command anyone may run."""


def actions_for(template: str, case_id: str, role: str, staff_id: str) -> list[Step]:
    """The command lines for a recipient of ``template`` (empty: the mail asks nothing)."""
    actions = ACTIONS.get(template, ())
    if not actions:
        return []
    steps = []
    for action in actions:
        if not action.roles:
            steps.append(Step(action.what, f"okot {action.command} {case_id}"))
        elif role in action.roles:
            name, _, options = action.command.partition(" ")
            tail = f" {options}" if options else ""
            steps.append(Step(action.what, f"okot {name} {case_id}{tail} --as {role}:{staff_id}"))
    if not steps:  # e.g. a team lead copied on an escalation
        steps.append(Step("Bekijk de stand van zaken", f"okot status {case_id}"))
    return steps

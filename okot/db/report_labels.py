"""Dutch labels of the management report (a table of data): codes -> what a manager reads."""

from __future__ import annotations

STAGES = {
    "orientation": "Oriëntatie",
    "awaiting_agreement": "Wacht op akkoord",
    "registering": "Inschrijving bij VDAB",
    "handover": "Warme overdracht",
    "screening": "Intake en screening",
    "awaiting_start": "Wacht op start",
    "in_training": "In opleiding",
    "follow_up": "Nazorg naar werk",
    "closed": "Afgesloten",
}
CLOSURES = {
    "ineligible": "Niet in aanmerking (pre-check negatief)",
    "agreement_declined": "Geen akkoord",
    "screening_rejected": "Screening negatief",
    "withdrawn": "Stopgezet door het OCMW",
    "completed": "Afgerond",
    "cancelled": "Geannuleerd",
}
RESULTS = {
    "passed": "Geslaagd",
    "not_passed": "Niet geslaagd",
    "stopped_early": "Voortijdig gestopt",
}
STUDY_LEVELS = {
    "secondary": "Secundair onderwijs",
    "se_n_se": "Se-n-Se",
    "graduaat": "Graduaat",
    "bachelor": "Bachelor",
}
SCREENING_REASONS = {
    "motivation": "Motivatie",
    "preconditions_financial": "Randvoorwaarden: financieel",
    "preconditions_mobility": "Randvoorwaarden: mobiliteit",
    "preconditions_childcare": "Randvoorwaarden: kinderopvang",
    "fit": "Past niet bij de opleiding",
    "learning_ability": "Leerbaarheid",
    "other": "Andere reden",
}
FUNNEL_STEPS = {
    "opened": "Dossier geopend",
    "info": "Info",
    "candidacy": "Kandidatuur",
    "agreement": "Akkoord",
    "screening": "Screening",
    "start": "Start opleiding",
    "result": "Resultaat",
    "work": "Werk",
}
FOLLOW_UP_LEADS = {"vdab": "VDAB", "ocmw": "OCMW"}
EMPLOYMENT = {
    "employed": "Aan het werk",
    "not_employed": "Niet aan het werk",
    "not_recorded": "Niet geregistreerd",
}
TRAINING_YEARS = {1: "1e opleidingsjaar", 2: "2e opleidingsjaar", 3: "3e opleidingsjaar"}

TITLES = {
    "funnel": "Trechter: trajecten die elke stap bereikten",
    "funnel_by_month": "Trechter per maand van opening",
    "stages": "Huidige fase",
    "closures": "Afgesloten trajecten per reden",
    "rejections": "Afwijzingen en afhakers",
    "results": "Resultaat van de opleiding",
    "results_by_programme": "Resultaat per opleiding",
    "results_by_level": "Resultaat per studieniveau",
    "time_in_stage": "Tijd per fase (werkdagen)",
    "dropout": "Voortijdig gestopt per opleidingsjaar",
    "follow_up_lead": "Trekker van de nazorg",
    "employment": "Werk na de opleiding (opleidingen die eindigden)",
}

COUNT = "Aantal"
MONTH = "Maand van opening"
STEP = "Stap"
STAGE = "Fase"
VISITS = "Verblijven"
MEDIAN = "Mediaan"
P90 = "P90"
AFTER_6M = "Na 6 maanden"
AFTER_12M = "Na 12 maanden"
PROGRAMME = "Opleiding"
STUDY_LEVEL = "Studieniveau"
REASON = "Reden"
RESULT = "Resultaat"
TRAINING_YEAR = "Opleidingsjaar"
LEAD = "Trekker"
SITUATION = "Situatie"
SCREENING_REJECTED_ALL = "Screening negatief (alle)"
SCREENING_REASON_PREFIX = "Screening negatief, reden: "
DECLINED = "Geen akkoord (decline-agreement)"
WITHDRAWN = "Stopgezet (withdraw)"

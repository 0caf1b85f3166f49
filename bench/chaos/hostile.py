"""Random and hostile Update and Signal payloads, and what a clear answer to one is.

:func:`hostile` takes a valid payload of a random message (as the trajectory's own
caseworker, mediator, team lead or operations would send it) and spoils it: wrong
types, no actor, unknown roles, strings of a megabyte, unicode of every kind, dates
far out of range, extra fields (plain, odd or a megabyte long), national register
numbers in free text, control characters, no or several arguments; a few stay valid.
Each payload lists the strings it made up (:attr:`Payload.marks`): a reason must
never repeat one (:func:`unclear`).
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bench.chaos.driving import Trajectory
from okot.domain.policy import ReminderPolicy
from okot.domain.reasons import REASON_LIMIT
from okot.domain.values import MessageName

MEGABYTE = 1_000_000
CLOSING = {MessageName.WITHDRAW, MessageName.DECLINE_AGREEMENT, MessageName.RECORD_PRECHECK,
           MessageName.RECORD_SCREENING, MessageName.RECORD_EMPLOYMENT}
"""Messages that may close the trajectory: sent only spoiled beyond doubt (a closed
workflow would refuse the rest of the flood at the server, which proves little)."""
UNICODE = ("Zoë's café ☕ naïve", "שלום עולם", "مرحبا بالعالم", "👩‍👩‍👧‍👦🏳️‍🌈", "Z̷͍̈a̶̢͝l̵̗̈g̴̰̈́o̷͚̚",
           "\u202eevil\u202c", "zero\u200bwidth\u200djoiner", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "ｆｕｌｌｗｉｄｔｈ",
           "\ufeffBOM", "ǅungla ﬁ", "日本語のテキスト", "Ελληνικά")
CONTROL = ("\x00", "\x07", "\x1b[31m", "\x7f", "\x85", "\ud7ff\x0b")
"""Refused in every text field (free text keeps tabs and line breaks, U+2028 too)."""
FAR_DATES = ("0001-01-01", "1900-01-01", "1999-12-31", "2100-01-01", "9999-12-31",
             "2026-02-30", "not a date", "2024-13-01", "+275760-09-13", "")
ROLES = ("admin", "root", "CASEWORKER", "caseworker ", "système", "", "teamlead\x00", "operations",
         "mediator", "system", "god-mode", "null")


@dataclass
class Payload:
    kind: str
    """``update`` or ``signal``."""
    name: str
    args: list[Any]
    what: str
    """Which spoiling it got."""
    marks: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(repr(self.args))


def register_number(rng: random.Random) -> str:
    """A national register number with a valid checksum, in one of the usual notations."""
    body = f"{rng.randrange(40, 99):02d}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}" \
           f"{rng.randrange(1, 998):03d}"
    digits = body + f"{97 - int(body) % 97:02d}"
    forms = (digits, f"{digits[:6]} {digits[6:9]} {digits[9:]}",
             f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}-{digits[6:9]}.{digits[9:]}")
    return rng.choice(forms)


def _token(rng: random.Random, n: int = 10) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))


def bases(t: Trajectory, day: date) -> dict[MessageName, dict[str, Any]]:
    """A valid payload of every message, as the trajectory's own people would send it."""
    cw = t.caseworker.model_dump(mode="json")
    med = t.mediator.model_dump(mode="json")
    d = day.isoformat()
    later = (day + timedelta(days=14)).isoformat()
    policy = ReminderPolicy(repeat_days=12).model_dump(mode="json")
    m = MessageName
    return {
        m.RECORD_INFO: {"actor": cw, "date": d, "channel": "info_session"},
        m.RECORD_PRECHECK: {"actor": cw, "conditions_met": True, "twe_active": False,
                            "study_level": "bachelor", "notes": "Gemotiveerd"},
        m.SUBMIT_CANDIDACY: {"actor": cw, "programme": "Informatica", "study_level": "bachelor",
                             "school": "HoGent", "channel": "mediator", "mediator": med["id"]},
        m.GIVE_AGREEMENT: {"actor": cw},
        m.DECLINE_AGREEMENT: {"actor": cw, "reason": "Client ziet af"},
        m.CONFIRM_HANDOVER: {"actor": cw, "date": d, "channel": "phone", "notes": "Goed gesprek"},
        m.SCHEDULE_INTAKE: {"actor": med, "date": later},
        m.RECORD_SCREENING: {"actor": med, "approved": True, "start_date": later,
                             "location": "Gent"},
        m.POSTPONE_START: {"actor": med, "start_date": later, "location": "Gent"},
        m.CONFIRM_START: {"actor": med, "date": d, "location": "Gent", "expected_end": later},
        m.RECORD_PROGRESS: {"actor": med, "date": d, "note": "Loopt goed"},
        m.REPORT_STOPPED: {"actor": cw, "date": d, "note": "Client meldt dat hij stopt"},
        m.RECORD_END: {"actor": med, "result": "passed", "date": d},
        m.AGREE_FOLLOW_UP: {"actor": cw, "lead": "vdab", "plan": "Solliciteren"},
        m.RECORD_EMPLOYMENT: {"actor": cw, "employed": True, "date": d},
        m.WITHDRAW: {"actor": cw, "reason": "Stopt"},
        m.REASSIGN: {"actor": {"role": "teamlead", "id": "tl-chaos"}, "mediator": med["id"]},
        m.UPDATE_POLICY: {"actor": {"role": "operations", "id": "ops-chaos"},
                          "reason": "Sneller herinneren", "policy": policy},
    }


_TEXT_FIELDS = ("notes", "note", "reason", "plan", "programme", "school", "location")
_DATE_FIELDS = ("date", "start_date", "expected_end")


def _text_field(body: dict[str, Any]) -> str:
    return next((f for f in _TEXT_FIELDS if f in body), "notes")


def _spoilers(rng: random.Random) -> dict[str, Callable[[dict[str, Any], list[str]], Any]]:
    def wrong_type(b: dict[str, Any], marks: list[str]) -> Any:
        key = rng.choice([k for k in b if k != "actor"] or ["actor"])
        b[key] = rng.choice([{"$gt": ""}, [1, 2], {"nested": {"deep": [None]}}, [], {}])
        return b

    def no_actor(b: dict[str, Any], marks: list[str]) -> Any:
        b.pop("actor", None)
        return b

    def unknown_role(b: dict[str, Any], marks: list[str]) -> Any:
        role = rng.choice(ROLES) if rng.random() < 0.5 else f"role-{_token(rng)}"
        if role.startswith("role-"):
            marks.append(role)
        b["actor"] = {"role": role, "id": b.get("actor", {}).get("id", "cw-chaos-01")}
        return b

    def megabyte(b: dict[str, Any], marks: list[str]) -> Any:
        big = _token(rng, 16) + "x" * (MEGABYTE - 16)
        marks.append(big[:40])
        where = rng.choice(("text", "actor", "name"))
        if where == "text":
            b[_text_field(b)] = big
        elif where == "actor":
            b["actor"] = {"role": "caseworker", "id": big}
        else:
            b[big] = "x"
        return b

    def unicode(b: dict[str, Any], marks: list[str]) -> Any:
        text = rng.choice(UNICODE) + " " + _token(rng)
        marks.append(text)
        b[_text_field(b)] = text
        return b

    def control(b: dict[str, Any], marks: list[str]) -> Any:
        text = f"Nota {_token(rng)}{rng.choice(CONTROL)}einde"
        marks.append(text)
        b[_text_field(b)] = text
        return b

    def far_date(b: dict[str, Any], marks: list[str]) -> Any:
        key = next((f for f in _DATE_FIELDS if f in b), "date")
        b[key] = rng.choice((*FAR_DATES, 10 ** 12, -1))
        return b

    def extra_field(b: dict[str, Any], marks: list[str]) -> Any:
        odd = rng.choice((f"extra_{_token(rng, 6)}", f"Jan Peeters {_token(rng)}",
                          register_number(rng), "__proto__", "actor.role"))
        marks.append(odd) if " " in odd or odd[0].isdigit() else None
        b[odd] = rng.choice((1, "waarde", None, {"x": [1]}))
        if rng.random() < 0.3 and isinstance(b.get("actor"), dict):
            b["actor"] = {**b["actor"], "is_admin": True}
        return b

    def register_no(b: dict[str, Any], marks: list[str]) -> Any:
        number = register_number(rng)
        marks.append(number)
        b[_text_field(b)] = f"Rijksregisternummer {number} {_token(rng, 6)}"
        return b

    return {"wrong types": wrong_type, "missing actor": no_actor, "unknown role": unknown_role,
            "1 MB string": megabyte, "unicode": unicode, "control characters": control,
            "far date": far_date, "extra fields": extra_field, "register number": register_no}


WEIGHTS = {"wrong types": 14, "missing actor": 10, "unknown role": 12, "1 MB string": 2,
           "unicode": 10, "control characters": 8, "far date": 12, "extra fields": 12,
           "register number": 10, "arguments": 5, "valid": 5}
_SAFE_FOR_CLOSING = ("wrong types", "missing actor", "unknown role", "control characters",
                     "extra fields", "register number", "arguments")


def hostile(t: Trajectory, rng: random.Random, day: date) -> Payload:
    """One random and hostile payload for ``t``."""
    name = rng.choice(list(MessageName))
    body = dict(bases(t, day)[name])
    what = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    if name in CLOSING and what not in _SAFE_FOR_CLOSING:
        what = rng.choice(_SAFE_FOR_CLOSING)
    if name in CLOSING and what == "wrong types":
        body.pop("actor")  # a coerced bool ("false") could close it: make it invalid for sure
    kind = "update" if rng.random() < 0.5 else "signal"
    marks: list[str] = []
    if what == "arguments":
        args: list[Any] = rng.choice(([], [body, body], ["just a string"], [None], [[body]], [42]))
    elif what == "valid":
        args = [body]
    else:
        args = [_spoilers(rng)[what](body, marks)]
    return Payload(kind, name.value, args, what, marks)


def unclear(reason: str, payload: Payload) -> str | None:
    """Why ``reason`` is not a clear answer to ``payload`` (None: it is one)."""
    if not reason.strip():
        return "empty reason"
    if "\n" in reason or "\r" in reason:
        return "reason over several lines"
    if len(reason) > REASON_LIMIT:
        return f"reason of {len(reason)} characters"
    for mark in payload.marks:
        if mark and mark in reason:
            return "reason repeats the input"
    return None

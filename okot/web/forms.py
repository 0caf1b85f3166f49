"""The case page's forms: one per message the caller may send, derived from the models.

Each field of a message model (except ``actor`` and ``teamlead``) becomes a
labelled form field of the right kind (the same classification as the CLI's
options); a submitted form becomes the JSON-like body of the message, and a
malformed one gives a Dutch error per field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from okot.cli.field_options import FieldOption, field_options
from okot.domain.messages import MESSAGE_TYPES
from okot.domain.values import MessageName, Role
from okot.web import texts

HIDDEN = {"teamlead"}  # filled from the staff directory, never typed


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str  # date, bool, enum, enums, text, textarea
    required: bool
    choices: tuple[tuple[str, str], ...] = ()


@dataclass
class MessageForm:
    name: MessageName
    title: str
    fields: list[FormField]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    problem: str | None = None


LONG_TEXT = frozenset({"notes", "note", "reason", "plan"})


def _kind(option: FieldOption) -> str:
    if option.kind == "text" and option.field in LONG_TEXT:
        return "textarea"
    return option.kind


def form_fields(name: MessageName, role: Role | None = None) -> list[FormField]:
    """The form fields of ``name``; a mediator reassigns the mediator only."""
    out = []
    for option in field_options(MESSAGE_TYPES[name]):
        if option.field in HIDDEN:
            continue
        if name is MessageName.REASSIGN and role is Role.MEDIATOR and option.field == "caseworker":
            continue
        choices: tuple[tuple[str, str], ...] = ()
        if option.enum is not None:
            choices = tuple((str(m.value), texts.code(m.value)) for m in option.enum)
        out.append(FormField(option.field, texts.FIELDS.get(option.field, option.field),
                             _kind(option), option.required and option.kind != "enums",
                             choices))
    return out


def empty_form(name: MessageName, role: Role | None = None) -> MessageForm:
    return MessageForm(name, texts.message(name.value), form_fields(name, role))


def body_from_form(name: MessageName, form: FormData) -> dict[str, Any]:
    """The JSON-like body of message ``name`` from a submitted form (empty fields left out)."""
    body: dict[str, Any] = {}
    for f in form_fields(name):
        if f.kind == "enums":
            values = [str(v) for v in form.getlist(f.name) if str(v)]
            if values:
                body[f.name] = values
            continue
        raw = form.get(f.name)
        value = str(raw).strip() if raw is not None else ""
        if value == "":
            continue
        if f.kind == "bool":
            body[f.name] = {"ja": True, "nee": False}.get(value, value)
        else:
            body[f.name] = value
    return body


def dutch_errors(error: ValidationError) -> tuple[dict[str, str], str | None]:
    """Per-field Dutch errors, and a form-wide one for errors of the whole message."""
    per_field: dict[str, str] = {}
    overall: str | None = None
    for e in error.errors(include_url=False):
        loc = [str(p) for p in e["loc"]]
        text = texts.field_error(dict(e))
        if loc and loc[0] != "actor":
            per_field.setdefault(loc[0], text)
        else:
            overall = overall or text
    return per_field, overall

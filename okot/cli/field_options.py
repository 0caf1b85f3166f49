"""How the fields of a message model become the options of its command: a date
parsed as ``YYYY-MM-DD``, a bool as ``--x/--no-x``, an enum as a choice, a tuple
of enums as a repeatable option, anything else as text."""

from __future__ import annotations

import inspect
import types
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

import typer
from pydantic import BaseModel

from okot.cli.options import DATE_METAVAR, option_name, parse_date_option


@dataclass(frozen=True)
class FieldOption:
    """How one message field becomes a command-line option."""

    field: str
    kind: str  # "date", "bool", "enum", "enums" (repeatable) or "text"
    required: bool
    enum: type[Enum] | None = None

    @property
    def names(self) -> tuple[str, ...]:
        option = option_name(self.field)
        if self.kind == "bool":
            return (f"{option}/--no-{option[2:]}",)
        if self.kind == "enums" and self.field.endswith("s"):
            return (option[:-1], option)  # --reason, repeatable; --reasons works too
        return (option,)

    @property
    def display(self) -> str:
        return self.names[0].split("/")[0]

    def annotation(self, help_text: str) -> Any:
        kwargs: dict[str, Any] = {"help": help_text, "show_default": False}
        if self.kind == "date":
            kwargs.update(parser=parse_date_option, metavar=DATE_METAVAR)
            base: Any = date
        elif self.kind == "bool":
            base = bool
        elif self.kind in ("enum", "enums"):
            assert self.enum is not None
            base = self.enum if self.kind == "enum" else list[self.enum]  # type: ignore[name-defined]
            choices = ", ".join(str(m.value) for m in self.enum)
            kwargs.update(metavar="CODE" if self.kind == "enums" else self.field.upper(),
                          help=f"{help_text} One of: {choices}.")
        else:
            base = str
        if not self.required or self.kind == "enums":
            base = base | None
        return Annotated[base, typer.Option(*self.names, **kwargs)]

    def payload(self, value: Any) -> Any:
        if self.kind == "enums":
            return tuple(value or ())
        return value


def _unwrap(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else str
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def field_options(model: type[BaseModel]) -> list[FieldOption]:
    """The options of a message command: one per field of ``model`` except ``actor``."""
    options = []
    for name, info in model.model_fields.items():
        if name == "actor":
            continue
        annotation = _unwrap(info.annotation)
        required = info.is_required()
        if annotation is bool:
            options.append(FieldOption(name, "bool", required))
        elif annotation is date:
            options.append(FieldOption(name, "date", required))
        elif inspect.isclass(annotation) and issubclass(annotation, Enum):
            options.append(FieldOption(name, "enum", required, annotation))
        elif get_origin(annotation) is tuple and inspect.isclass(get_args(annotation)[0]) and (
            issubclass(get_args(annotation)[0], Enum)
        ):
            options.append(FieldOption(name, "enums", required, get_args(annotation)[0]))
        else:  # text, staff ids, and anything pydantic can coerce from a string
            options.append(FieldOption(name, "text", required))
    return options

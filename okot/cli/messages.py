"""One ``okot`` command per message of ``docs/domain.md`` (``okot record-info``,
``okot give-agreement``, ...), generated from the message models so their
options mirror the fields exactly; the actor is ``--as ROLE:ID`` or
``OKOT_ACTOR``. Each command sends its message as an Update (or ``--signal``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.markup import escape

from okot.cli.errors import fail, guard, run
from okot.cli.field_options import FieldOption, field_options
from okot.cli.help_texts import COMMAND_HELP, field_help, rule_text
from okot.cli.options import CaseArg, JsonOpt, check_case_id, describe, parse_actor
from okot.cli.output import console, echo_json, print_status, status_json
from okot.cli.staff_check import StaffCheck, message_staff_ids
from okot.domain.messages import MESSAGE_TYPES, Reassign
from okot.domain.values import MessageName

OWN_COMMANDS = frozenset({MessageName.UPDATE_POLICY})
"""Messages with a command of their own (``okot policy update``: a policy file, many trajectories)."""

# Parameter names of the generated commands that are not message fields.
_COMMON_PARAMS = ("case_id", "actor_spec", "as_signal", "as_json")


def command_name(kind: MessageName) -> str:
    return kind.value.replace("_", "-")


def _send_message(
    kind: MessageName, options: list[FieldOption], values: dict[str, Any]
) -> None:
    case_id = check_case_id(values["case_id"])
    actor = parse_actor(values["actor_spec"])
    payload: dict[str, Any] = {"actor": actor}
    for option in options:
        value = option.payload(values[option.field])
        if value is not None:
            payload[option.field] = value
    names = {o.field: o.display for o in options} | {"actor": "--as / OKOT_ACTOR"}
    try:
        message = MESSAGE_TYPES[kind].model_validate(payload)
    except ValidationError as error:
        fail(describe(error, names, f"invalid {kind.value}"))
    staff = StaffCheck()
    problem = staff.problem(message_staff_ids(message))
    if problem is not None:
        fail(f"refused: {problem}")
    if isinstance(message, Reassign) and message.caseworker and message.teamlead is None:
        # the rules need the new caseworker's team: the sender's side looks it up
        message = message.model_copy(update={"teamlead": staff.teamlead_of(message.caseworker)})
    as_signal, as_json = bool(values["as_signal"]), bool(values["as_json"])
    from okot.cli import client  # here, not at import: see okot.cli.app

    status = run(lambda: client.send(case_id, message, as_signal))
    if status is None:
        if as_json:
            echo_json({"case_id": case_id, "message": kind.value, "signal": True})
        else:
            console().print(
                f"{kind.value} sent as a signal to case {escape(case_id)}; a rejection is only "
                f"recorded in its timeline (`okot timeline {escape(case_id)}`)"
            )
        return
    if as_json:
        echo_json(status_json(status))
        return
    console().print(f"[green]{kind.value} accepted[/green]")
    print_status(status, brief=True)


def _make_message_command(kind: MessageName) -> Callable[..., None]:
    model = MESSAGE_TYPES[kind]
    options = field_options(model)

    def command(**values: Any) -> None:
        guard(lambda: _send_message(kind, options, values))

    params = [
        inspect.Parameter("case_id", inspect.Parameter.KEYWORD_ONLY, annotation=CaseArg),
        inspect.Parameter(
            "actor_spec", inspect.Parameter.KEYWORD_ONLY, default=None,
            annotation=Annotated[str | None, typer.Option(
                "--as", envvar="OKOT_ACTOR", metavar="ROLE:ID",
                help="Who sends it: ROLE:ID, ROLE one of caseworker, mediator, teamlead "
                     "(default: $OKOT_ACTOR).")],
        ),
    ]
    required = [o for o in options if o.required and o.kind != "enums"]
    optional = [o for o in options if not (o.required and o.kind != "enums")]
    for option in (*required, *optional):
        params.append(inspect.Parameter(
            option.field, inspect.Parameter.KEYWORD_ONLY,
            default=inspect.Parameter.empty if option in required else None,
            annotation=option.annotation(field_help(kind, option.field)),
        ))
    params += [
        inspect.Parameter(
            "as_signal", inspect.Parameter.KEYWORD_ONLY, default=False,
            annotation=Annotated[bool, typer.Option(
                "--signal", help="Send it as a fire-and-forget Signal instead of an Update "
                "(a rejection is then only recorded in the timeline).")],
        ),
        inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, default=False,
                          annotation=JsonOpt),
    ]
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {}
    command.__name__ = kind.value
    command.__doc__ = COMMAND_HELP.get(kind, kind.value.replace("_", " ")) + rule_text(kind)
    return command


def register(app: typer.Typer) -> None:
    """Add one command per message to ``app``."""
    for kind in MESSAGE_TYPES:
        if kind in OWN_COMMANDS:
            continue
        app.command(command_name(kind))(_make_message_command(kind))

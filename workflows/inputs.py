"""What comes in at the workflow's doors, decoded and checked before it is used.

The start input arrives as a raw payload (:data:`NO_INPUT` when there is
none), so that a malformed start (a wrong shape, a case id that looks like a
national register number, no input, a payload that is not JSON, ``opened_on``
out of range, in the future or too far back) fails the workflow at once with a
clear reason instead of failing its workflow task on every attempt. Updates and
Signals take any number of arguments for the same reason: a wrong count is refused
like any other bad payload. Every reason is
built by :mod:`okot.domain.reasons`: one short line, never the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from okot.domain import journey
    from okot.domain.calendar import local_date
    from okot.domain.messages import Message, parse_message
    from okot.domain.reasons import validation_reason
    from okot.domain.status import OpenTrajectory
    from okot.domain.values import SYSTEM_ACTOR, Actor, MessageName

NO_INPUT = RawValue(Payload())
"""The start input of a workflow started without one."""

_START = "OkotTrajectory input"
_START_SHAPE = (
    "OkotTrajectory needs one JSON object: case_id, ocmw, caseworker and optionally "
    "mediator, registered_jobseeker, opened_on (YYYY-MM-DD), policy"
)


def start_request(raw: RawValue) -> OpenTrajectory | str:
    """The start input as a request, or the one-line reason it is refused."""
    if raw is NO_INPUT or not raw.payload.metadata:
        return _START_SHAPE
    try:
        request = workflow.payload_converter().from_payload(raw.payload, OpenTrajectory)
    except ValidationError as error:
        if all(not e["loc"] and e["type"] == "model_type" for e in error.errors()):
            return _START_SHAPE  # JSON, but not an object
        return validation_reason(error, _START)
    except Exception:  # not JSON, an unknown encoding: nothing to read
        return _START_SHAPE
    if not isinstance(request, OpenTrajectory):  # e.g. a binary/null payload
        return _START_SHAPE
    if request.carried is not None:  # continued as new: checked when it opened
        return request
    problem = journey.opening_problem(request, local_date(workflow.now()), slack_days=1)
    return f"{_START}: {problem}" if problem is not None else request


def message(name: MessageName, args: Sequence[Any]) -> Message:
    """The message of an Update or Signal; ``ValueError`` with the reason if invalid."""
    if len(args) != 1 or not isinstance(args[0], dict):
        raise ValueError(f"{name.value} needs one JSON object with 'actor' and its fields")
    try:
        return parse_message(name.value, args[0])
    except ValidationError as error:
        raise ValueError(validation_reason(error, name.value)) from None


def actor_of(args: Sequence[Any]) -> Actor:
    """Who sent an invalid message, when that much can be read (else 'unknown')."""
    if len(args) == 1 and isinstance(args[0], dict):
        try:
            return Actor.model_validate(args[0].get("actor"))
        except ValidationError:
            pass
    return Actor(role=SYSTEM_ACTOR.role, id="unknown")

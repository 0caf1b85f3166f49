"""One Update and one Signal of the same name per message, for the workflow class.

The workflow class declares them with :func:`message_update` and
:func:`message_signal`; both hand the raw arguments to the workflow, which parses
and decides them with the pure rules. They take any number of arguments: a
wrong count is refused like any other bad payload (a fixed signature would fail
the workflow task on every attempt).
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from okot.domain.status import TrajectoryStatus
    from okot.domain.values import MessageName
    from okot.temporal.contract import MessageAck


def message_update(name: MessageName, description: str) -> Any:
    """The Update ``name`` on the workflow class: validated first, then handled."""
    async def handler(self: Any, *args: Any) -> TrajectoryStatus | MessageAck:
        answer: TrajectoryStatus | MessageAck = self._handle_update(name, args)
        return answer

    def validator(self: Any, *args: Any) -> None:
        self._validate(name, args)

    handler.__name__ = name.value
    fn = workflow.update(name=name.value, description=description)(handler)
    fn.validator(validator)
    return fn


def message_signal(name: MessageName, description: str) -> Any:
    """The Signal ``name`` on the workflow class: an invalid one is recorded as rejected."""
    def handler(self: Any, *args: Any) -> None:
        self._handle_signal(name, args)

    handler.__name__ = f"{name.value}_signal"
    return workflow.signal(name=name.value, description=description)(handler)

"""One Update and one Signal of the same name per message, for the workflow class.

The workflow class declares them with :func:`message_update` and
:func:`message_signal`; both hand the raw payload to the workflow, which parses
and decides it with the pure rules.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from okot.domain.status import TrajectoryStatus
    from okot.domain.values import MessageName


def message_update(name: MessageName, description: str) -> Any:
    """The Update ``name`` on the workflow class: validated first, then handled."""
    async def handler(self: Any, payload: Any) -> TrajectoryStatus:
        status: TrajectoryStatus = self._handle_update(name, payload)
        return status

    def validator(self: Any, payload: Any) -> None:
        self._validate(name, payload)

    handler.__name__ = name.value
    fn = workflow.update(name=name.value, description=description)(handler)
    fn.validator(validator)
    return fn


def message_signal(name: MessageName, description: str) -> Any:
    """The Signal ``name`` on the workflow class: an invalid one is recorded as rejected."""
    def handler(self: Any, payload: Any) -> None:
        self._handle_signal(name, payload)

    handler.__name__ = f"{name.value}_signal"
    return workflow.signal(name=name.value, description=description)(handler)

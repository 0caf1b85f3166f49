"""The ``register_jobseeker`` activity: registers the client with VDAB."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from okot.db import registrations
from okot.domain.effects import (
    RegisterRequest,
    RegisterResult,
)
from okot.vdab.gateway import (
    PermanentRegistrationError,
    RegistrationGateway,
)


class EmbeddedRegistrationGateway:
    """The default gateway: records the registration in the project's database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def register(self, request: RegisterRequest) -> RegisterResult:
        reference = await asyncio.to_thread(registrations.record_registration, self._engine, request)
        return RegisterResult(reference=reference)


class RegisterActivities:
    def __init__(self, gateway: RegistrationGateway) -> None:
        self._gateway = gateway

    @activity.defn(name="register_jobseeker")
    async def register_jobseeker(self, request: RegisterRequest) -> RegisterResult:
        """Register once per ``request.key``; a refusal by VDAB is not retried."""
        try:
            result = await self._gateway.register(request)
        except PermanentRegistrationError as err:
            activity.logger.warning("registration refused", extra={"key": request.key})
            # VDAB's own explanation travels as a detail (into the workflow's
            # timeline), not in the message, which the SDK writes to the log.
            raise ApplicationError(
                str(err), err.vdab_message, type="PermanentRegistrationError", non_retryable=True
            ) from err
        activity.logger.info("registered", extra={"key": request.key})
        return result

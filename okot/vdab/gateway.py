"""Registering a client as a jobseeker with VDAB: the gateway and its HTTP client.

After the formal agreement, a client who was not yet registered as a jobseeker
is registered by an activity (stage ``registering``). That activity calls a
:class:`RegistrationGateway`; which one follows from
``OKOT_REGISTRATION_GATEWAY`` (see :func:`gateway_from_settings`):

- ``embedded``: the project's own database stands in for VDAB
  (:mod:`okot.db.registrations`; passed in here, so this module stays free of
  the database);
- ``http``: :class:`HttpRegistrationGateway`, ``POST {OKOT_VDAB_URL}/jobseekers``
  (the contract that :mod:`okot_dev.vdab_sim` simulates).

Every call carries the request's idempotency key (``Idempotency-Key`` header),
so a retried activity registers the client once and gets the same reference.
Failures are split in two, as :mod:`okot.errors` defines them:
:class:`TemporaryRegistrationError` (5xx, 408, 429, timeouts, connection
trouble: retry) and :class:`PermanentRegistrationError` (any other 4xx: VDAB
refuses the request as it is). Exception messages carry
only HTTP status codes and the case id, never free text; VDAB's own
explanation of a refusal is available as ``error.vdab_message`` for the
workflow payload.
"""

from __future__ import annotations

import logging
import ssl
from typing import Any, Final, Protocol, runtime_checkable

import certifi
import httpx

from okot.domain.effects import (
    RegisterRequest,
    RegisterResult,
)
from okot.errors import (
    ExternalFailure,
    PermanentFailure,
    TemporaryFailure,
)
from okot.settings import Settings

log = logging.getLogger(__name__)

JOBSEEKERS_PATH: Final = "/jobseekers"
MAX_REFERENCE_LENGTH: Final = 64
MAX_VDAB_MESSAGE_LENGTH: Final = 300
_TEMPORARY_4XX: Final = frozenset({408, 425, 429})


class RegistrationError(ExternalFailure):
    """The registration did not happen. ``str(error)`` holds no personal data."""

    retryable: bool = True

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TemporaryRegistrationError(RegistrationError, TemporaryFailure):
    """VDAB is unavailable, slow or overloaded: try again later."""

    retryable = True


class PermanentRegistrationError(RegistrationError, PermanentFailure):
    """VDAB refused the request (4xx). ``vdab_message`` is VDAB's explanation."""

    retryable = False

    def __init__(self, message: str, status: int | None = None, vdab_message: str = "") -> None:
        super().__init__(message, status)
        self.vdab_message = vdab_message


@runtime_checkable
class RegistrationGateway(Protocol):
    """Registers one client as a jobseeker; idempotent per ``request.key``."""

    async def register(self, request: RegisterRequest) -> RegisterResult:
        """Register and return VDAB's reference; raise a :class:`RegistrationError`."""
        ...


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _vdab_message(response: httpx.Response) -> str:
    body = _json(response)
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message.strip():
        return f"HTTP {response.status_code} zonder toelichting"
    return " ".join(message.split())[:MAX_VDAB_MESSAGE_LENGTH]


class HttpRegistrationGateway:
    """The jobseeker registration over HTTP (``POST {base_url}/jobseekers``).

    ``transport`` lets a caller (or a test) supply an ``httpx`` transport;
    by default each call opens a short-lived client, which keeps the gateway
    safe to share between activities and event loops.
    """

    def __init__(
        self,
        base_url: str,
        timeout: float = 10.0,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("the VDAB url must start with http:// or https://")
        self.url = base_url.rstrip("/") + JOBSEEKERS_PATH
        self.timeout = timeout
        self._transport = transport
        # Building an SSL context costs ~20 ms; build it once, not per request.
        self._ssl = ssl.create_default_context(cafile=certifi.where())

    async def register(self, request: RegisterRequest) -> RegisterResult:
        body = {"case_id": request.case_id, "ocmw": request.ocmw}
        headers = {"Idempotency-Key": request.key, "Accept": "application/json"}
        try:
            async with httpx.AsyncClient(
                timeout=self.timeout,
                transport=self._transport,
                verify=self._ssl,
                follow_redirects=False,
            ) as client:
                response = await client.post(self.url, json=body, headers=headers)
        except httpx.TimeoutException:
            log.warning("vdab registration timed out", extra={"case_id": request.case_id})
            raise TemporaryRegistrationError(
                f"VDAB did not answer within {self.timeout:g}s"
            ) from None
        except httpx.HTTPError as error:  # connection refused, reset, DNS, protocol
            log.warning(
                "vdab unreachable",
                extra={"case_id": request.case_id, "error_type": type(error).__name__},
            )
            raise TemporaryRegistrationError(
                f"VDAB unreachable ({type(error).__name__})"
            ) from None
        return self._result(request, response)

    def _result(self, request: RegisterRequest, response: httpx.Response) -> RegisterResult:
        status = response.status_code
        extra = {"case_id": request.case_id, "http_status": status}
        if 200 <= status < 300:
            body = _json(response)
            reference = body.get("reference") if isinstance(body, dict) else None
            if (
                not isinstance(reference, str)
                or not reference.strip()
                or len(reference) > MAX_REFERENCE_LENGTH
            ):
                log.warning("vdab answered without a reference", extra=extra)
                raise TemporaryRegistrationError(
                    f"VDAB answered HTTP {status} without a valid reference", status
                )
            log.info("registered as jobseeker", extra=extra)
            return RegisterResult(reference=reference.strip())
        if status >= 500 or status in _TEMPORARY_4XX:
            log.warning("vdab registration failed temporarily", extra=extra)
            raise TemporaryRegistrationError(f"VDAB answered HTTP {status}", status)
        if 400 <= status < 500:
            log.warning("vdab refused the registration", extra=extra)
            raise PermanentRegistrationError(
                f"VDAB refused the registration (HTTP {status})", status, _vdab_message(response)
            )
        # 1xx/3xx: a misconfigured OKOT_VDAB_URL or proxy; operations can fix it.
        log.warning("vdab answered unexpectedly", extra=extra)
        raise TemporaryRegistrationError(f"VDAB answered unexpected HTTP {status}", status)


def gateway_from_settings(settings: Settings, embedded: RegistrationGateway) -> RegistrationGateway:
    """The gateway ``OKOT_REGISTRATION_GATEWAY`` selects.

    ``embedded`` is the database-backed gateway (built by the caller, so this
    module does not import the store); it is returned for ``embedded``.
    """
    choice = settings.registration_gateway.strip().lower()
    if choice == "embedded":
        return embedded
    if choice == "http":
        return HttpRegistrationGateway(settings.vdab_url, settings.vdab_timeout_seconds)
    raise ValueError(
        f"OKOT_REGISTRATION_GATEWAY must be 'embedded' or 'http', not {choice!r}"
    )

"""Why a mail was not delivered: a temporary or a permanent delivery failure.

Both kinds derive from the shared hierarchy of :mod:`okot.errors`, so the
``notify`` activity needs to know only :class:`~okot.errors.PermanentFailure`.
The class names are part of the contract: the workflow's notify retry policy
lists ``PermanentDeliveryError`` as non-retryable.
"""

from __future__ import annotations

from okot.errors import (
    ExternalFailure,
    PermanentFailure,
    TemporaryFailure,
)


class DeliveryError(ExternalFailure):
    """A mail could not be delivered. ``str(error)`` never names a person or address."""

    retryable: bool = True

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TemporaryDeliveryError(DeliveryError, TemporaryFailure):
    """Try again later: SMTP 4xx, connection trouble, timeouts, configuration hiccups."""

    retryable = True


class PermanentDeliveryError(DeliveryError, PermanentFailure):
    """This mail will never be delivered as it is: SMTP 5xx, refused or unknown recipient."""

    retryable = False


ERROR_TEXT_LIMIT = 200
"""What the outbox keeps of an attempt's error, at most (characters)."""


def attempt_error(err: Exception) -> str:
    """What a failed delivery attempt met, for the outbox (``okot outbox --failed``): the
    failure's class, and its text when it is one of ours (``str()`` of an
    :class:`~okot.errors.ExternalFailure` is safe to store); never a server's or a
    library's free text."""
    kind = type(err).__name__
    if isinstance(err, ExternalFailure):
        return f"{kind}: {err}"[:ERROR_TEXT_LIMIT]
    return kind

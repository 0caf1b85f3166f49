"""Failures of the outside world, in two kinds: try again later, or give up.

Every adapter that talks to another system (the SMTP server in
:mod:`okot.mail`, VDAB in :mod:`okot.vdab`) raises a subclass of
:class:`ExternalFailure`, and always of exactly one of its two kinds:

* :class:`TemporaryFailure`: the other side is down, slow, overloaded or
  misconfigured; the same call may succeed later, so Temporal retries it;
* :class:`PermanentFailure`: the other side refused this request as it is
  (unknown recipient, invalid data); retrying cannot help, so the activity
  turns it into a non-retryable ``ApplicationError`` and the journey records
  the failure.

The concrete classes keep their own names (``TemporaryDeliveryError``,
``PermanentRegistrationError``, ...): Temporal matches those names against a
retry policy's ``non_retryable_error_types``, and they appear in histories.

``str(error)`` of every failure is safe to log: ids, codes and hashes only,
never a name, an e-mail address, a phone number or a server's free text.
"""

from __future__ import annotations


class ExternalFailure(Exception):
    """Another system did not do what we asked. ``str(error)`` holds no personal data."""

    retryable: bool = True


class TemporaryFailure(ExternalFailure):
    """Try again later: the same request may well succeed."""

    retryable = True


class PermanentFailure(ExternalFailure):
    """Give up: this request will never succeed as it is."""

    retryable = False

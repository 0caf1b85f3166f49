"""A database failure as the activities report it: one safe line, and whether to retry.

SQLAlchemy's exceptions carry the SQL statement and its parameters (the event's
payload: notes, reasons, the whole status), and a driver's message may quote a
value. None of that may reach a Temporal failure or a log line, and a failure
message must stay small (Temporal refuses an oversized one). So an activity
reports :func:`describe` of the error instead: the exception class and the
database's error code, nothing else.

* the database cannot be reached, a connection broke, a lock or serialization
  conflict: **temporary**, retried;
* the database refused the data itself (an invalid value, a constraint): retrying
  the same request cannot help: **permanent**, the activity fails at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exc

REFUSED = (exc.DataError, exc.IntegrityError, exc.ProgrammingError)
"""The database refused the data or the statement itself."""


@dataclass(frozen=True)
class DatabaseFailure:
    message: str
    """``"database refused the write: DataError (SQLSTATE 22P05)"``: no statement, no values."""
    retryable: bool

    @property
    def type(self) -> str:
        """The Temporal failure type: retry policies and the timeline match on it."""
        return "DatabaseUnavailable" if self.retryable else "DatabaseRefused"


def _code(err: BaseException) -> str | None:
    orig = getattr(err, "orig", None)
    for attribute in ("sqlstate", "sqlite_errorname"):
        code = getattr(orig, attribute, None)
        if isinstance(code, str) and code:
            return code
    return None


def describe(err: BaseException) -> DatabaseFailure:
    """``err`` (raised by a database write) as a safe one-line failure."""
    kind = type(err).__name__
    code = _code(err)
    what = f"{kind} ({'SQLSTATE ' if code and code[:1].isdigit() else ''}{code})" if code else kind
    if isinstance(err, REFUSED):
        return DatabaseFailure(f"database refused the write: {what}", retryable=False)
    if isinstance(err, exc.DBAPIError | exc.DisconnectionError | exc.TimeoutError):
        # unreachable, a broken connection, a lock or serialization conflict, ...
        return DatabaseFailure(f"database unavailable: {what}", retryable=True)
    if isinstance(err, exc.StatementError):  # a value that could not even be bound
        return DatabaseFailure(f"database refused the write: {what}", retryable=False)
    return DatabaseFailure(f"database error: {what}", retryable=True)

"""Rejection reasons: one short line that says what was wrong and what is
allowed, and never repeats the input.

Every door builds its reasons here: the workflow (an invalid Update or Signal,
an invalid start), the CLI (a malformed option, a bad cohort row) and the web
API. A pydantic error is rebuilt from its field names (an odd or long name
shows as "(field)"), its error types and the allowed values or limits; the
offending value itself is never part of it (pydantic's own ``str()`` repeats
the input, which may be a megabyte, or a national register number). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from okot.domain.register_numbers import looks_like_national_register_number

REASON_LIMIT = 300
"""Most characters of any rejection reason (callers, timeline, audit log)."""
PART_LIMIT = 40
"""Most characters of one field name in a reason."""
_MESSAGE_LIMIT = 160
_FIELD_NAME_RE = re.compile(rf"[A-Za-z_][A-Za-z0-9_]{{0,{PART_LIMIT - 1}}}")
"""What a field name in a reason may look like; any other name (an unknown field
sent as a megabyte or a register number) shows as '(field)'."""
_SPACE_RE = re.compile(r"\s+")
_UNPRINTABLE_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_PREFIXES = ("Value error, ", "Assertion failed, ")


def cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in '…' when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def one_line(text: str, limit: int = REASON_LIMIT) -> str:
    """``text`` as one printable line of at most ``limit`` characters."""
    return cut(_SPACE_RE.sub(" ", _UNPRINTABLE_RE.sub(" ", text)).strip(), limit)


def field_name(part: str | int) -> str:
    """A field name (or list index) as a reason may show it: '(field)' unless plain."""
    if isinstance(part, int):
        return str(part)
    if _FIELD_NAME_RE.fullmatch(part) and not looks_like_national_register_number(part):
        return part
    return "(field)"


def _location(loc: Sequence[str | int], names: Mapping[str, str]) -> str:
    if not loc:
        return ""
    first = loc[0]
    if isinstance(first, str) and first in names:
        return names[first]
    return ".".join(field_name(p) for p in loc)


def _echoes(message: str, value: Any) -> bool:
    """Whether pydantic's message quotes the offending input."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str | int | float):
        text = str(value)
        return len(text) >= 3 and text in message
    return False


def _message(error: Mapping[str, Any] | ErrorDetails) -> str:
    message = str(error.get("msg", ""))
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    if _echoes(message, error.get("input")):
        message = str(error.get("type", "invalid")).replace("_", " ")
    return one_line(message, _MESSAGE_LIMIT)


def validation_reason(
    error: ValidationError,
    subject: str | None = None,
    names: Mapping[str, str] | None = None,
    limit: int = REASON_LIMIT,
) -> str:
    """A pydantic error as one line: ``subject: field: what is allowed; ...``.

    ``names`` maps a top-level field to what the user typed for it (a CLI
    option such as ``--date``). Errors that do not fit in ``limit`` are
    counted at the end (``(and 2 more)``).
    """
    return errors_reason(error.errors(include_url=False), subject, names, limit)


def errors_reason(
    details: Sequence[Mapping[str, Any]] | Sequence[ErrorDetails],
    subject: str | None = None,
    names: Mapping[str, str] | None = None,
    limit: int = REASON_LIMIT,
    skip: Sequence[str] = (),
) -> str:
    """:func:`validation_reason` for error details as pydantic lists them (also
    FastAPI's request errors); ``skip``: leading location parts to leave out
    (``body``, ``query``)."""
    parts = []
    for item in details:
        loc = list(item.get("loc", ()))
        while loc and loc[0] in skip:
            loc.pop(0)
        where = _location(loc, names or {})
        message = _message(item)
        parts.append(f"{where}: {message}" if where else message)
    head = f"{one_line(subject, PART_LIMIT * 2)}: " if subject else ""
    return join_reasons(head, parts, limit)


def join_reasons(head: str, parts: Sequence[str], limit: int = REASON_LIMIT) -> str:
    """``head`` and as many ``parts`` as fit in ``limit`` (the rest counted)."""
    text = head
    for index, part in enumerate(parts):
        piece = part if index == 0 else f"; {part}"
        rest = len(parts) - index - 1
        tail = f" (and {rest} more)" if rest else ""
        if len(text) + len(piece) + len(tail) > limit:
            if index == 0:
                return one_line(head + part, limit)
            return one_line(f"{text} (and {len(parts) - index} more)", limit)
        text += piece
    return one_line(text, limit)

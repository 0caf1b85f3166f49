"""Belgian national register numbers (rijksregisternummer, INSZ), recognised so
that none enters a workflow history, a search attribute or a log line.

One implementation for both uses:

* :func:`looks_like_national_register_number` for identifiers (case ids, staff
  ids): strict, any 11 digits (with or without the usual separators, or as a
  run inside a longer id) are refused, checksum or not: an opaque id never
  needs them;
* :func:`contains_national_register_number` for free text (notes, reasons,
  plans): only what *validates* as a register number, with its mod-97
  checksum (born before 2000 and from 2000 on), in any usual notation
  (``85.07.30-033.28``, ``850730 033 28``, ``85073003328``), so that an
  ordinary number in a note is not refused.

Pure: no I/O. Callers never echo what was found.
"""

from __future__ import annotations

import re

_SEPARATOR = r"[ .\-/]?"
_IN_TEXT_RE = re.compile(
    rf"(?=(?<!\d)(\d\d{_SEPARATOR}\d\d{_SEPARATOR}\d\d{_SEPARATOR}\d\d\d{_SEPARATOR}\d\d)(?!\d))"
)
"""YY MM DD SSS CC with at most one separator between the groups. A lookahead,
so that overlapping candidates are all tried."""
_ID_SEPARATORS_RE = re.compile(r"[\s./_-]")
_ELEVEN_DIGITS_RE = re.compile(r"\d{11}")


def is_valid_national_register_number(digits: str) -> bool:
    """Whether 11 decimal digits carry a valid register-number checksum.

    The check number is ``97 - (first nine digits mod 97)``; for people born
    from 2000 on a ``2`` is put before the nine digits first.
    """
    if len(digits) != 11 or not digits.isdecimal():
        return False
    body, check = int(digits[:9]), int(digits[9:])
    return check in (97 - body % 97, 97 - (2_000_000_000 + body) % 97)


def contains_national_register_number(text: str) -> bool:
    """Whether free text holds something that validates as a register number."""
    for match in _IN_TEXT_RE.finditer(text):
        digits = "".join(ch for ch in match.group(1) if ch.isdecimal())
        if is_valid_national_register_number(digits):
            return True
    return False


def looks_like_national_register_number(value: str) -> bool:
    """True when an identifier could be a Belgian national register number.

    That is 11 digits, written with or without the usual separators
    (``85.07.30-033.28``, ``850730 033 28``, ``85073003328``), or any run of
    11 digits inside a longer id, or a valid register number in any notation.
    """
    compact = _ID_SEPARATORS_RE.sub("", value)
    return (
        (compact.isdecimal() and len(compact) == 11)
        or bool(_ELEVEN_DIGITS_RE.search(value))
        or contains_national_register_number(value)
    )

"""Cohort import: parse and validate a CSV of cases to open (pure, no I/O).

``okot import cohort.csv`` and ``python starter.py cohort.csv`` read a CSV with
the columns :data:`COLUMNS`::

    case_id,ocmw,caseworker,mediator,registered_jobseeker,opened_on
    C-2024-0001,gent,cw-anna,med-carl,true,2024-09-02
    C-2024-0002,gent,cw-anna,,false,

* ``case_id`` (required): the OCMW's opaque, pseudonymous case id; never a
  national register number, a name or anything derived from them.
* ``ocmw`` (required): the OCMW code, e.g. ``gent`` (lower-cased on reading).
* ``caseworker`` (required): staff id of the caseworker.
* ``mediator`` (optional): staff id of the VDAB mediator, if already known.
* ``registered_jobseeker`` (optional, default ``true``): ``true``/``false``
  (also ``yes``/``no``, ``ja``/``nee``, ``1``/``0``).
* ``opened_on`` (optional, default today): ``YYYY-MM-DD``, when the file was
  really opened; orientation deadlines count from that day.
* ``client_name``, ``vdab_client_number`` (optional): who the client is; they go
  to the encrypted client register only, never to Temporal, logs or mails.

Any other column is refused, so a column with personal data (an address, a
national register number) never slips in. Every row is validated on its own: a bad row is
reported with its line number and reason and does not stop the others.
This module only parses; :mod:`okot.cli.cohort` opens the trajectories.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError

from okot.domain.identity import ClientIdentity, ClientIdentityError, identity_from
from okot.domain.journey import opening_problem
from okot.domain.reasons import validation_reason
from okot.domain.register_numbers import looks_like_national_register_number
from okot.domain.status import OpenTrajectory

COLUMNS: tuple[str, ...] = (
    "case_id",
    "ocmw",
    "caseworker",
    "mediator",
    "registered_jobseeker",
    "opened_on",
    "client_name",
    "vdab_client_number",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("case_id", "ocmw", "caseworker")

_TRUE = frozenset({"true", "yes", "ja", "y", "j", "1"})
_FALSE = frozenset({"false", "no", "nee", "n", "0"})


class CohortFileError(ValueError):
    """The file as a whole cannot be read (missing or unknown columns, not a CSV)."""


@dataclass(frozen=True)
class CohortRow:
    """A valid row: the request that opens its trajectory."""

    line: int
    request: OpenTrajectory
    identity: ClientIdentity | None = None

    @property
    def case_id(self) -> str:
        return self.request.case_id


@dataclass(frozen=True)
class CohortProblem:
    """A row that cannot be opened. ``case_id`` is None when it is not a valid id."""

    line: int
    case_id: str | None
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" ({self.case_id})" if self.case_id else "")
        return f"{where}: {self.reason}"


CohortEntry = CohortRow | CohortProblem


def parse_bool(value: str) -> bool:
    """``true``/``false`` and the usual spellings; raises ``ValueError`` otherwise."""
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("is not true or false (true/false, yes/no, ja/nee, 1/0)")


def parse_date(value: str) -> date:
    """A ``YYYY-MM-DD`` date; raises ``ValueError`` with a readable message otherwise."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("is not a date (YYYY-MM-DD)") from None


def _header(reader: csv.DictReader[str]) -> list[str]:
    if not reader.fieldnames:
        raise CohortFileError(f"the cohort CSV is empty; expected the header {','.join(COLUMNS)}")
    header = [(h or "").strip().lower() for h in reader.fieldnames]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CohortFileError(
            f"the cohort CSV lacks column(s) {', '.join(missing)}; "
            f"expected {','.join(COLUMNS)} (all but case_id, ocmw and caseworker optional)"
        )
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise CohortFileError(
            f"the cohort CSV has unknown column(s) {', '.join(unknown)}; only "
            f"{','.join(COLUMNS)} are allowed (never add names or other personal data)"
        )
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise CohortFileError(f"the cohort CSV lists column(s) {', '.join(duplicated)} twice")
    return header


def _parse_row(line: int, cells: dict[str, str], today: date | None) -> CohortEntry:
    raw_case = cells.get("case_id", "")
    if looks_like_national_register_number(raw_case):
        # Never echo it back: it may be a real national register number.
        return CohortProblem(
            line, None,
            "case_id looks like a national register number (11 digits); use the opaque, "
            "pseudonymous case id of your OCMW, never the INSZ or anything derived from it",
        )
    fields: dict[str, object] = {
        "case_id": raw_case,
        "ocmw": cells.get("ocmw", "").lower(),
        "caseworker": cells.get("caseworker", ""),
        "mediator": cells.get("mediator") or None,
    }
    problems: list[str] = []
    registered = cells.get("registered_jobseeker", "")
    if registered:
        try:
            fields["registered_jobseeker"] = parse_bool(registered)
        except ValueError as error:
            problems.append(f"registered_jobseeker: {error}")
    opened_on = cells.get("opened_on", "")
    if opened_on:
        try:
            day = parse_date(opened_on)
        except ValueError as error:
            problems.append(f"opened_on: {error}")
        else:
            fields["opened_on"] = day
    identity = None
    try:
        identity = identity_from(cells.get("client_name"), cells.get("vdab_client_number"))
    except ClientIdentityError as error:
        problems.append(str(error))
    try:
        request = OpenTrajectory.model_validate(fields)
    except ValidationError as error:
        problems.insert(0, validation_reason(error))
        valid_case = not any(e["loc"] == ("case_id",) for e in error.errors())
        return CohortProblem(line, raw_case if valid_case else None, "; ".join(problems))
    if today is not None:
        problem = opening_problem(request, today)
        if problem is not None:
            problems.append(problem)
    if problems:
        return CohortProblem(line, request.case_id, "; ".join(problems))
    return CohortRow(line, request, identity)


def parse_cohort(text: str, today: date | None = None) -> list[CohortEntry]:
    """Every data row of the cohort CSV, in file order, as a row or a problem.

    ``line`` is the physical line number in the file (the header is line 1).
    Blank lines are skipped. A case id listed twice is a problem on its second
    line. With ``today``, an ``opened_on`` after it is refused. Raises
    :class:`CohortFileError` when the header is unusable.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = _header(reader)
    except csv.Error as error:
        raise CohortFileError(f"the cohort file is not a CSV: {error}") from None
    reader.fieldnames = header
    entries: list[CohortEntry] = []
    seen: dict[str, int] = {}
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            entries.append(CohortProblem(reader.line_num, None, f"not valid CSV: {error}"))
            continue
        # line_num counts physical lines read so far: the row's last line.
        line = reader.line_num
        extra = row.get(None)
        cells = {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}
        if not any(cells.values()) and not extra:
            continue
        if extra:
            entries.append(CohortProblem(
                line, None, f"more cells than the {len(header)} columns of the header"))
            continue
        entry = _parse_row(line, cells, today)
        if isinstance(entry, CohortRow):
            first = seen.get(entry.case_id)
            if first is not None:
                entry = CohortProblem(line, entry.case_id,
                                      f"case_id is listed twice (also on line {first})")
            else:
                seen[entry.case_id] = line
        entries.append(entry)
    return entries


def rows(entries: list[CohortEntry]) -> list[CohortRow]:
    return [e for e in entries if isinstance(e, CohortRow)]


def problems(entries: list[CohortEntry]) -> list[CohortProblem]:
    return [e for e in entries if isinstance(e, CohortProblem)]

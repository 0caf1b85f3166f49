"""Parsing and validating the cohort CSV (okot/cli/cohort_csv.py): pure, no Temporal."""

from __future__ import annotations

from datetime import date

import pytest

from okot.cli.cohort_csv import (
    COLUMNS,
    CohortFileError,
    CohortProblem,
    CohortRow,
    parse_bool,
    parse_cohort,
    problems,
    rows,
)

HEADER = ",".join(COLUMNS) + "\n"
TODAY = date(2025, 3, 3)


def test_valid_rows_become_open_requests() -> None:
    entries = parse_cohort(
        HEADER
        + "C-0001,gent,cw-anna,med-carl,true,2025-01-06\n"
        + "C-0002,Gent,cw-anna,,no,\n"
        + "C-0003,gent,cw-anna,,,\n",
        today=TODAY,
    )
    assert problems(entries) == []
    first, second, third = rows(entries)
    assert (first.line, first.case_id) == (2, "C-0001")
    assert first.request.mediator == "med-carl" and first.request.opened_on == date(2025, 1, 6)
    assert first.request.registered_jobseeker is True
    assert second.request.ocmw == "gent" and second.request.mediator is None
    assert second.request.registered_jobseeker is False and second.request.opened_on is None
    assert third.request.registered_jobseeker is True  # the default


def test_only_the_required_columns_are_needed_and_order_and_case_do_not_matter() -> None:
    entries = parse_cohort("Caseworker, OCMW ,case_id\ncw-anna,gent,C-0001\n")
    assert [e.request.caseworker for e in rows(entries)] == ["cw-anna"]


def test_a_bom_and_blank_lines_are_tolerated() -> None:
    entries = parse_cohort("\ufeff" + HEADER + "\nC-0001,gent,cw-anna,,,\n,,,,,\n")
    assert len(rows(entries)) == 1 and problems(entries) == []


@pytest.mark.parametrize(
    ("row", "expected", "case_id"),
    [
        ("85073003328,gent,cw-anna,,,", "national register number", None),
        ("85.07.30-033.28,gent,cw-anna,,,", "national register number", None),
        ("C-85073003328,gent,cw-anna,,,", "national register number", None),
        ("C 1,gent,cw-anna,,,", "case_id", None),
        ("C-0001,gent!,cw-anna,,,", "ocmw:", "C-0001"),
        ("C-0001,,cw-anna,,,", "ocmw:", "C-0001"),
        ("C-0001,gent,,,,", "caseworker:", "C-0001"),
        ("C-0001,gent,cw anna,,,", "caseworker:", "C-0001"),
        ("C-0001,gent,cw-anna,m,,", "mediator:", "C-0001"),
        ("C-0001,gent,cw-anna,,maybe,", "registered_jobseeker: is not true or false",
         "C-0001"),
        ("C-0001,gent,cw-anna,,,2025-02-30", "opened_on: is not a date (YYYY-MM-DD)",
         "C-0001"),
        ("C-0001,gent,cw-anna,,,03/03/2025", "YYYY-MM-DD", "C-0001"),
        ("C-0001,gent,cw-anna,,,2025-03-04", "opened_on is in the future",
         "C-0001"),
        ("C-0001,gent,cw-anna,,,,,,extra", f"more cells than the {len(COLUMNS)} columns", None),
        ("C-0001,gent,cw-anna,,,,,VDAB-123", "vdab_client_number needs client_name", "C-0001"),
        ("C-0001,gent,cw-anna,,,,An Peeters,12 34", "VDAB client number: letters, digits",
         "C-0001"),
    ],
)
def test_bad_rows_are_reported_with_line_and_reason(
    row: str, expected: str, case_id: str | None
) -> None:
    entries = parse_cohort(HEADER + "C-0009,gent,cw-anna,,,\n" + row + "\n", today=TODAY)
    assert len(rows(entries)) == 1  # the good row still goes on
    [problem] = problems(entries)
    assert problem.line == 3
    assert expected in problem.reason
    assert problem.case_id == case_id
    assert str(problem).startswith(f"line 3{f' ({case_id})' if case_id else ''}: ")


def test_the_client_identity_columns_go_to_the_row_only() -> None:
    [row] = parse_cohort("case_id,ocmw,caseworker,client_name,vdab_client_number\n"
                         "C-0001,gent,cw-anna,  An   Peeters ,VDAB-123\n")
    assert isinstance(row, CohortRow) and row.identity is not None
    assert (row.identity.name, row.identity.vdab_client_number) == ("An Peeters", "VDAB-123")
    assert "An Peeters" not in row.request.model_dump_json()  # never in the workflow input
    assert "Peeters" not in repr(row)
    [bad] = parse_cohort("case_id,ocmw,caseworker,client_name,vdab_client_number\n"
                         "C-0001,gent,cw-anna,An Peeters,12 34\n")
    assert isinstance(bad, CohortProblem) and "12 34" not in str(bad)


def test_a_national_register_number_is_never_echoed() -> None:
    [problem] = parse_cohort(HEADER + "85073003328,gent,cw-anna,,,\n")
    assert isinstance(problem, CohortProblem)
    assert "85073003328" not in str(problem)


def test_several_problems_of_one_row_are_reported_together() -> None:
    [problem] = parse_cohort(HEADER + "C-0001,gent!,cw-anna,,maybe,2025-13-01\n")
    assert isinstance(problem, CohortProblem)
    assert "ocmw" in problem.reason and "registered_jobseeker" in problem.reason
    assert "opened_on" in problem.reason


def test_a_case_listed_twice_is_a_problem_on_its_second_line() -> None:
    entries = parse_cohort(HEADER + "C-0001,gent,cw-anna,,,\nC-0002,gent,cw-anna,,,\n"
                           "C-0001,gent,cw-bart,,,\n")
    assert [e.case_id for e in rows(entries)] == ["C-0001", "C-0002"]
    [problem] = problems(entries)
    assert problem.line == 4 and "listed twice (also on line 2)" in problem.reason


def test_line_numbers_count_physical_lines() -> None:
    entries = parse_cohort(HEADER + "\n\nC-0001,gent,cw-anna,,,\n\"C-0002\",gent,cw-anna,,,\n")
    assert [e.line for e in entries] == [4, 5]
    assert all(isinstance(e, CohortRow) for e in entries)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty"),
        ("case_id,ocmw\nC-1,gent\n", "lacks column(s) caseworker"),
        ("case_id,ocmw,caseworker,name\n", "unknown column(s) name"),
        ("case_id,ocmw,caseworker,ocmw\n", "twice"),
    ],
)
def test_an_unusable_header_refuses_the_whole_file(text: str, expected: str) -> None:
    with pytest.raises(CohortFileError) as error:
        parse_cohort(text)
    assert expected in str(error.value)


@pytest.mark.parametrize("word", ["true", "TRUE", "yes", "ja", "1", " y "])
def test_true_words(word: str) -> None:
    assert parse_bool(word) is True


@pytest.mark.parametrize("word", ["false", "No", "nee", "0", "n"])
def test_false_words(word: str) -> None:
    assert parse_bool(word) is False

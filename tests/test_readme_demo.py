"""The README's walkthrough and Web UI filters are true for the demo data.

The demo plan is pure (``okot_dev/demo_plan.py``): every example command of the
README's demo section is run through the journey rules on the case as the demo
seeds it, and every example filter must match demo cases.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from test_demo import NOW, TODAY, drive

from okot.domain import journey
from okot.domain.changes import Accepted
from okot.domain.messages import parse_message
from okot.domain.values import Stage
from okot_dev import demo_plan
from okot_dev.demo_caseload import DemoCase, demo_staff
from okot_dev.devstack import UI_FILTERS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
PLAN = {c.case_id: c for c in demo_plan.plan(TODAY)}


def section(title: str) -> str:
    start = README.index(f"\n## {title}")
    return README[start:README.index("\n## ", start + 1)]


def walkthrough() -> list[list[str]]:
    commands = []
    for line in section("The demo, step by step").splitlines():
        if line.startswith("    .venv/bin/okot "):
            text = line.split("#", 1)[0].replace("$(date +%F)", TODAY.isoformat())
            commands.append(shlex.split(text)[1:])
    return commands


def filters() -> list[str]:
    return [line.strip() for line in section("What operations sees in the Web UI").splitlines()
            if line.startswith("    Okot")]


# ----------------------------------------------------------- a tiny visibility query


ATTRIBUTES = {
    "OkotStage": lambda c: c.target.value,
    "OkotOcmw": lambda c: c.ocmw,
    "OkotCaseworker": lambda c: c.caseworker,
    "OkotMediator": lambda c: c.mediator,
    "OkotOverdue": lambda c: "true" if c.overdue else "false",
    "ExecutionStatus": lambda c: "Running" if c.target is not Stage.CLOSED else "Completed",
}


def matches(query: str, case: DemoCase) -> bool:
    """``A = "x" AND B = y`` (the only form the README uses) against a demo case."""
    for clause in query.split(" AND "):
        found = re.fullmatch(r'\s*(\w+)\s*=\s*"?([\w-]+)"?\s*', clause)
        assert found, f"the test cannot read the filter clause {clause!r}"
        name, value = found.groups()
        if ATTRIBUTES[name](case) != value:
            return False
    return True


@pytest.mark.parametrize("query", [*filters(), *UI_FILTERS])
def test_every_example_filter_matches_demo_cases(query: str) -> None:
    assert any(matches(query, c) for c in PLAN.values()), f"{query} matches no demo case"


def test_the_readme_has_filters_and_a_walkthrough() -> None:
    assert len(filters()) >= 3
    assert len(walkthrough()) >= 5


# ------------------------------------------------------------------- the commands


def options(args: list[str]) -> dict[str, str]:
    out = {}
    for i, arg in enumerate(args):
        if arg.startswith("--"):
            out[arg[2:]] = args[i + 1]
    return out


def run_message(name: str, case: DemoCase, opts: dict[str, str]) -> Accepted:
    role, _, staff = opts.pop("as").partition(":")
    payload: dict[str, Any] = {"actor": {"role": role, "id": staff}}
    payload.update({k.replace("-", "_"): v for k, v in opts.items()})
    decision = journey.decide(drive(case), parse_message(name, payload), NOW)
    assert isinstance(decision, Accepted), (case.case_id, name, decision)
    return decision


def test_every_walkthrough_command_works_on_the_demo_case() -> None:
    seen = set()
    staff = {m.id for m in demo_staff()}
    for command, *args in walkthrough():
        seen.add(command)
        opts = options(args)
        if command in ("status", "timeline"):
            assert args[0] in PLAN
        elif command == "list":
            assert any(c.ocmw == opts["ocmw"] and c.target.value == opts["stage"]
                       for c in PLAN.values())
        elif command == "caseload":
            assert opts["caseworker"] in staff
            assert any(c.caseworker == opts["caseworker"] and c.target is not Stage.CLOSED
                       for c in PLAN.values())
        elif command != "report":
            run_message(command.replace("-", "_"), PLAN[args[0]], opts)
    assert {"give-agreement", "confirm-handover", "status", "report"} <= seen


def test_what_the_readme_says_the_messages_do() -> None:
    by_name = {c[0]: c[1:] for c in walkthrough()}
    agreement_args = by_name["give-agreement"]
    case = PLAN[agreement_args[0]]
    assert case.target is Stage.AWAITING_AGREEMENT
    given = run_message("give_agreement", case, options(agreement_args))
    assert given.status.stage is Stage.HANDOVER  # "moves that case ... to handover"
    mails = [(n.template, n.to) for n in given.notices]
    assert ("agreement_given", case.mediator) in mails  # "sends the formeel akkoord"
    mediator = next(m for m in demo_staff() if m.id == case.mediator)
    assert f"VDAB mediator ({mediator.name.split()[0]})" in " ".join(README.split())

    handover_args = by_name["confirm-handover"]
    handover = run_message("confirm_handover", PLAN[handover_args[0]], options(handover_args))
    assert handover.status.stage is Stage.SCREENING and handover.notices == ()  # "no mail"
    assert handover.status.next_deadline is not None
    assert handover.status.next_deadline.kind.value == "screening_reminder"

"""The workflow benchmark's bare baseline keeps the project's surface (bench/bare.py):
a message added to the journey without a handler there stops ``make bench`` before it
measures anything, so it is caught here, in ``make test``."""

from __future__ import annotations

from temporalio import workflow

from bench.bare import BareTrajectory
from okot.domain.values import MessageName
from workflows.trajectory import OkotTrajectory

BARE = workflow._Definition.must_from_class(BareTrajectory)
PROJECT = workflow._Definition.must_from_class(OkotTrajectory)


def test_the_bare_workflow_has_an_update_and_a_signal_per_message() -> None:
    every = {m.value for m in MessageName}
    assert every <= set(BARE.updates) and every <= set(BARE.signals)


def test_the_bare_workflow_has_the_projects_message_updates_and_signals() -> None:
    assert set(PROJECT.updates) <= set(BARE.updates)
    assert set(PROJECT.signals) - set(BARE.signals) <= {None}  # (a dynamic one: none)

"""Which of the workflow's patches a run has: one marker for all of them since 0.4.0.

Every ``workflow.patched`` call that returns true for the first time writes a marker
and an upsert of ``TemporalChangeVersion`` into the history: a new trajectory used to
open with six of each (two events per patch, in its first workflow task and again in
every run after a continue-as-new). A run started since the ``baseline-0.4`` patch
has all the patches of :data:`COVERED` and rules version :data:`BASELINE_RULES_VERSION`
under that one marker. A run recorded before it replays each patch as it was:
``patched(BASELINE)`` is false there, and its own markers decide.

A patch added after 0.4.0 is not covered: it is asked for itself (:meth:`RunPatches.has`).
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from okot.domain import rules_versions

BASELINE = "baseline-0.4"
"""Patch: every patch of :data:`COVERED` at once (runs started since 0.4.0)."""
BASELINE_RULES_VERSION = 3
"""The rules version a trajectory opened under :data:`BASELINE` starts with, unless a
newer rules patch (``rules_versions.START_PATCHES``) says more."""
COVERED = frozenset({
    "run-scoped-keys",
    "independent-effects",
    "lean-effects",
    "per-case-authorization",
    "history-size-bound",
    "rules-v2-routine-checks-not-overdue",
    "rules-v3-overdue-explained",
})
"""The patches of 0.3.0 that :data:`BASELINE` implies (``per-case-authorization-running``
is not among them: only runs started before ``per-case-authorization`` ask for it)."""


@dataclass(frozen=True)
class RunPatches:
    """The patches of one run, asked once when it starts (:func:`run_patches`)."""

    baseline: bool

    def has(self, patch_id: str) -> bool:
        """Whether this run has ``patch_id``: implied by the baseline, or its own marker
        (``workflow.patched``, which records it in a run that is not replaying)."""
        return (self.baseline and patch_id in COVERED) or workflow.patched(patch_id)

    def rules_version(self) -> int:
        """The rules a new trajectory opens under: those of the newest rules patch this
        run has (a history recorded before a rules release replays under its own)."""
        for candidate in sorted(rules_versions.START_PATCHES, reverse=True):
            if self.baseline and candidate <= BASELINE_RULES_VERSION:
                return BASELINE_RULES_VERSION  # (no marker of its own)
            if workflow.patched(rules_versions.START_PATCHES[candidate]):
                return candidate
        return rules_versions.FIRST


def run_patches() -> RunPatches:
    """Ask for the baseline: call it first, before any other ``workflow.patched`` of the
    run, and in the same place in every run (the workflow's ``__init__``)."""
    return RunPatches(baseline=workflow.patched(BASELINE))

"""Idempotency keys: how one trajectory names its records, notices and registration.

A key must be the same on every retry of an activity, after continue-as-new and
after a Temporal Reset (so a re-run writes or sends nothing twice), and must
differ between two trajectories of the same case (a case reopened after a
withdrawal runs under the same workflow id). So keys are scoped by a
**trajectory id**: the run id of the first run of the trajectory's
continue-as-new chain (Temporal's ``first_execution_run_id``, which continue-as-new
and Reset both keep), carried through continue-as-new in the state.

Trajectories started before run-scoped keys keep the scheme they started with
(:meth:`Keys.legacy`): their rows in the database are already written under it.

The rules of the journey (:mod:`okot.domain.changes`) name a notice within its
trajectory (``{seq}:{template}:{role}:{to}``, :func:`notice_suffix`); the
workflow scopes it with :meth:`Keys.notice`.
"""

from __future__ import annotations

from okot.domain.values import Model


def notice_suffix(seq: int, template: str, role: str, to: str) -> str:
    """A notice's name within its trajectory: the event's ``seq``, template and recipient."""
    return f"{seq}:{template}:{role}:{to}"


class Keys(Model):
    """The key scheme of one trajectory, decided when it opens and carried as it is."""

    trajectory_id: str
    """Identifies the trajectory in the database (its rows, snapshot and outbox)."""
    notice_prefix: str
    """What scopes a notice key to this trajectory."""

    @classmethod
    def run_scoped(cls, trajectory_id: str) -> Keys:
        """Keys of a trajectory opened with run-scoped keys: everything under its id."""
        return cls(trajectory_id=trajectory_id, notice_prefix=trajectory_id)

    @classmethod
    def legacy(cls, workflow_id: str, case_id: str) -> Keys:
        """The scheme of trajectories opened before run-scoped keys: the workflow id for
        records and the registration, ``okot-{case_id}`` for notices."""
        return cls(trajectory_id=workflow_id, notice_prefix=f"okot-{case_id}")

    def record(self, number: int) -> str:
        """The key of timeline entry ``number`` in the audit log."""
        return f"{self.trajectory_id}:t{number}"

    def notice(self, suffix: str) -> str:
        """The outbox key of a notice named ``suffix`` (:func:`notice_suffix`)."""
        return f"{self.notice_prefix}:{suffix}"

    def registration(self) -> str:
        """The key of the jobseeker registration (one per trajectory)."""
        return f"{self.trajectory_id}:register"

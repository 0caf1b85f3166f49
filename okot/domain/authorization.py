"""Who may act on which trajectory: a role alone is not enough (pure, no I/O).

The sender must hold the role **on this trajectory** (``shared/domain.md``,
"Who may act on which trajectory"):

- a caseworker acts on trajectories where they are the caseworker;
- a mediator on trajectories where they are the mediator; while no mediator is
  set yet, any mediator may send ``record_info`` and ``submit_candidacy`` (the
  candidacy names the mediator);
- a teamlead on trajectories whose caseworker is in their team (the status
  carries the caseworker's teamlead, ``TrajectoryStatus.teamlead``);
- operations on every trajectory: their role is organisation-wide, and the rule
  table lets them send ``update_policy`` only.

:func:`refusal` is applied by :func:`okot.domain.journey.decide` after the
stage and role checks; :func:`on_case` tells a surface (web, HTTP API) whether
a person may see a trajectory at all.
"""

from __future__ import annotations

from okot.domain.status import TrajectoryStatus
from okot.domain.values import Actor, MessageName, Role

OPEN_TO_ANY_MEDIATOR = frozenset({MessageName.RECORD_INFO, MessageName.SUBMIT_CANDIDACY})
"""What any mediator may send while the trajectory has no mediator yet."""

ORGANISATION_WIDE = frozenset({Role.OPERATIONS})
"""Roles not bound to a trajectory: they may send what the rule table allows them anywhere."""

_WHO = {
    Role.CASEWORKER: "this trajectory's caseworker",
    Role.MEDIATOR: "this trajectory's mediator",
    Role.TEAMLEAD: "the teamlead of this trajectory's caseworker",
}


def holder(status: TrajectoryStatus, role: Role) -> str | None:
    """The staff id that holds ``role`` on this trajectory (None: nobody yet, or unknown)."""
    if role is Role.CASEWORKER:
        return status.caseworker
    if role is Role.MEDIATOR:
        return status.mediator
    if role is Role.TEAMLEAD:
        return status.teamlead
    return None


def on_case(status: TrajectoryStatus, actor: Actor) -> bool:
    """Does ``actor`` hold their role on this trajectory (and so may see it)?"""
    return holder(status, actor.role) == actor.id


def may_send(status: TrajectoryStatus, actor: Actor, name: MessageName) -> bool:
    """May ``actor`` send ``name`` on this trajectory, as far as the person is concerned?"""
    if on_case(status, actor) or actor.role in ORGANISATION_WIDE:
        return True
    return actor.role is Role.MEDIATOR and status.mediator is None and name in OPEN_TO_ANY_MEDIATOR


def refusal(status: TrajectoryStatus, actor: Actor, name: MessageName) -> str | None:
    """Why ``actor`` may not send ``name`` here (None: they may).

    The reason names the stage and who may act; it never repeats the sender's id.
    """
    if may_send(status, actor, name):
        return None
    who = _WHO.get(actor.role, "the people on this trajectory")
    if actor.role is Role.MEDIATOR and status.mediator is None:
        who += " (none is set yet; any mediator may send " + " or ".join(
            sorted(n.value for n in OPEN_TO_ANY_MEDIATOR)) + ")"
    return (
        f"{name.value} refused in stage {status.stage.value}: only {who} may send it "
        f"as {actor.role.value}"
    )

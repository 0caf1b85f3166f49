"""What the Temporal Web UI shows of a trajectory: static summary and details, set at
start, and the current details the workflow keeps up to date. Ids, codes, stages
and dates only: never personal data."""

from __future__ import annotations

from okot.domain.deadlines import awaiting, overdue_of
from okot.domain.overdue import describe
from okot.domain.status import OpenTrajectory, TrajectoryStatus
from okot.domain.values import workflow_id_for


def current_details(status: TrajectoryStatus, stuck: tuple[str, ...] = ()) -> str:
    """The Markdown shown as the workflow's current details in the Web UI; ``stuck``
    lists side effects not done for minutes (ids and codes only)."""
    lines = []
    if stuck:
        shown = "; ".join(f"`{effect}`" for effect in stuck[:5])
        more = f" and {len(stuck) - 5} more" if len(stuck) > 5 else ""
        lines.append(f"**Attention:** not done yet, still retried: {shown}{more} "
                     "(see `okot outbox --failed` and the pending activities)")
    lines.append(f"**Stage:** `{status.stage.value}` since {status.stage_since.date().isoformat()}")
    if status.candidacy is not None:
        lines.append(
            f"**Programme:** {status.candidacy.programme} ({status.candidacy.study_level.value})"
        )
    if status.closure is not None:
        lines.append(f"**Closed:** `{status.closure.value}`")
    if status.outcome is not None:
        lines.append(f"**Training result:** `{status.outcome.value}`")
    deadline = status.next_deadline
    if deadline is not None:
        lines.append(f"**Next deadline:** {deadline.due.isoformat()} ({deadline.kind.value})")
    lines.append(f"**Awaiting:** {awaiting(status)}")
    if status.overdue:
        found = overdue_of(status)
        lines.append(f"**Overdue:** {describe(found, status)}" if found else "**Overdue:** yes")
    if status.stop_report is not None:
        stop = status.stop_report
        lines.append(f"**Stop reported:** by {stop.by.role.value} `{stop.by.id}` on "
                     f"{stop.on.isoformat()} (stopped on {stop.stopped_on.isoformat()}); "
                     "awaiting `record_end` from the mediator")
    if status.follow_up_lead is not None:
        by, confirmed = status.follow_up_agreed_by, status.follow_up_confirmed_by
        who = f" by {by.role.value} `{by.id}`" if by else ""
        check = (f", confirmed by {confirmed.role.value} `{confirmed.id}`" if confirmed
                 else ", not yet confirmed" if by else "")
        lines.append(f"**Follow-up:** `{status.follow_up_lead.value}`{who}{check}")
    lines.append(f"**Caseworker:** `{status.caseworker}` · **Mediator:** `{status.mediator or '-'}`")
    lines.append(
        f"**Reminders sent:** {status.reminders_sent} · **Escalations:** {status.escalations_sent}"
    )
    return "\n\n".join(lines)


def static_summary(request: OpenTrajectory) -> str:
    """The static summary set when the trajectory is started (no personal data)."""
    return f"OKOT {request.case_id} · OCMW {request.ocmw}"


def static_details(request: OpenTrajectory, programme: str | None = None) -> str:
    parts = [
        f"**Case:** `{request.case_id}`",
        f"**OCMW:** `{request.ocmw}`",
        f"**Programme:** {programme or 'to be chosen at candidacy'}",
        f"**Caseworker at opening:** `{request.caseworker}`",
        f"**Registered jobseeker at opening:** {'yes' if request.registered_jobseeker else 'no'}",
        f"**Workflow id:** `{workflow_id_for(request.case_id)}`",
    ]
    return "\n\n".join(parts)

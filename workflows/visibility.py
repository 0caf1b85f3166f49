"""What the workflow publishes about itself: search attributes and the Web UI details."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from okot.domain.status import TrajectoryStatus
    from okot.temporal import search_attributes as sa
    from okot.temporal.ui_texts import current_details


def publish(status: TrajectoryStatus, published: dict[str, Any],
            attention: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Upsert the search attributes that differ from ``published`` and set the current
    details; returns the values now published.

    ``attention`` lists the side effects stuck for minutes (``OkotAttention`` is set
    while there is one, unset otherwise); ``None`` in runs that do not track them,
    which never touch ``OkotAttention``.
    """
    s = status
    deadline = s.next_deadline
    values: dict[str, Any] = {
        sa.STAGE.name: s.stage.value,
        sa.OCMW.name: s.ocmw,
        sa.CASEWORKER.name: s.caseworker,
        sa.MEDIATOR.name: s.mediator,
        sa.STUDY_LEVEL.name: s.study_level.value if s.study_level else None,
        sa.OUTCOME.name: s.outcome.value if s.outcome else None,
        sa.CLOSURE.name: s.closure.value if s.closure else None,
        sa.NEXT_DEADLINE.name: deadline.due_at if deadline else None,
        sa.STAGE_SINCE.name: s.stage_since,
        sa.OVERDUE.name: s.overdue,
    }
    if attention is not None:
        values[sa.ATTENTION.name] = True if attention else None
    if values != published:
        keys = {key.name: key for key in sa.ALL}
        workflow.upsert_search_attributes(
            [keys[name].value_set(value) if value is not None else keys[name].value_unset()
             for name, value in values.items()
             if published.get(name, ...) != value]
        )
        published = values
    workflow.set_current_details(current_details(s, attention or ()))
    return published

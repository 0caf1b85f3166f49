"""The custom search attributes that operations filter on in the Temporal Web UI.

Only ids, codes, stages and dates: never personal data (docs/domain.md).
Register them on every server before a workflow uses them
(:func:`okot.temporal.register_search_attributes`).
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

STAGE = SearchAttributeKey.for_keyword("OkotStage")
OCMW = SearchAttributeKey.for_keyword("OkotOcmw")
CASEWORKER = SearchAttributeKey.for_keyword("OkotCaseworker")
MEDIATOR = SearchAttributeKey.for_keyword("OkotMediator")
STUDY_LEVEL = SearchAttributeKey.for_keyword("OkotStudyLevel")
OUTCOME = SearchAttributeKey.for_keyword("OkotOutcome")
CLOSURE = SearchAttributeKey.for_keyword("OkotClosure")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("OkotNextDeadline")
STAGE_SINCE = SearchAttributeKey.for_datetime("OkotStageSince")
OVERDUE = SearchAttributeKey.for_bool("OkotOverdue")
ATTENTION = SearchAttributeKey.for_bool("OkotAttention")
"""Set while a side effect (an audit record, a mail) has not been done for minutes;
unset when it is (never set by trajectories started before it existed)."""

ALL: tuple[SearchAttributeKey, ...] = (  # type: ignore[type-arg]
    STAGE,
    OCMW,
    CASEWORKER,
    MEDIATOR,
    STUDY_LEVEL,
    OUTCOME,
    CLOSURE,
    NEXT_DEADLINE,
    STAGE_SINCE,
    OVERDUE,
    ATTENTION,
)


def cli_flags() -> list[str]:
    """``--search-attribute K=Type`` flags for ``temporal server start-dev``."""
    kinds = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "BOOL": "Bool"}
    return [
        f"--search-attribute={key.name}={kinds[key.indexed_value_type.name]}" for key in ALL
    ]

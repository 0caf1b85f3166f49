"""The project's own tables (sqlmodel): what outlives Temporal's retention period.

* ``trajectory``: the current snapshot of each trajectory, flattened from
  :class:`~okot.model.TrajectoryStatus` (plus the full status JSON), one row per
  trajectory (``trajectory_id``, see :mod:`okot.domain.keys`): a case reopened
  under the same workflow id has a row per trajectory, the newest is its current one;
* ``stage_visit``: the stage history (entered/left, working days in the stage),
  written at record time so the report aggregates it in SQL;
* ``audit_log``: every accepted and rejected message and every system event;
* ``outbox``: notifications to send (and what became of them);
* ``registration``: jobseeker registrations done by the embedded gateway;
* ``staff``: the staff directory;
* ``api_token``: API tokens for the HTTP API (hashed);
* ``data_key``: the data keys of the payload codec, wrapped by a master key
  (:mod:`okot.crypto.data_keys`; destroyed on erasure);
* ``client_register``: each case's client identity, sealed with a data key
  (:mod:`okot.db.client_register`).

Schema changes go through an alembic migration in ``okot/db/migrations/versions``;
``tests/test_database_schema.py`` checks that the migrations and these models agree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from okot.db.types import UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

JsonType = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)


def _id(length: int = 64, **kw: Any) -> Any:
    if kw.get("nullable"):
        kw.setdefault("default", None)
    return Field(sa_type=sa.String(length), **kw)


def _when(nullable: bool = True, **kw: Any) -> Any:
    if nullable:
        kw.setdefault("default", None)
    return Field(sa_type=UtcDateTime(), nullable=nullable, **kw)


def _json(**kw: Any) -> Any:
    kw.setdefault("default", None)
    return Field(sa_type=JsonType, nullable=True, **kw)


def _date(nullable: bool = True, **kw: Any) -> Any:
    if nullable:
        kw.setdefault("default", None)
    return Field(sa_type=sa.Date(), nullable=nullable, **kw)


def _bool(nullable: bool = True, **kw: Any) -> Any:
    if nullable:
        kw.setdefault("default", None)
    return Field(sa_type=sa.Boolean(), nullable=nullable, **kw)


def _int(nullable: bool = True, **kw: Any) -> Any:
    if nullable:
        kw.setdefault("default", None)
    return Field(sa_type=sa.Integer(), nullable=nullable, **kw)


def _text(**kw: Any) -> Any:
    kw.setdefault("default", None)
    return Field(sa_type=sa.Text(), nullable=True, **kw)


class Trajectory(SQLModel, table=True):
    """The newest snapshot of one trajectory: kept only when its event is newer, by
    (``event_at``, ``event_seq``), the moment and timeline number of that event."""

    __tablename__ = "trajectory"
    __table_args__ = (
        sa.Index("ix_trajectory_caseworker_open", "caseworker", "is_open", "overdue",
                 "next_deadline_due"),
        sa.Index("ix_trajectory_mediator_open", "mediator", "is_open", "overdue",
                 "next_deadline_due"),
        sa.Index("ix_trajectory_ocmw_opened", "ocmw", "opened_on"),
        sa.Index("ix_trajectory_opened", "opened_on"),
        sa.Index("ix_trajectory_closed", "closed_on"),
        sa.Index("ix_trajectory_stage", "stage"),
        # Covering indexes of the report's results and rejection reasons.
        sa.Index("ix_trajectory_results", "outcome", "programme", "study_level"),
        sa.Index("ix_trajectory_reasons", "screening_approved", "screening_reasons"),
        sa.Index("ix_trajectory_funnel", "opened_on", "funnel_step"),
    )

    trajectory_id: str = _id(80, primary_key=True)
    workflow_id: str = _id(80, index=True)
    case_id: str = _id(64, index=True)
    seq: int = _int(nullable=False)
    event_seq: int = _int(nullable=False)
    event_at: datetime = _when(nullable=False)
    ocmw: str = _id(64)
    caseworker: str = _id(64)
    mediator: str | None = _id(64, nullable=True)
    study_level: str | None = _id(32, nullable=True)
    programme: str | None = _id(120, nullable=True)
    stage: str = _id(32)
    is_open: bool = _bool(nullable=False)
    stage_since: datetime = _when(nullable=False)
    closure: str | None = _id(32, nullable=True)
    outcome: str | None = _id(32, nullable=True)
    next_deadline_due: date | None = _date()
    next_deadline_kind: str | None = _id(40, nullable=True)
    awaiting: str | None = _id(200, nullable=True)
    overdue: bool = _bool(nullable=False)
    overdue_kind: str | None = _id(40, nullable=True)
    """Which deadline is overdue (``okot.domain.deadlines.overdue_of``), since when, and
    from whom: ``role:staff_id`` (or ``role``), comma-separated (migration 0006)."""
    overdue_since: date | None = _date()
    overdue_from: str | None = _id(200, nullable=True)
    opened_at: datetime = _when(nullable=False)
    opened_on: date = _date(nullable=False)
    closed_at: datetime | None = _when()
    closed_on: date | None = _date()
    info_on: date | None = _date()
    precheck_on: date | None = _date()
    candidacy_on: date | None = _date()
    agreement_on: date | None = _date()
    handover_on: date | None = _date()
    intake_date: date | None = _date()
    screening_on: date | None = _date()
    screening_approved: bool | None = _bool()
    screening_reasons: str | None = _id(200, nullable=True)
    """The reason codes of the screening, as ``,code,code,`` (for ``LIKE '%,code,%'``)."""
    probable_start: date | None = _date()
    started_on: date | None = _date()
    expected_end: date | None = _date()
    ended_on: date | None = _date()
    training_year: int | None = _int()
    follow_up_lead: str | None = _id(16, nullable=True)
    follow_up_agreed_on: date | None = _date()
    employed_6m: bool | None = _bool()
    employed_12m: bool | None = _bool()
    funnel_step: int | None = _int()
    """How far along the funnel (``okot.db.reports.FUNNEL_STEPS``), for the report."""
    reminders_sent: int = _int(nullable=False, default=0)
    escalations_sent: int = _int(nullable=False, default=0)
    status: dict[str, Any] | None = _json()
    updated_at: datetime = _when(nullable=False)
    purged_at: datetime | None = _when()


class StageVisit(SQLModel, table=True):
    """One stay of a trajectory in a stage; ``working_days`` once it has been left.

    Keyed on the trajectory and the ``seq`` of the event that entered the stage (0 for
    the opening), so events recorded out of order still chain up in the right order.
    """

    __tablename__ = "stage_visit"
    __table_args__ = (
        sa.UniqueConstraint("trajectory_id", "entered_seq", name="uq_stage_visit_entered"),
        sa.Index("ix_stage_visit_stage_days", "stage", "working_days"),
        sa.Index("ix_stage_visit_ocmw_stage_days", "ocmw", "stage", "working_days"),
        sa.Index("ix_stage_visit_opened", "opened_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    trajectory_id: str = _id(80)
    workflow_id: str = _id(80)
    ocmw: str = _id(64)
    opened_on: date = _date(nullable=False)
    stage: str = _id(32)
    entered_seq: int = _int(nullable=False)
    entered_at: datetime = _when(nullable=False)
    left_at: datetime | None = _when()
    working_days: int | None = _int()


CURRENT_ROWS = sa.text("superseded_at IS NULL")


class AuditLog(SQLModel, table=True):
    """Every accepted and rejected message and every system event.

    ``superseded_at`` is set on the rows of a branch that a Temporal Reset
    abandoned, when the new branch records its own event under the same key
    (:func:`okot.db.events.record_event`); they are kept, but only the current
    rows (``superseded_at IS NULL``) are the trajectory's timeline, once per key.
    ``run_id`` is the Temporal run that wrote the row (``NULL`` before migration 0007):
    a retried workflow task keeps its run, a Reset starts a new one.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_workflow_at", "workflow_id", "at"),
        sa.Index("ix_audit_log_trajectory_seq", "trajectory_id", "seq"),
        sa.Index("ix_audit_log_actor", "actor_id", "at"),
        sa.Index("ux_audit_log_key_current", "key", unique=True,
                 sqlite_where=CURRENT_ROWS, postgresql_where=CURRENT_ROWS),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = _id(200)
    trajectory_id: str = _id(80)
    workflow_id: str = _id(80)
    case_id: str = _id(64)
    at: datetime = _when(nullable=False)
    seq: int = _int(nullable=False)
    kind: str = _id(16)
    name: str = _id(64)
    actor_role: str = _id(16)
    actor_id: str = _id(64)
    accepted: bool = _bool(nullable=False)
    reason: str | None = _text()
    summary: str | None = _text()
    stage_before: str = _id(32)
    stage_after: str = _id(32)
    payload: dict[str, Any] | None = _json()
    recorded_at: datetime = _when(nullable=False)
    superseded_at: datetime | None = _when()
    purged_at: datetime | None = _when()
    run_id: str | None = _id(64, nullable=True)


class Outbox(SQLModel, table=True):
    """The notification outbox: one row per notice key; ``attempts`` counts delivery
    attempts, ``last_error`` says what the last failed one met (no personal data)."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_state", "state", "created_at"),
        sa.Index("ix_outbox_case", "case_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = _id(300, unique=True)
    trajectory_id: str = _id(80, index=True)
    workflow_id: str = _id(80)
    case_id: str = _id(64)
    template: str = _id(64)
    recipient_role: str = _id(16)
    recipient: str = _id(64)
    context: dict[str, Any] | None = _json()
    state: str = _id(16)
    attempts: int = _int(nullable=False, default=0)
    last_error: str | None = _text()
    created_at: datetime = _when(nullable=False)
    last_attempt_at: datetime | None = _when()
    claimed_until: datetime | None = _when()
    """While an attempt is delivering: no other attempt sends the same notice before then."""
    sent_at: datetime | None = _when()
    message_id: str | None = _id(300, nullable=True)


class Registration(SQLModel, table=True):
    """Jobseeker registrations (the embedded registration gateway)."""

    __tablename__ = "registration"

    id: int | None = Field(default=None, primary_key=True)
    key: str = _id(200, unique=True)
    trajectory_id: str = _id(80, index=True)
    workflow_id: str = _id(80, index=True)
    case_id: str = _id(64, index=True)
    ocmw: str = _id(64)
    reference: str = _id(32, unique=True)
    created_at: datetime = _when(nullable=False)


class Staff(SQLModel, table=True):
    """The staff directory (``okot staff import``)."""

    __tablename__ = "staff"
    __table_args__ = (sa.Index("ix_staff_ocmw_role", "ocmw", "role"),)

    id: str = _id(64, primary_key=True)
    role: str = _id(16)
    name: str = _id(200)
    email: str = _id(320)
    phone: str | None = _id(64, nullable=True)
    ocmw: str = _id(64)
    teamlead: str | None = _id(64, nullable=True)
    updated_at: datetime = _when(nullable=False)


class ApiToken(SQLModel, table=True):
    """API tokens (``okot token create``): only the SHA-256 of each token is kept."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = _id(64, unique=True)
    staff_id: str = _id(64, index=True)
    created_at: datetime = _when(nullable=False)
    expires_at: datetime | None = _when()
    revoked_at: datetime | None = _when()


class DataKey(SQLModel, table=True):
    """A data key (AES-256) of a scope (a workflow id), wrapped by a master key.

    Erasure sets ``wrapped`` to NULL and ``destroyed_at``: the row stays so that
    decoding says "erased" instead of "unknown key".
    """

    __tablename__ = "data_key"
    __table_args__ = (sa.Index("ix_data_key_scope", "scope", "created_at"),)

    id: str = _id(40, primary_key=True)
    scope: str = _id(200)
    master_key_id: str = _id(40)
    wrapped: bytes | None = Field(default=None, sa_type=sa.LargeBinary(), nullable=True)
    created_at: datetime = _when(nullable=False)
    destroyed_at: datetime | None = _when()


class ClientRecord(SQLModel, table=True):
    """The client register: a case's client identity, sealed with a data key."""

    __tablename__ = "client_register"

    case_id: str = _id(64, primary_key=True)
    key_id: str = _id(40)
    sealed: bytes = Field(sa_type=sa.LargeBinary(), nullable=False)
    updated_at: datetime = _when(nullable=False)


def table(model: type[SQLModel]) -> sa.Table:
    """The core :class:`~sqlalchemy.Table` of a model (for typed core queries)."""
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]


TRAJECTORY = table(Trajectory)
STAGE_VISIT = table(StageVisit)
AUDIT_LOG = table(AuditLog)
OUTBOX = table(Outbox)
REGISTRATION = table(Registration)
STAFF = table(Staff)
API_TOKEN = table(ApiToken)
DATA_KEY = table(DataKey)
CLIENT_REGISTER = table(ClientRecord)

metadata = SQLModel.metadata

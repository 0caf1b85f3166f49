"""The embedded jobseeker registration: the project's database standing in for VDAB.

With ``OKOT_REGISTRATION_GATEWAY=embedded`` (the default) the
``register_jobseeker`` activity records the registration here instead of
calling VDAB: once per idempotency key, with an opaque reference.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from okot.db.engine import write
from okot.db.tables import REGISTRATION
from okot.db.writes import (
    dialect_insert,
    utc_now,
)
from okot.domain.effects import RegisterRequest
from okot.logging import get_logger

log = get_logger(__name__)


def new_reference() -> str:
    """An opaque jobseeker reference: 'WZ-' and 8 hex digits from a random uuid."""
    return "WZ-" + uuid.uuid4().hex[:8].upper()


def record_registration(engine: Engine, request: RegisterRequest) -> str:
    """Register the client as a jobseeker, once per ``request.key``; the reference."""
    r = REGISTRATION.c
    for _attempt in range(10):
        try:
            with write(engine) as conn:
                existing = conn.execute(
                    select(r.reference).where(r.key == request.key)
                ).scalar_one_or_none()
                if existing is not None:
                    return str(existing)
                reference = new_reference()
                conn.execute(
                    dialect_insert(conn, REGISTRATION)
                    .values(
                        key=request.key,
                        trajectory_id=request.trajectory,
                        workflow_id=request.workflow_id,
                        case_id=request.case_id,
                        ocmw=request.ocmw,
                        reference=reference,
                        created_at=utc_now(),
                    )
                    .on_conflict_do_nothing(index_elements=[r.key])
                )
                stored = conn.execute(select(r.reference).where(r.key == request.key)).scalar_one()
        except IntegrityError:  # the random reference is taken: draw another one
            continue
        log.info("jobseeker registered", workflow_id=request.workflow_id, ocmw=request.ocmw,
                 created=stored == reference)
        return str(stored)
    raise RuntimeError("could not draw a free jobseeker reference")  # pragma: no cover

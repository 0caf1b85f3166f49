"""The record activity: a database failure is one safe line; a refusal is not retried."""

from __future__ import annotations

import logging
import random
from datetime import date

import pytest
from db_fixtures import Backend, simulate
from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.record import RecordActivities
from okot.db.engine import create_engine_for
from okot.domain.effects import RecordRequest

pytest_plugins = ("db_fixtures",)

SECRET = "Marie woont Kerkstraat 7"


def request() -> RecordRequest:
    sim = simulate(random.Random(4), "gent-0042", "gent", "cw.anna", "med.bart", date(2024, 2, 5))
    r = sim.requests[1]
    return r.model_copy(update={"payload": {"notes": SECRET}, "trajectory_id": "run-1"})


def test_a_refused_value_fails_at_once_without_the_data(
    db: Engine, db_backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    good = request()
    naive = good.entry.model_copy(update={"at": good.entry.at.replace(tzinfo=None)})
    bad = [good.model_copy(update={"entry": naive})]
    if db_backend.name == "postgresql":  # longer than the column: PostgreSQL refuses it
        bad.append(good.model_copy(update={"entry": good.entry.model_copy(
            update={"name": "x" * 100})}))
    for r in bad:
        with pytest.raises(ApplicationError) as failure:
            ActivityEnvironment().run(RecordActivities(db).record, r)
        err = failure.value
        assert err.non_retryable and err.type == "DatabaseRefused"
        assert err.message.startswith("database refused the write: ")
        assert err.__cause__ is None and len(err.message) < 120
        assert SECRET not in err.message and "INSERT" not in err.message
    assert SECRET not in caplog.text
    assert ActivityEnvironment().run(RecordActivities(db).record, good)


def test_an_unreachable_database_is_retried_with_a_short_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    engine = create_engine_for("postgresql+psycopg://nobody@127.0.0.1:1/none",
                               connect_args={"connect_timeout": 2})
    try:
        with pytest.raises(ApplicationError) as failure:
            ActivityEnvironment().run(RecordActivities(engine).record, request())
    finally:
        engine.dispose()
    err = failure.value
    assert not err.non_retryable and err.type == "DatabaseUnavailable"
    assert err.message == "database unavailable: OperationalError"
    assert SECRET not in caplog.text

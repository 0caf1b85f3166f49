"""Retention: purge removes personal data of old closed trajectories, keeps the figures."""

from __future__ import annotations

from datetime import date

from db_fixtures import Cli, Simulated, simulate_many
from sqlalchemy import select
from sqlalchemy.engine import Engine

from okot.db.events import record_event
from okot.db.outbox import (
    mark_notification,
    put_notification,
)
from okot.db.registrations import record_registration
from okot.db.report_export import management_report, to_csv
from okot.db.reports import (
    ReportFilter,
    build_report,
)
from okot.db.retention import purge
from okot.db.tables import metadata
from okot.domain.calendar import local_date
from okot.domain.effects import (
    NotifyRequest,
    RegisterRequest,
)
from okot.domain.status import Notice
from okot.domain.values import Role

CUTOFF = date(2023, 1, 1)
FILTERS = [ReportFilter(), ReportFilter(ocmw="gent"),
           ReportFilter(opened_from=date(2022, 3, 1), opened_to=date(2022, 9, 30))]

pytest_plugins = ("db_fixtures",)


def load(engine: Engine) -> list[Simulated]:
    sims = simulate_many(60, seed=17, days=400)
    for i, s in enumerate(sims):
        for r in s.requests:
            record_event(engine, r)
        secret = f"contact detail {s.workflow_id} 0470 12 34 56"
        s.free_text.append(secret)
        outbox_id, _ = put_notification(engine, NotifyRequest(
            workflow_id=s.workflow_id,
            notice=Notice(role=Role.CASEWORKER, to=s.status.caseworker, template="registered",
                          key=f"{s.workflow_id}:n", context={"case_id": s.status.case_id,
                                                             "contact": secret}),
        ))
        if i % 3 == 0:
            mark_notification(engine, outbox_id, "failed", error=f"bounced: {secret}")
        reference = record_registration(engine, RegisterRequest(
            workflow_id=s.workflow_id, case_id=s.status.case_id, ocmw=s.status.ocmw,
            key=f"{s.workflow_id}:reg"))
        s.free_text.append(reference)
    return sims


def dump(engine: Engine) -> str:
    with engine.connect() as conn:
        return "\n".join(
            repr(row) for table in metadata.sorted_tables for row in conn.execute(select(table))
        )


def purged(s: Simulated) -> bool:
    closed = s.status.closed_at
    return closed is not None and local_date(closed) < CUTOFF


def test_purge_keeps_figures_and_leaves_no_personal_data(db: Engine) -> None:
    sims = load(db)
    old = [s for s in sims if purged(s)]
    kept = [s for s in sims if not purged(s)]
    assert len(old) >= 10 and len(kept) >= 10
    before = [build_report(db, f) for f in FILTERS]
    before_csv = to_csv(management_report(db, None, 5))

    dry = purge(db, CUTOFF, dry_run=True)
    result = purge(db, CUTOFF)
    assert dry.dry_run and not result.dry_run
    assert result.trajectories == result.snapshots == dry.snapshots == len(old)
    assert result.audit_rows == dry.audit_rows == sum(len(s.requests) for s in old)
    assert result.outbox_rows == dry.outbox_rows == len(old)
    assert result.registrations == dry.registrations == len(old)
    assert "removed free text from" in "\n".join(result.lines())

    assert [build_report(db, f) for f in FILTERS] == before
    assert to_csv(management_report(db, None, 5)) == before_csv

    everything = dump(db)
    for s in old:
        for secret in s.free_text:
            assert secret not in everything, "personal data left behind"
    for s in kept:
        for secret in s.free_text:
            assert secret in everything, "data of recent trajectories must stay"

    again = purge(db, CUTOFF)
    assert (again.trajectories, again.snapshots, again.audit_rows, again.outbox_rows,
            again.registrations) == (len(old), 0, 0, 0, 0)

    # A late (rejected) signal on a purged trajectory is scrubbed by the next purge.
    late = old[0].requests[-1]
    late = late.model_copy(update={
        "key": "late-signal",
        "payload": {"note": "late free text"},
        "entry": late.entry.model_copy(update={"accepted": False, "reason": "closed",
                                               "stage_before": late.status.stage}),
    })
    assert record_event(db, late)
    assert purge(db, CUTOFF).audit_rows == 1
    assert "late free text" not in dump(db)
    assert [build_report(db, f) for f in FILTERS] == before


def test_cli_purge(cli: Cli) -> None:
    sims = load(cli.engine)
    result = cli("db", "purge", "--closed-before", CUTOFF.isoformat(), "--dry-run")
    assert result.exit_code == 0, result.output
    old = sum(1 for s in sims if purged(s))
    assert f"{old} trajectories closed before {CUTOFF}" in result.output
    assert "would remove" in result.output
    result = cli("db", "purge", "--closed-before", CUTOFF.isoformat())
    assert f"removed {old} jobseeker registrations" in result.output
    assert cli("db", "purge", "--closed-before", "soon").exit_code == 2


def test_cli_db_upgrade(cli: Cli) -> None:
    result = cli("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "is at head" in result.output

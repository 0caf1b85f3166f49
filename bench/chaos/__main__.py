"""``make chaos``: the fault suite; prints a table and exits non-zero on a loss.

    .venv/bin/python -m bench.chaos [--quick] [--seed N] [--only SCENARIO ...] [--keep]

See :mod:`bench.chaos` for what it does and what it checks.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.chaos.accounting import (
    Row,
    audit_row,
    by_the_workflow,
    caught_mails,
    mail_row,
    print_table,
    settle,
    task_failures,
)
from bench.chaos.driving import Trajectory
from bench.chaos.faults import Seen, database_outage, server_restart, smtp_outage, worker_kills
from bench.chaos.flood import Answers, hostile_input
from bench.chaos.plan import FULL, QUICK, Plan
from bench.chaos.stack import DEFAULT_POSTGRES, Stack, running_stack, use_a_keyring

Group = tuple[str, list[Trajectory], Seen]


async def _faults(stack: Stack, plan: Plan, rng: random.Random, only: set[str]
                  ) -> tuple[list[Group], Answers | None]:
    client = stack.client
    assert client is not None
    groups: list[Group] = []
    answers = None
    if not only or "crash" in only:
        trajs, seen = await worker_kills(stack, rng, plan.crash, plan.kills, plan.concurrency)
        groups.append((f"worker SIGKILL x{stack.kills}", trajs, seen))
    if not only or "restart" in only:
        trajs, seen = await server_restart(stack, rng, plan.restart, plan.server_down)
        groups.append(("dev server restart", trajs, seen))
    if not only or "smtp" in only:
        trajs, seen = await smtp_outage(stack, rng, plan.smtp, plan.smtp_down, plan.concurrency)
        groups.append((f"SMTP down {plan.smtp_down:.0f} s", trajs, seen))
    if not only or "db" in only:
        trajs, seen = await database_outage(stack, rng, plan.db, plan.db_down, plan.concurrency)
        groups.append((f"database down {plan.db_down:.0f} s", trajs, seen))
    if not only or "hostile" in only:
        trajs, answers = await hostile_input(client, stack.task_queue, rng, plan.hostile,
                                             plan.hostile_trajectories)
        seen = Seen(notes=[f"answers: {', '.join(f'{k} {v}' for k, v in sorted(answers.outcomes.items()))}; "
                           f"longest reason {answers.longest} characters"]
                    + [f"unclear: {p}" for p in answers.problems[:10]])
        groups.append((f"{answers.sent:,} hostile payloads", trajs, seen))
    return groups, answers


async def run(plan: Plan, seed: int, tmp: Path, postgres: str, only: set[str],
              keep: bool) -> int:
    rng = random.Random(seed)
    started = time.perf_counter()
    async with running_stack(tmp, postgres) as stack:
        client = stack.client
        assert client is not None
        groups, answers = await _faults(stack, plan, rng, only)
        everyone = [t for _, trajs, _ in groups for t in trajs]
        stuck = await settle(client, stack.engine, everyone, plan.settle)
        caught = caught_mails(stack.mail_dir)
        rows: list[Row] = []
        notes: list[str] = []
        task_failed: Counter[str] = Counter()
        for name, trajs, seen in groups:
            mine = sum(1 for t in trajs if t.case_id in stuck)
            if answers is not None and trajs[0].scenario == "hostile":
                rows.append(Row(f"{name}: answers", answers.sent, answers.sent, answers.clear,
                                answers.sent - answers.clear, 0, mine))
            mails = mail_row(f"{name}: mails", trajs, caught, mine, stack.kill_times)
            mails.row.explained = mails.resent
            rows.append(mails.row)
            why = [f"{name}: {n}" for n in mails.notes]
            rows.append(audit_row(f"{name}: audit entries", stack.engine, trajs, mine))
            if seen.label:
                rows.append(Row(f"{name}: {seen.label}", sum(t.sent for t in trajs),
                                seen.expected, seen.observed, seen.expected - seen.observed, 0,
                                mine))
            failures: Counter[str] = Counter()
            for t in trajs:
                failures += await task_failures(client, t.workflow_id)
            if trajs[0].scenario == "hostile":
                task_failed = by_the_workflow(failures)
            notes += why + [f"{name}: {n}" for n in seen.notes] + [
                f"{name}: workflow task failures: {sum(failures.values())}"
                + (f" ({', '.join(f'{k} {v}' for k, v in failures.items())})" if failures else "")]
        print()
        print_table(rows)
        print()
        for note in notes:
            print(f"- {note}")
        for case, reason in sorted(stuck.items()):
            print(f"- stuck: {case}: {reason}")
        if stack.exits:
            print(f"- the worker ended by itself {len(stack.exits)} times (exit codes "
                  f"{', '.join(map(str, stack.exits))}) and was started again")
        if stack.relay_exits:
            print(f"- the mail relay ended by itself {len(stack.relay_exits)} times (exit codes "
                  f"{', '.join(map(str, stack.relay_exits))}) and was started again")
        print(f"- {len(everyone)} trajectories, {stack.worker_starts} worker starts, "
              f"{time.perf_counter() - started:.0f} s in all (seed {seed})")
        failed = [r.scenario for r in rows if not r.ok]
        if task_failed:
            failed.append("workflow task failures under hostile input")
        if failed:
            print(f"FAILED: {'; '.join(failed)} (logs in {tmp})")
            stack.keep_database = keep
            return 1
        resent = sum(r.explained for r in rows)
        print("OK: nothing lost, nothing stuck, " + (
            f"no duplicate but {resent} mail(s) resent with the same Message-ID after a "
            "SIGKILL in the SMTP window (at-least-once)" if resent else "nothing duplicated"))
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the bounded run of CI")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--only", action="append", default=[],
                        choices=["crash", "restart", "smtp", "db", "hostile"])
    parser.add_argument("--keep", action="store_true", help="keep the logs and files")
    parser.add_argument("--postgres", default=os.environ.get(
        "OKOT_CHAOS_POSTGRES_URL", os.environ.get("OKOT_TEST_POSTGRES_URL", DEFAULT_POSTGRES)))
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    logging.getLogger("temporalio").setLevel(logging.CRITICAL)
    tmp = Path(tempfile.mkdtemp(prefix="okot-chaos-"))
    use_a_keyring(tmp)
    code = 1
    try:
        code = asyncio.run(run(QUICK if args.quick else FULL, seed, tmp, args.postgres,
                               set(args.only), args.keep))
    finally:
        if code == 0 and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())

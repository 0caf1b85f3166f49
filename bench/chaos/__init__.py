"""The fault suite (``make chaos``, ``make chaos-quick`` in CI): nothing lost, nothing
confused, nothing stuck, under faults, with figures.

It starts the system as in production, each part a real process or server
(:mod:`bench.chaos.stack`): a Temporal dev server on its own SQLite file, the worker
as a subprocess, a real SMTP catcher, a PostgreSQL database of its own that the
worker reaches through a proxy that can be cut, payload encryption on. It drives
trajectories through the client API as ``okot`` and the web app do
(:mod:`bench.chaos.driving`) while it breaks things (:mod:`bench.chaos.faults`,
:mod:`bench.chaos.flood`):

* the worker SIGKILLed and restarted during the happy path of many trajectories;
* the dev server stopped and started again on its file with timers pending;
* the mail server down for a while (``okot outbox --failed`` must show the backlog);
* the database unreachable for the worker for a while;
* random and hostile Update and Signal payloads (:mod:`bench.chaos.hostile`).

Then it waits for everything to settle and counts (:mod:`bench.chaos.accounting`):
every mail the rules imply exactly once at the SMTP catcher (by Message-ID and by
recipient x template x case), every timeline entry exactly once in the audit log,
every workflow where the rules say it is with nothing pending. It prints one table
(scenario, sent, expected, observed, lost, duplicated, stuck) and exits non-zero on
any loss, unexplained duplicate, stuck trajectory or workflow task failure under
hostile input. How much of each fault: :mod:`bench.chaos.plan`.
"""

"""How much of each fault: the full run (``make chaos``) and the bounded one of CI."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    crash: int
    """Trajectories driven along the happy path while the worker is killed."""
    kills: int
    restart: int
    """Trajectories with timers pending while the dev server restarts."""
    server_down: float
    smtp: int
    smtp_down: float
    db: int
    db_down: float
    hostile: int
    """Random and hostile Update and Signal payloads."""
    hostile_trajectories: int
    concurrency: int
    settle: float
    """Seconds to wait, after the last fault, for everything to be done."""


FULL = Plan(crash=100, kills=10, restart=25, server_down=20, smtp=20, smtp_down=120, db=20,
            db_down=90, hostile=2000, hostile_trajectories=20, concurrency=25, settle=900)
QUICK = Plan(crash=20, kills=3, restart=8, server_down=8, smtp=8, smtp_down=30, db=8,
             db_down=30, hostile=300, hostile_trajectories=5, concurrency=20, settle=300)

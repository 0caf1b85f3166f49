"""An Update decided once: the validator's decision, kept for its handler.

An Update's validator parses and decides the message (a refusal leaves no trace);
its handler runs right after, in the same workflow task, and must apply the same
decision. Deciding twice costs a parse and a run of the rules per Update; the
handler takes the kept decision when nothing moved in between (the same payload
object, state version, authorization rule and time), and decides again otherwise.
Replay runs no validator: the handler decides, with the same pure rules and inputs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from okot.domain.changes import Accepted
    from okot.domain.messages import Message
    from okot.domain.values import MessageName

Decided = tuple[Message, Accepted]


class ValidatedDecisions:
    """The last validated Update's decision, until its handler takes it."""

    def __init__(self) -> None:
        self._kept: tuple[tuple[Any, ...], int, bool, datetime, Decided] | None = None

    def keep(self, args: tuple[Any, ...], version: int, per_case: bool, now: datetime,
             decided: Decided) -> None:
        self._kept = (args, version, per_case, now, decided)

    def take(self, name: MessageName, args: tuple[Any, ...], version: int, per_case: bool,
             now: datetime) -> Decided | None:
        """The kept decision if it is this Update's and nothing moved since, else None."""
        kept, self._kept = self._kept, None
        if kept is None:
            return None
        seen, seen_version, seen_per_case, at, decided = kept
        same = (len(seen) == len(args) == 1 and seen[0] is args[0] and decided[0].name is name
                and seen_version == version and seen_per_case == per_case
                and at == now)
        return decided if same else None

"""One durable timer per deadline (runs since the ``lean-effects`` patch).

The main loop waits for the next message or the next deadline. Waiting with a
timeout starts a timer each time it waits and cancels it when a message comes:
two history events per message even when the deadline stays where it was.
:class:`DeadlineTimer` keeps the timer of the current deadline until it fires or
the deadline moves (then it is cancelled and one for the new deadline started).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from okot.domain.status import Deadline


class DeadlineTimer:
    """The timer of the trajectory's next deadline, kept while the deadline stays."""

    def __init__(self) -> None:
        self._due: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    def arm(self, deadline: Deadline) -> asyncio.Task[None]:
        """The timer that ends at ``deadline.due_at``: the running one if it is for that
        moment, else a new one (the old one cancelled)."""
        if self._task is None or self._due != deadline.due_at:
            self.clear()
            self._due = deadline.due_at
            self._task = asyncio.ensure_future(workflow.sleep(
                deadline.due_at - workflow.now(),
                summary=f"{deadline.kind.value} due {deadline.due.isoformat()}"))
        return self._task

    async def wait(self, deadline: Deadline, woken: Callable[[], bool]) -> bool:
        """Until ``deadline`` is due (True: its timer fired) or ``woken()`` (False)."""
        timer = self.arm(deadline)
        await workflow.wait_condition(lambda: woken() or timer.done())
        if not timer.done():
            return False
        self.clear()
        return True

    def clear(self) -> None:
        """Forget the timer (cancelled if it has not fired): the next :meth:`arm` starts one."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task, self._due = None, None

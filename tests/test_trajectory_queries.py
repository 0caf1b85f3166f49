"""Reading a trajectory survives a query lost to a continue-as-new race."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.service import RPCError, RPCStatusCode

from okot.temporal import trajectories


class FlakyHandle:
    def __init__(self, failures: list[RPCStatusCode]) -> None:
        self.failures = failures
        self.calls: list[dict[str, Any]] = []

    async def query(self, name: str, **kwargs: Any) -> str:
        self.calls.append({"name": name, **kwargs})
        if self.failures:
            raise RPCError("query deadline exceeded", self.failures.pop(0), b"")
        return "answer"


@pytest.fixture
def handle(monkeypatch: pytest.MonkeyPatch) -> FlakyHandle:
    flaky = FlakyHandle([])
    monkeypatch.setattr(trajectories, "handle_for", lambda client, case_id: flaky)
    return flaky


async def test_a_query_lost_to_a_deadline_is_asked_again(handle: FlakyHandle) -> None:
    handle.failures[:] = [RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.DEADLINE_EXCEEDED]
    assert await trajectories.status(None, "C-1") == "answer"  # type: ignore[arg-type]
    assert len(handle.calls) == 3
    assert all(c["rpc_timeout"] == trajectories.QUERY_ATTEMPT for c in handle.calls)


async def test_a_query_that_keeps_timing_out_fails_after_the_last_attempt(handle: FlakyHandle) -> None:
    handle.failures[:] = [RPCStatusCode.DEADLINE_EXCEEDED] * trajectories.QUERY_ATTEMPTS
    with pytest.raises(RPCError):
        await trajectories.timeline(None, "C-1")  # type: ignore[arg-type]
    assert len(handle.calls) == trajectories.QUERY_ATTEMPTS


async def test_other_query_errors_are_not_retried(handle: FlakyHandle) -> None:
    handle.failures[:] = [RPCStatusCode.NOT_FOUND]
    with pytest.raises(RPCError):
        await trajectories.status(None, "C-1")  # type: ignore[arg-type]
    assert len(handle.calls) == 1

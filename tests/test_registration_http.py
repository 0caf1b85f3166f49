"""The HTTP registration gateway against the VDAB simulator on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import mail_helpers as h
import pytest
import typer
from typer.testing import CliRunner

from okot.domain.effects import RegisterRequest
from okot.settings import Settings
from okot.vdab.gateway import (
    HttpRegistrationGateway,
    PermanentRegistrationError,
    RegistrationGateway,
    TemporaryRegistrationError,
    gateway_from_settings,
)
from okot_dev import (
    commands as cli_vdab,
)
from okot_dev import (
    vdab_sim,
)


def request(case_id: str = h.CASE_ID, key: str | None = None, ocmw: str = "gent") -> RegisterRequest:
    return RegisterRequest(
        workflow_id=f"okot-{case_id}",
        case_id=case_id,
        ocmw=ocmw,
        key=key or f"okot-{case_id}:register:1",
    )


@pytest.fixture
def sim() -> Iterator[vdab_sim.VdabServer]:
    with vdab_sim.running(port=0) as server:
        yield server


def gateway(server: vdab_sim.VdabServer, timeout: float = 5.0) -> HttpRegistrationGateway:
    return HttpRegistrationGateway(server.url, timeout)


def listed(server: vdab_sim.VdabServer) -> dict[str, object]:
    response = httpx.get(f"{server.url}/jobseekers", timeout=5)
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, dict)
    return body


# ------------------------------------------------------------------- success


async def test_registers_and_returns_the_reference(sim: vdab_sim.VdabServer) -> None:
    result = await gateway(sim).register(request())
    assert result.reference == "VDAB-00000001"
    assert listed(sim) == {
        "count": 1,
        "jobseekers": [{"reference": "VDAB-00000001", "case_id": h.CASE_ID, "ocmw": "gent"}],
    }


async def test_same_key_registers_once(sim: vdab_sim.VdabServer) -> None:
    gw = gateway(sim)
    first = await gw.register(request(key="k-1"))
    again = await gw.register(request(key="k-1"))
    assert first == again
    other = await gw.register(request(case_id="GENT-2025-0043", key="k-2"))
    assert other.reference != first.reference
    assert listed(sim)["count"] == 2
    assert len(sim.state.registrations) == 2


async def test_a_registered_case_keeps_its_reference_under_a_new_key(
    sim: vdab_sim.VdabServer,
) -> None:
    gw = gateway(sim)
    first = await gw.register(request(key="attempt-1"))
    second = await gw.register(request(key="attempt-2"))
    assert second == first
    assert listed(sim)["count"] == 1


async def test_replay_is_marked_by_the_simulator(sim: vdab_sim.VdabServer) -> None:
    body = {"case_id": h.CASE_ID, "ocmw": "gent"}
    async with httpx.AsyncClient(base_url=sim.url) as client:
        first = await client.post("/jobseekers", json=body, headers={"Idempotency-Key": "x1"})
        second = await client.post("/jobseekers", json=body, headers={"Idempotency-Key": "x1"})
    assert first.status_code == 201 and second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["reference"] == second.json()["reference"]


# ------------------------------------------------------------ temporary faults


async def test_injected_503_is_temporary() -> None:
    with vdab_sim.running(port=0, fail_rate=1.0) as server:
        with pytest.raises(TemporaryRegistrationError) as caught:
            await gateway(server).register(request())
        assert caught.value.status == 503
        assert caught.value.retryable
        assert server.state.failures_injected == 1
        assert server.state.registrations == []


async def test_retries_through_a_flaky_vdab_register_once() -> None:
    with vdab_sim.running(port=0, fail_rate=0.5, seed=7) as server:
        gw = gateway(server)
        outcomes: list[str] = []
        for _ in range(40):
            try:
                outcomes.append((await gw.register(request(key="flaky"))).reference)
            except TemporaryRegistrationError as error:
                assert error.status == 503
                outcomes.append("503")
        references = {o for o in outcomes if o != "503"}
        assert references == {"VDAB-00000001"}
        assert "503" in outcomes
        assert len(server.state.registrations) == 1
    # The failures are drawn from a seeded generator: the same seed, the same run.
    with vdab_sim.running(port=0, fail_rate=0.5, seed=7) as server:
        gw = gateway(server)
        replay: list[str] = []
        for _ in range(40):
            try:
                replay.append((await gw.register(request(key="flaky"))).reference)
            except TemporaryRegistrationError:
                replay.append("503")
    assert replay == outcomes


async def test_timeout_is_temporary() -> None:
    with vdab_sim.running(port=0, latency_ms=600) as server:
        started = time.monotonic()
        with pytest.raises(TemporaryRegistrationError, match=r"did not answer within 0\.15s"):
            await gateway(server, timeout=0.15).register(request())
        assert time.monotonic() - started < 0.55


async def test_latency_within_the_timeout_succeeds() -> None:
    with vdab_sim.running(port=0, latency_ms=100) as server:
        started = time.monotonic()
        result = await gateway(server, timeout=2.0).register(request())
        assert time.monotonic() - started >= 0.1
    assert result.reference == "VDAB-00000001"


async def test_unreachable_vdab_is_temporary() -> None:
    gw = HttpRegistrationGateway(f"http://127.0.0.1:{h.free_port()}", 2.0)
    with pytest.raises(TemporaryRegistrationError, match="unreachable"):
        await gw.register(request())


@pytest.mark.parametrize(
    ("status", "body"),
    [(502, b"<html>Bad gateway</html>"), (429, b'{"message": "te veel aanvragen"}'),
     (200, b'{"status": "ok"}'), (201, b"not json")],
)
async def test_other_temporary_answers(status: int, body: bytes) -> None:
    transport = httpx.MockTransport(lambda _: httpx.Response(status, content=body))
    gw = HttpRegistrationGateway("http://vdab.invalid", 1.0, transport=transport)
    with pytest.raises(TemporaryRegistrationError) as caught:
        await gw.register(request())
    assert caught.value.status == status


# ------------------------------------------------------------ permanent faults


async def test_4xx_is_permanent_with_vdabs_message(sim: vdab_sim.VdabServer) -> None:
    gw = gateway(sim)
    await gw.register(request(key="shared-key"))
    with pytest.raises(PermanentRegistrationError) as caught:
        await gw.register(request(case_id="GENT-2025-0099", key="shared-key"))
    error = caught.value
    assert error.status == 422
    assert not error.retryable
    assert error.vdab_message == "Idempotency-Key werd al gebruikt voor een andere aanvraag"
    # The exception text itself stays free of free text and ids of other cases.
    assert str(error) == "VDAB refused the registration (HTTP 422)"
    assert listed(sim)["count"] == 1


async def test_4xx_without_a_json_message() -> None:
    transport = httpx.MockTransport(lambda _: httpx.Response(404, content=b"<html>nope</html>"))
    gw = HttpRegistrationGateway("http://vdab.invalid", 1.0, transport=transport)
    with pytest.raises(PermanentRegistrationError) as caught:
        await gw.register(request())
    assert caught.value.vdab_message == "HTTP 404 zonder toelichting"


async def test_the_gateway_sends_the_contract() -> None:
    seen: list[httpx.Request] = []

    def answer(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(201, json={"reference": "VDAB-42"})

    gw = HttpRegistrationGateway("http://vdab.invalid/api/", 1.0,
                                 transport=httpx.MockTransport(answer))
    result = await gw.register(request(key="okot-x:7:register"))
    assert result.reference == "VDAB-42"
    (sent,) = seen
    assert sent.method == "POST"
    assert str(sent.url) == "http://vdab.invalid/api/jobseekers"
    assert sent.headers["Idempotency-Key"] == "okot-x:7:register"
    assert json.loads(sent.content) == {"case_id": h.CASE_ID, "ocmw": "gent"}


# --------------------------------------------------- the simulator's contract


async def test_simulator_refuses_bad_requests(sim: vdab_sim.VdabServer) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as client:
        no_key = await client.post("/jobseekers", json={"case_id": h.CASE_ID, "ocmw": "gent"})
        bad_json = await client.post("/jobseekers", content=b"{nope",
                                     headers={"Idempotency-Key": "a"})
        not_object = await client.post("/jobseekers", json=[1], headers={"Idempotency-Key": "b"})
        no_case = await client.post("/jobseekers", json={"ocmw": "gent"},
                                    headers={"Idempotency-Key": "c"})
        bad_ocmw = await client.post("/jobseekers", json={"case_id": h.CASE_ID, "ocmw": "G!"},
                                     headers={"Idempotency-Key": "d"})
        unknown = await client.post("/elsewhere", json={}, headers={"Idempotency-Key": "e"})
        health = await client.get("/health")
    assert (no_key.status_code, no_key.json()) == (400, {"message": "Idempotency-Key ontbreekt"})
    assert bad_json.status_code == 400 and "JSON" in bad_json.json()["message"]
    assert not_object.status_code == 422
    assert no_case.status_code == 422 and "case_id" in no_case.json()["message"]
    assert bad_ocmw.status_code == 422 and "ocmw" in bad_ocmw.json()["message"]
    assert unknown.status_code == 404
    assert health.json() == {"status": "ok"}
    assert sim.state.registrations == []


def test_simulator_rejects_a_bad_fail_rate() -> None:
    with pytest.raises(ValueError, match="fail_rate"):
        vdab_sim.make_server(0, fail_rate=1.5)


async def test_python_dash_m_entry_point() -> None:
    port = h.free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "okot_dev.vdab_sim", "--port", str(port), "--fail-rate", "0",
         "--latency", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
            assert time.monotonic() < deadline, "the simulator did not come up"
            time.sleep(0.05)
        result = await HttpRegistrationGateway(f"http://127.0.0.1:{port}", 2.0).register(request())
        assert result.reference == "VDAB-00000001"
    finally:
        proc.terminate()
        proc.wait(timeout=5)


# ----------------------------------------------------------- wiring and CLI


class _Embedded:
    async def register(self, request: RegisterRequest) -> object:  # pragma: no cover
        raise AssertionError("not called")


def test_gateway_from_settings() -> None:
    embedded = _Embedded()
    assert gateway_from_settings(Settings(registration_gateway="embedded"), embedded) is embedded  # type: ignore[arg-type]
    http = gateway_from_settings(
        Settings(registration_gateway="http", vdab_url="http://vdab.test:9000/",
                 vdab_timeout_seconds=3.5),
        embedded,  # type: ignore[arg-type]
    )
    assert isinstance(http, HttpRegistrationGateway)
    assert isinstance(http, RegistrationGateway)
    assert http.url == "http://vdab.test:9000/jobseekers" and http.timeout == 3.5
    with pytest.raises(ValueError, match="OKOT_REGISTRATION_GATEWAY"):
        gateway_from_settings(Settings(registration_gateway="carrier-pigeon"), embedded)  # type: ignore[arg-type]


def test_cli_command(monkeypatch: pytest.MonkeyPatch) -> None:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """okot"""

    cli_vdab.register(app)
    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(vdab_sim, "run", lambda *a, **kw: calls.append((*a, kw)))
    runner = CliRunner()
    help_result = runner.invoke(app, ["vdab-sim", "--help"])
    assert help_result.exit_code == 0
    for option in ("--port", "--fail-rate", "--latency"):
        assert option in help_result.output
    result = runner.invoke(app, ["vdab-sim", "--port", "9123", "--fail-rate", "0.25",
                                 "--latency", "40"])
    assert result.exit_code == 0, result.output
    assert calls == [(9123, 0.25, 40, {"host": "127.0.0.1", "seed": 0})]
    bad = runner.invoke(app, ["vdab-sim", "--fail-rate", "2"])
    assert bad.exit_code != 0

"""The dev stack: Temporal dev server process, mail catcher, demo seeding, ``okot dev``."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.testing import WorkflowEnvironment
from workflow_helpers import running_worker

from okot.domain.values import Stage
from okot.mail import smtp
from okot.settings import Settings
from okot.temporal import search_attributes as sa
from okot.temporal import trajectories
from okot_dev import (
    demo_caseload,
    demo_plan,
    demo_seed,
    devserver,
    ports,
)
from okot_dev.mailcatcher import (
    MailCatcher,
    list_mails,
)

ROOT = Path(__file__).resolve().parent.parent


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, ""


# ----------------------------------------------------------------- dev server


async def test_dev_server_starts_registers_search_attributes_and_stops(tmp_path: Path) -> None:
    port, ui_port = ports.free_port(), ports.free_port()
    db_file = tmp_path / "temporal.db"
    started = time.monotonic()
    async with devserver.dev_server(
        db_file, port=port, ui_port=ui_port, log_file=tmp_path / "temporal.log"
    ) as (server, client):
        assert server.running
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        assert {key.name for key in sa.ALL} <= set(listed.custom_attributes)
        described = await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=client.namespace)
        )
        retention = described.config.workflow_execution_retention_ttl.ToTimedelta()
        assert retention >= timedelta(days=30)
        # the Web UI answers on its port
        assert server.ui_url is not None
        status, _ = http_get(server.ui_url + "/")
        assert status == 200
        # a second server on the same ports is refused with a clear message
        with pytest.raises(devserver.DevStackError, match="already in use"):
            devserver.DevServer(db_file=None, port=port, ui_port=None).start()
    assert server.process is not None and server.process.returncode is not None
    assert ports.port_is_free(port) and ports.port_is_free(ui_port)
    assert db_file.exists()  # persistent: the next start resumes the same data
    assert time.monotonic() - started < 40


async def test_dev_server_that_cannot_start_is_reported(tmp_path: Path) -> None:
    server = devserver.DevServer(
        db_file=tmp_path / "not-a-dir" / "x.db", port=ports.free_port(), ui_port=None,
        log_file=tmp_path / "t.log", binary=Path(sys.executable),  # not the temporal CLI
    )
    server.start()
    try:
        with pytest.raises(devserver.DevStackError, match="exited"):
            await server.wait_ready(10)
    finally:
        server.stop()


def test_the_server_command_has_every_search_attribute() -> None:
    server = devserver.DevServer(db_file=Path("var/t.db"), port=7233, ui_port=8233,
                                binary=Path("temporal"))
    command = server.command()
    assert command[:3] == ["temporal", "server", "start-dev"]
    for flag in sa.cli_flags():
        assert flag in command
    assert command[command.index("--db-filename"):][:2] == ["--db-filename", "var/t.db"]
    assert "--headless" in devserver.DevServer(db_file=None, ui_port=None).command()
    assert "--ui-codec-endpoint" not in command
    codec = devserver.DevServer(db_file=None, ui_port=8233,
                                codec_endpoint="http://127.0.0.1:8000/codec").command()
    assert codec[codec.index("--ui-codec-endpoint"):][:2] == [
        "--ui-codec-endpoint", "http://127.0.0.1:8000/codec"]


# ---------------------------------------------------------------- mail catcher


async def test_mail_catcher_receives_real_smtp_and_lists_it(tmp_path: Path) -> None:
    mail_dir = tmp_path / "mail"
    smtp_port, http_port = ports.free_port(), ports.free_port()
    with MailCatcher(mail_dir, smtp_port=smtp_port, http_port=http_port) as catcher:
        message = EmailMessage()
        message["From"] = "okot-flow@example.org"
        message["To"] = "Anna Proefmans (demo) <anna.proefmans.gent@example.org>"
        message["Subject"] = "OKOT-dossier DEMO-0001: herinnering"
        message["Message-ID"] = smtp.message_id_for("test-key")
        message.set_content("Beste Anna,\n\nDit is een test.\n")
        settings = Settings(smtp_host="127.0.0.1", smtp_port=smtp_port, mail_dir=None)
        await smtp.send(message, settings)  # the worker's own SMTP path

        files = list(mail_dir.glob("*.eml"))
        assert len(files) == 1
        assert b"Dit is een test." in files[0].read_bytes()
        assert catcher.handler.caught == 1

        assert catcher.page_url == f"http://127.0.0.1:{http_port}"
        status, page = http_get(catcher.page_url + "/")
        assert status == 200
        assert "OKOT-dossier DEMO-0001: herinnering" in page
        status, listing = http_get(catcher.page_url + "/api/mails")
        assert status == 200
        [entry] = json.loads(listing)
        assert entry["name"] == files[0].name
        assert "anna.proefmans.gent@example.org" in entry["to"]
        status, shown = http_get(f"{catcher.page_url}/mail/{files[0].name}")
        assert status == 200 and "Dit is een test." in shown
        status, raw = http_get(f"{catcher.page_url}/raw/{files[0].name}")
        assert status == 200 and "Message-ID:" in raw
        assert http_get(f"{catcher.page_url}/raw/..%2F..%2Fetc%2Fpasswd")[0] == 404
        assert http_get(f"{catcher.page_url}/mail/missing.eml")[0] == 404
    assert ports.port_is_free(smtp_port) and ports.port_is_free(http_port)
    assert [m.subject for m in list_mails(mail_dir)] == ["OKOT-dossier DEMO-0001: herinnering"]


def test_mail_catcher_refuses_a_taken_port(tmp_path: Path) -> None:
    with MailCatcher(tmp_path, smtp_port=ports.free_port(), http_port=None) as first:
        second = MailCatcher(tmp_path, smtp_port=first.smtp_port, http_port=None)
        with pytest.raises(RuntimeError, match="cannot start the SMTP catcher"):
            second.start()


# --------------------------------------------------------------------- seeding


async def test_seeding_twice_does_not_duplicate(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> None:
    client = dev_env.client
    demo_caseload.import_demo_staff(engine)
    # ids of their own: the dev server is shared by the whole test session
    run = uuid.uuid4().hex[:6].upper()

    def own(case: demo_caseload.DemoCase) -> demo_caseload.DemoCase:
        return dataclasses.replace(case, case_id=f"T{run}-{case.case_id}")

    cases = [own(c) for c in demo_plan.plan()[:12]]  # one case of every target stage and closure
    async with running_worker(client, engine, task_queue):
        first = await demo_seed.seed(client, task_queue, cases=cases, engine=engine)
        assert first.failed == {}
        assert first.opened == sorted(c.case_id for c in cases) and first.skipped == []

        for case in cases:
            status = await trajectories.status(client, case.case_id)
            assert status.stage is case.target, case.case_id
            assert status.closure is case.closure, case.case_id
            if case.overdue:
                assert status.overdue and status.reminders_sent >= 1, case.case_id

        second = await demo_seed.seed(client, task_queue, cases=cases, engine=engine)
        assert second.opened == [] and second.failed == {}
        assert second.skipped == first.opened
        assert "0 demo case(s) created, 12 already there" in second.summary()

        # a case whose seeding was interrupted (Ctrl-C) is finished by the next run
        half = own(next(c for c in demo_plan.plan()[12:] if c.target is Stage.IN_TRAINING))
        await trajectories.open_trajectory(client, half.request(), task_queue)
        for message in half.messages[:3]:
            await trajectories.send(client, half.case_id, message)
        resumed = await demo_seed.seed(client, task_queue, cases=[half], engine=engine)
        assert resumed.resumed == [half.case_id] and resumed.failed == {}
        assert (await trajectories.status(client, half.case_id)).stage is Stage.IN_TRAINING
        again = await demo_seed.seed(client, task_queue, cases=[half], engine=engine)
        assert again.skipped == [half.case_id]

    # one workflow run per case: nothing was started twice
    for case in cases:
        runs = [
            wf async for wf in client.list_workflows(f'WorkflowId = "{case.workflow_id}"')
        ]
        assert len(runs) <= 1, case.case_id  # visibility may lag; never two
    assert any(s is Stage.CLOSED for s in (c.target for c in cases))


# -------------------------------------------------------------------- okot dev

DEV_APP = """
import typer
from okot_dev.commands import register_dev
app = typer.Typer()
register_dev(app)
@app.command()
def noop() -> None: pass
app()
"""


def test_okot_dev_starts_prints_where_to_look_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    chosen = {name: ports.free_port() for name in ("port", "ui", "smtp", "mail", "web", "idp")}
    env = {**os.environ, "OKOT_DATABASE_URL": f"sqlite:///{tmp_path / 'okot.db'}",
           "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable, "-c", DEV_APP, "dev", "--no-seed",
        "--port", str(chosen["port"]), "--ui-port", str(chosen["ui"]),
        "--smtp-port", str(chosen["smtp"]), "--mail-port", str(chosen["mail"]),
        "--var-dir", str(tmp_path / "var"),
        "--web-port", str(chosen["web"]), "--idp-port", str(chosen["idp"]),
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        for line in process.stdout:
            lines.append(line)
            if line.startswith("(ready in") or time.monotonic() > deadline:
                break
        output = "".join(lines)
        assert "dev stack is running" in output, output
        login = httpx.get(f"http://127.0.0.1:{chosen['web']}/inloggen", timeout=10)
        assert login.status_code == 302, login.text
        assert login.headers["location"].startswith(f"http://127.0.0.1:{chosen['idp']}/")
        ui = f"http://127.0.0.1:{chosen['ui']}"
        preflight = httpx.options(f"http://127.0.0.1:{chosen['web']}/codec/decode", timeout=10,
                                  headers={"origin": ui, "access-control-request-method": "POST"})
        assert preflight.headers.get("access-control-allow-origin") == ui, "codec answers the UI"
        anonymous = httpx.post(f"http://127.0.0.1:{chosen['web']}/codec/decode", timeout=10,
                               json={"payloads": []}, headers={"origin": ui})
        assert anonymous.status_code == 401
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output += rest
    assert process.returncode == 0, output
    assert "Stopped." in output
    assert f"http://localhost:{chosen['ui']}/namespaces/default/workflows" in output
    assert f"http://127.0.0.1:{chosen['mail']}" in output
    assert 'OkotStage = "screening"' in output and "OkotOverdue = true" in output
    assert 'OkotOcmw = "gent" AND OkotStage = "in_training"' in output
    assert f"export TEMPORAL_ADDRESS=127.0.0.1:{chosen['port']}" in output
    for hint in ("okot status DEMO-", "okot confirm-handover DEMO-", "--as caseworker:",
                 "okot caseload --caseworker ", "okot report"):
        assert hint in output
    # the web app and how to log in as a demo caseworker, mediator and team lead
    assert f"Web app          http://127.0.0.1:{chosen['web']}" in output
    assert f"http://127.0.0.1:{chosen['idp']}" in output
    for role, email in (("caseworker", "anna.proefmans.gent@example.org"),
                        ("mediator", "@example.org"), ("teamlead", "@example.org"),
                        ("operations", "sam.beheer@example.org")):
        assert any(line.strip().startswith(role) and email in line
                   for line in output.splitlines()), role
    assert f"open the Web UI at http://127.0.0.1:{chosen['ui']} (codec server" in output
    assert (tmp_path / "var" / "temporal.db").exists()
    for port in chosen.values():
        assert ports.port_is_free(port), port

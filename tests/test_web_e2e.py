"""End to end in a real browser: headless Chromium (Playwright) against a live dev
server, worker, ``okot web`` and a local OpenID provider (oidc-provider-mock).

Screenshots of the main pages go to ``var/screenshots/`` (not committed).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from db_fixtures import simulate_many
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment
from test_web_api import status, to_screening
from web_helpers import STAFF, Api, api_on, live_app, live_web_app
from workflow_helpers import running_worker

from okot.db.events import record_event
from okot.domain.calendar import local_date
from okot_dev.idp import CLIENT_ID, CLIENT_SECRET, start_idp
from okot_dev.ports import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
EMAIL = {m.id: m.email for m in STAFF}

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="needs Debian's chromium (.ci/run installs it)")


@dataclass
class Stack:
    url: str
    api: Api


@pytest.fixture
async def stack(dev_env: WorkflowEnvironment, engine: Engine, task_queue: str
                ) -> AsyncIterator[Stack]:
    web_port = free_port()
    url = f"http://127.0.0.1:{web_port}"
    target = dev_env.client.service_client.config.target_host
    async with running_worker(dev_env.client, engine, task_queue), \
            api_on(dev_env.client, engine, task_queue) as api:
        with start_idp(free_port(), STAFF) as issuer:
            app = live_web_app(engine, task_queue, target, web_url=url, oidc_issuer=issuer,
                               oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET)
            with live_app(app, web_port):
                yield Stack(url, api)


async def login(page: object, url: str, staff_id: str) -> None:
    from playwright.async_api import Page

    assert isinstance(page, Page)
    await page.goto(f"{url}/inloggen")
    await page.fill("input[name=sub]", EMAIL[staff_id])
    await page.click("button[type=submit]:not([name=action])")
    await page.wait_for_url(f"{url}/dossiers")


async def test_mediator_and_caseworker_in_the_browser(stack: Stack, case_id: str) -> None:
    from playwright.async_api import async_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    await to_screening(stack.api, case_id, mediator="med-carl")
    start = (local_date(datetime.now(UTC)) + timedelta(days=30)).isoformat()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            # the mediator logs in, opens their case and records an approved screening
            med = await browser.new_page()
            await login(med, stack.url, "med-carl")
            assert "Mijn dossiers" in await med.content()
            await med.screenshot(path=str(SHOTS / "mijn-dossiers.png"), full_page=True)
            await med.click(f"text={case_id}")
            await med.wait_for_url(f"{stack.url}/dossiers/{case_id}")
            await med.screenshot(path=str(SHOTS / "dossier-screening.png"), full_page=True)

            # a form with a missing field: a Dutch error next to it, nothing changed
            seq = (await status(stack.api, case_id))["seq"]
            await med.click("#bericht-schedule_intake button[type=submit]")
            error = med.locator("#schedule_intake-date-fout")
            assert await error.inner_text() == "Dit veld is verplicht."
            await med.screenshot(path=str(SHOTS / "formulierfout.png"), full_page=True)
            assert (await status(stack.api, case_id))["seq"] == seq

            form = med.locator("#bericht-record_screening")
            await form.get_by_label("Goedgekeurd").select_option("ja")
            await form.get_by_label("Vermoedelijke startdatum").fill(start)
            await form.get_by_label("Locatie").fill("VDAB-campus Gent")
            await form.locator("button[type=submit]").click()
            await med.wait_for_url(f"{stack.url}/dossiers/{case_id}?verzonden=record_screening")
            assert "Wacht op de start" in await med.locator("#fase").inner_text()
            await med.screenshot(path=str(SHOTS / "dossier-na-screening.png"), full_page=True)

            # a POST without the CSRF token is refused (with the session cookie)
            forged = await med.request.post(
                f"{stack.url}/dossiers/{case_id}/berichten/postpone_start",
                form={"start_date": start}, max_redirects=0)
            assert forged.status == 403
            assert (await status(stack.api, case_id))["stage"] == "awaiting_start"

            # logout ends the session
            await med.click("text=Uitloggen")
            assert "U bent uitgelogd" in await med.content()
            after = await med.request.get(f"{stack.url}/dossiers/{case_id}", max_redirects=0)
            assert after.status == 303 and after.headers["location"] == "/inloggen"

            # the caseworker sees awaiting_start and the new timeline entry
            cw = await (await browser.new_context()).new_page()
            await login(cw, stack.url, "cw-anna")
            await cw.goto(f"{stack.url}/dossiers/{case_id}")
            assert "awaiting_start" in await cw.locator("#fase").inner_text()
            timeline = await cw.locator(".tijdlijn li").first.inner_text()
            assert "Screeningsresultaat registreren" in timeline and "med-carl" in timeline
            await cw.screenshot(path=str(SHOTS / "dossier-maatschappelijk-assistent.png"),
                                full_page=True)

            # a second mediator is refused that case
            other = await (await browser.new_context()).new_page()
            await login(other, stack.url, "med-eva")
            response = await other.goto(f"{stack.url}/dossiers/{case_id}")
            assert response is not None and response.status == 403
            assert "Geen toegang" in await other.content()
            assert case_id not in await (await other.goto(f"{stack.url}/dossiers")
                                         or response).text()
        finally:
            await browser.close()


async def test_someone_not_in_the_staff_directory_gets_a_dutch_page_and_nothing_else(
    stack: Stack,
) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{stack.url}/inloggen")
            await page.fill("input[name=sub]", "stranger@example.org")
            await page.click("button[type=submit]:not([name=action])")
            await page.wait_for_load_state()
            assert "staat niet" in await page.content()
            dossiers = await page.request.get(f"{stack.url}/dossiers", max_redirects=0)
            assert dossiers.status == 303
        finally:
            await browser.close()
    async with httpx.AsyncClient() as http:  # the API stays closed too
        assert (await http.get(f"{stack.url}/api/v1/me")).status_code == 401


async def test_a_team_lead_reads_the_report_with_its_charts_on_screen_and_on_a4(
    stack: Stack,
) -> None:
    from playwright.async_api import async_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    for sim in simulate_many(45, seed=5):  # 15 trajectories of gent: many small counts
        for request in sim.requests:
            record_event(stack.api.engine, request)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            await login(page, stack.url, "tl-chris")
            await page.click("nav >> text=Rapport")
            await page.wait_for_url(f"{stack.url}/rapport")
            assert "OCMW gent" in await page.locator("#bereik").inner_text()
            charts = page.locator("svg.grafiek")
            assert await charts.count() >= 6
            funnel = page.locator("#grafiek-funnel")
            assert await funnel.is_visible()
            assert await funnel.locator("rect.staaf").count() > 0
            assert await page.locator("svg.grafiek g.onderdrukt").count() > 0  # "<5", no bar
            assert await page.locator("#tabel-funnel tbody tr").count() == 8
            await page.screenshot(path=str(SHOTS / "rapport.png"), full_page=True)

            # printed on A4 (186 mm of text width at 96 dpi: 703 px): no navigation, no
            # form, charts as wide as the page, nothing wider than it
            await page.set_viewport_size({"width": 703, "height": 1000})
            await page.emulate_media(media="print")
            assert not await page.locator("header.kop").is_visible()
            assert not await page.locator("form.rapportfilter").is_visible()
            box = await funnel.bounding_box()
            assert box is not None and 650 <= box["width"] <= 703, box
            assert await page.evaluate("document.documentElement.scrollWidth") <= 703
            pdf = await page.pdf(path=str(SHOTS / "rapport.pdf"), format="A4")
            assert pdf.startswith(b"%PDF")
        finally:
            await browser.close()

"""The Temporal Web UI decodes payloads through the web app's codec server, in headless
Chromium: for an operations person logged in to the web app, and for nobody else.

A dev server started as ``okot dev`` starts it (``--ui-codec-endpoint``), a worker,
``okot web`` and the local OpenID provider. Screenshot: ``var/screenshots/``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from test_web_e2e import ARGS, CHROMIUM, EMAIL, SHOTS
from web_helpers import STAFF, api_on, live_app, live_web_app
from workflow_helpers import running_worker

from okot.domain.values import workflow_id_for
from okot_dev.devserver import dev_server
from okot_dev.devweb import codec_endpoint, dev_ui_origin
from okot_dev.idp import CLIENT_ID, CLIENT_SECRET, start_idp
from okot_dev.ports import free_port

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="needs Debian's chromium (.ci/run installs it)")

DECODED = "registered_jobseeker"
"""A field name of the workflow input: on the page only once the input is decoded."""


async def input_text(page: Any, url: str, tries: int = 60) -> str:
    """The workflow page's text once its input section has rendered."""
    await page.goto(url)
    text = ""
    for _ in range(tries):
        text = await page.locator("body").inner_text()
        if DECODED in text or "Codec Server could not connect" in text:
            break
        await asyncio.sleep(0.5)
    return str(text)


async def test_the_web_ui_shows_decoded_input_to_operations_only(
        engine: Engine, task_queue: str, case_id: str, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    web_port, ui_port = free_port(), free_port()
    web = f"http://127.0.0.1:{web_port}"
    async with dev_server(None, port=free_port(), ui_port=ui_port,
                          log_file=tmp_path / "temporal.log",
                          codec_endpoint=codec_endpoint(web_port)) as (server, client):
        target = server.address
        async with running_worker(client, engine, task_queue), \
                api_on(client, engine, task_queue) as api:
            opened = await api.call("POST", "/api/v1/cases", "cw-anna",
                                    json={"case_id": case_id, "ocmw": "gent"})
            assert opened.status_code == 201, opened.text
            with start_idp(free_port(), STAFF) as issuer:
                app = live_web_app(engine, task_queue, target, web_url=web, oidc_issuer=issuer,
                                   oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET,
                                   ui_origin=dev_ui_origin(ui_port))
                with live_app(app, web_port):
                    ui = (f"http://127.0.0.1:{ui_port}/namespaces/default/workflows/"
                          f"{workflow_id_for(case_id)}")
                    async with async_playwright() as pw:
                        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                        try:
                            await check_browser(browser, web, ui)
                        finally:
                            await browser.close()


UI_SETTINGS = """
localStorage.setItem("endpoint", JSON.stringify("%(endpoint)s"));
localStorage.setItem("includeCredentials", "true");
localStorage.setItem("passAccessToken", "false");
localStorage.setItem("overrideRemoteCodecConfiguration", "true");
"""
"""The Web UI's "Codec Server" settings (browser storage): this endpoint, with cookies."""


async def login(page: Any, web: str, staff_id: str, lands_on: str) -> None:
    await page.goto(f"{web}/inloggen")
    await page.fill("input[name=sub]", EMAIL[staff_id])
    await page.click("button[type=submit]:not([name=action])")
    await page.wait_for_url(f"{web}{lands_on}")


async def ui_page(browser: Any, web: str) -> Any:
    """A fresh browser whose Web UI sends cookies to the codec server (as the UI's "Codec
    Server" settings do with "Include cross-origin credentials" on)."""
    context = await browser.new_context()
    await context.add_init_script(UI_SETTINGS % {"endpoint": web + "/codec"})
    return await context.new_page()


async def check_browser(browser: Any, web: str, ui: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    # nobody logged in: the UI cannot decode (401), the input stays sealed
    anonymous = await ui_page(browser, web)
    sealed = await input_text(anonymous, ui)
    assert "Codec Server could not connect" in sealed and DECODED not in sealed

    # a caseworker logged in to the web app: still sealed (403 from the codec server)
    cw = await ui_page(browser, web)
    codes: list[int] = []
    cw.on("response", lambda r: codes.append(r.status) if "/codec/" in r.url else None)
    await login(cw, web, "cw-anna", "/dossiers")
    assert DECODED not in await input_text(cw, ui)
    assert 403 in codes and 200 not in codes

    # an operations person logged in to the web app in the same browser: decoded
    ops = await ui_page(browser, web)
    await login(ops, web, "ops-olga", "/codec")
    assert "Codec-server" in await ops.content()
    decoded = await input_text(ops, ui)
    await ops.screenshot(path=str(SHOTS / "web-ui-gedecodeerd.png"), full_page=True)
    assert DECODED in decoded and "could not connect" not in decoded, decoded[:2000]

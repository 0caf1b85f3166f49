"""The Dutch pages in process (httpx on the ASGI app), with a signed session cookie."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta

from test_web_api import to_screening
from web_helpers import Api, session_cookie

from okot.domain.calendar import local_date
from okot.web.sessions import COOKIE

CSRF = "test-csrf-token"


def as_(api: Api, staff_id: str) -> None:
    api.http.cookies.clear()
    api.http.cookies.set(COOKIE, session_cookie(staff_id, CSRF))


async def test_pages_need_a_login(api: Api) -> None:
    for path in ("/dossiers", "/dossiers/C-1", "/dossiers/nieuw"):
        r = await api.http.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/inloggen", path
    as_(api, "cw-anna")
    api.http.cookies.set(COOKIE, session_cookie("cw-anna", CSRF, login_at=int(time.time()) - 9 * 3600))
    expired = await api.http.get("/dossiers")
    assert expired.status_code == 303, "a session expires"


async def test_case_page_forms_refusals_and_the_new_stage(api: Api, case_id: str) -> None:
    await to_screening(api, case_id)
    as_(api, "med-carl")
    page = await api.http.get(f"/dossiers/{case_id}")
    assert page.status_code == 200
    html = page.text
    assert 'lang="nl"' in html and "Intake en screening" in html
    # exactly the messages this mediator may send in screening
    forms = set(re.findall(r'/berichten/([a-z_]+)"', html))
    assert forms == {"schedule_intake", "record_screening", "reassign"}
    assert '<label for="record_screening-location">' in html
    # a missing field: a Dutch error next to it, nothing changed
    path = f"/dossiers/{case_id}/berichten/record_screening"
    missing = await api.http.post(path, data={"csrf_token": CSRF, "approved": "ja",
                                              "location": "Gent"})
    assert missing.status_code == 422
    assert "heeft een vermoedelijke startdatum en locatie nodig" in missing.text
    no_csrf = await api.http.post(path, data={"approved": "ja", "location": "Gent",
                                              "start_date": local_date(datetime.now(UTC)).isoformat()})
    assert no_csrf.status_code == 403 and "Formulier geweigerd" in no_csrf.text
    start = (local_date(datetime.now(UTC)) + timedelta(days=30)).isoformat()
    done = await api.http.post(path, data={"csrf_token": CSRF, "approved": "ja",
                                           "location": "Gent", "start_date": start})
    assert done.status_code == 303
    after = await api.http.get(done.headers["location"])
    assert "Geregistreerd: Screeningsresultaat registreren" in after.text
    assert "Wacht op de start" in after.text
    # the caseworker sees the new stage and the timeline entry
    as_(api, "cw-anna")
    mine = await api.http.get(f"/dossiers/{case_id}")
    assert "awaiting_start" in mine.text and "Screeningsresultaat registreren" in mine.text
    # another mediator is refused the case
    as_(api, "med-eva")
    other = await api.http.get(f"/dossiers/{case_id}")
    assert other.status_code == 403 and "Geen toegang" in other.text
    refused = await api.http.post(f"/dossiers/{case_id}/berichten/schedule_intake",
                                  data={"csrf_token": CSRF, "date": start})
    assert refused.status_code == 403


async def test_my_cases_and_opening_a_trajectory(api: Api, case_id: str) -> None:
    as_(api, "cw-anna")
    form = await api.http.get("/dossiers/nieuw")
    assert form.status_code == 200 and 'for="nieuw-case_id"' in form.text
    bad = await api.http.post("/dossiers/nieuw", data={"csrf_token": CSRF, "case_id": "x",
                                                       "ocmw": "gent"})
    assert bad.status_code == 422 and "Ongeldig" in bad.text
    ok = await api.http.post("/dossiers/nieuw", data={"csrf_token": CSRF, "case_id": case_id,
                                                      "ocmw": "gent", "registered_jobseeker": "ja"})
    assert ok.status_code == 303 and ok.headers["location"] == f"/dossiers/{case_id}"
    for _ in range(50):
        listing = await api.http.get("/dossiers")
        if case_id in listing.text:
            break
        await asyncio.sleep(0.1)
    assert case_id in listing.text and "Oriëntatie" in listing.text
    filtered = await api.http.get("/dossiers?fase=screening")
    assert case_id not in filtered.text
    as_(api, "med-carl")
    assert (await api.http.get("/dossiers/nieuw")).status_code == 403

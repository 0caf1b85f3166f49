"""The web app and the API in daily practice (dev server, real worker): an overdue case
says which deadline, since when and from whom; the caseworker reports a stop and the
mediator confirms it; the follow-up agreement is seen and confirmed by both sides."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

from test_web_api import TODAY, open_case, status, to_screening
from test_web_pages import CSRF, as_
from web_helpers import Api

from okot.domain.calendar import add_working_days


async def until(api: Api, case_id: str, ok: Any, who: str = "cw-anna") -> dict[str, Any]:
    for _ in range(100):
        data = await status(api, case_id) if who == "cw-anna" else (
            await api.call("GET", f"/api/v1/cases/{case_id}", who)).json()
        if ok(data):
            return data
        await asyncio.sleep(0.1)
    raise AssertionError(f"never: {data}")


async def test_a_late_file_says_why_it_is_overdue_everywhere(api: Api, case_id: str) -> None:
    opened = TODAY - timedelta(days=60)
    await open_case(api, case_id, opened_on=opened.isoformat())
    data = await until(api, case_id, lambda d: d["overdue"])
    since = add_working_days(opened, 20)
    assert data["overdue_detail"] == {
        "kind": "orientation_reminder", "since": since.isoformat(),
        "awaited_from": [{"role": "caseworker", "id": "cw-anna"}],
        "text": f"pre-check and candidacy due since {since.isoformat()}, awaited from "
                "caseworker cw-anna",
    }
    as_(api, "cw-anna")
    page = (await api.http.get(f"/dossiers/{case_id}")).text
    assert re.search(r'<dd id="te-laat" class="te-laat"><strong>kandidatuur, verwacht sinds '
                     rf"{since:%d-%m-%Y} van de maatschappelijk assistent cw-anna</strong>", page)
    for _ in range(50):  # the caseload comes from the database, written by the worker
        listing = (await api.http.get("/dossiers")).text
        if f"verwacht sinds {since:%d-%m-%Y}" in listing:
            break
        await asyncio.sleep(0.1)
    assert (f"<strong>te laat:</strong> kandidatuur, verwacht sinds {since:%d-%m-%Y} van de "
            "maatschappelijk assistent cw-anna") in listing
    cases = await api.call("GET", "/api/v1/cases?overdue=true", "cw-anna")
    mine = [c for c in cases.json() if c["case_id"] == case_id]
    assert mine and mine[0]["overdue_detail"]["since"] == since.isoformat()


async def to_training(api: Api, case_id: str) -> None:
    await to_screening(api, case_id)
    for who, name, body in [
        ("med-carl", "record_screening", {"approved": True, "start_date": TODAY.isoformat(),
                                          "location": "Gent"}),
        ("med-carl", "confirm_start", {"date": TODAY.isoformat(), "location": "Gent",
                                       "expected_end": (TODAY + timedelta(days=700)).isoformat()}),
    ]:
        r = await api.call("POST", f"/api/v1/cases/{case_id}/messages/{name}", who, json=body)
        assert r.status_code == 200, (name, r.text)


async def test_the_caseworker_reports_a_stop_and_the_mediator_confirms_it(
    api: Api, case_id: str
) -> None:
    await to_training(api, case_id)
    as_(api, "cw-anna")
    page = (await api.http.get(f"/dossiers/{case_id}")).text
    assert 'id="bericht-report_stopped"' in page and "Melden dat de cliënt gestopt is" in page
    path = f"/dossiers/{case_id}/berichten/report_stopped"
    future = await api.http.post(path, data={"csrf_token": CSRF,
                                             "date": (TODAY + timedelta(days=3)).isoformat()})
    assert future.status_code == 409 and "in the future" in future.text
    done = await api.http.post(path, data={"csrf_token": CSRF, "date": TODAY.isoformat(),
                                           "note": "Komt niet meer naar de les."})
    assert done.status_code == 303
    after = (await api.http.get(done.headers["location"])).text
    assert "Geregistreerd: Melden dat de cliënt gestopt is" in after
    assert (f"door de maatschappelijk assistent cw-anna op {TODAY:%d-%m-%Y}: de cliënt stopte op "
            f"{TODAY:%d-%m-%Y}.") in after and "Komt niet meer naar de les." in after
    assert 'id="bericht-report_stopped"' in after  # still offered; a second is refused
    again = await api.call("POST", f"/api/v1/cases/{case_id}/messages/report_stopped",
                           "cw-anna", json={"date": TODAY.isoformat()})
    assert again.status_code == 409 and "already reported" in again.json()["detail"]
    wrong = await api.call("POST", f"/api/v1/cases/{case_id}/messages/report_stopped",
                           "med-carl", json={"date": TODAY.isoformat()})
    assert wrong.status_code == 409 and "may be sent by caseworker" in wrong.json()["detail"]

    data = await status(api, case_id)
    assert data["stop_report"] == {"by": {"role": "caseworker", "id": "cw-anna"},
                                   "on": TODAY.isoformat(), "stopped_on": TODAY.isoformat()}
    assert data["awaiting"] == "confirmation of the reported stop (record_end) from the mediator"
    as_(api, "med-carl")
    page = (await api.http.get(f"/dossiers/{case_id}")).text
    assert 'id="stopzetting"' in page and 'id="bericht-record_end"' in page
    end = await api.http.post(f"/dossiers/{case_id}/berichten/record_end",
                              data={"csrf_token": CSRF, "result": "stopped_early",
                                    "date": TODAY.isoformat()})
    assert end.status_code == 303
    after = (await api.http.get(end.headers["location"])).text
    assert "Begeleiding naar werk" in after and 'id="stopzetting"' not in after
    assert (await status(api, case_id))["stop_report"] is None


async def test_the_follow_up_agreement_is_seen_and_confirmed_by_both(api: Api, case_id: str) -> None:
    await to_training(api, case_id)
    r = await api.call("POST", f"/api/v1/cases/{case_id}/messages/record_end", "med-carl",
                       json={"result": "passed", "date": TODAY.isoformat()})
    assert r.status_code == 200
    as_(api, "cw-anna")
    done = await api.http.post(f"/dossiers/{case_id}/berichten/agree_follow_up",
                               data={"csrf_token": CSRF, "lead": "ocmw",
                                     "plan": "Jobcoaching door het OCMW."})
    assert done.status_code == 303
    as_(api, "med-carl")
    page = (await api.http.get(f"/dossiers/{case_id}")).text
    assert (f"door OCMW, afgesproken op {TODAY:%d-%m-%Y} door de maatschappelijk assistent "
            "cw-anna; nog niet bevestigd door de andere kant") in page
    assert "Plan: Jobcoaching door het OCMW." in page
    confirm = await api.call("POST", f"/api/v1/cases/{case_id}/messages/agree_follow_up",
                             "med-carl", json={"lead": "ocmw", "plan": "Jobcoaching door het OCMW."})
    assert confirm.status_code == 200
    assert confirm.json()["follow_up"] == {
        "lead": "ocmw", "agreed_on": TODAY.isoformat(),
        "agreed_by": {"role": "caseworker", "id": "cw-anna"},
        "confirmed_by": {"role": "mediator", "id": "med-carl"}}
    as_(api, "cw-anna")
    page = (await api.http.get(f"/dossiers/{case_id}")).text
    assert "bevestigd door de VDAB-bemiddelaar med-carl" in page

"""Opening a trajectory with the client's identity (web page and API): it goes to the
encrypted client register, never into the workflow, and shows to authorized callers only."""

from __future__ import annotations

from privacy_helpers import history_bytes, raw_history
from temporalio.testing import WorkflowEnvironment
from web_helpers import Api, session_cookie

from okot.db.clients import client_of
from okot.domain.values import workflow_id_for
from okot.web.sessions import COOKIE

CSRF = "test-csrf-token"
NAME = "Zoë Plantnaam-Qx"
NUMBER = "VDAB-778899"


async def test_api_open_with_identity_shows_it_to_the_case_only(
        api: Api, case_id: str, dev_env: WorkflowEnvironment) -> None:
    r = await api.call("POST", "/api/v1/cases", "cw-anna", json={
        "case_id": case_id, "ocmw": "gent", "client_name": NAME,
        "vdab_client_number": NUMBER})
    assert r.status_code == 201, r.text
    assert r.json()["client"] == {"name": NAME, "vdab_client_number": NUMBER}
    mine = await api.call("GET", f"/api/v1/cases/{case_id}", "cw-anna")
    assert mine.json()["client"] == {"name": NAME, "vdab_client_number": NUMBER}
    for other in ("cw-bart", "cw-dirk", "med-eva"):
        refused = await api.call("GET", f"/api/v1/cases/{case_id}", other)
        assert refused.status_code == 403 and NAME not in refused.text, other
    raw = history_bytes(await raw_history(dev_env.client, workflow_id_for(case_id)))
    assert NAME.encode() not in raw and NUMBER.encode() not in raw
    decoded = await dev_env.client.get_workflow_handle(workflow_id_for(case_id)).fetch_history()
    assert NAME.encode() not in history_bytes(decoded), "never in the workflow, even decoded"


async def test_api_refuses_a_bad_identity_and_opens_nothing(api: Api, case_id: str) -> None:
    cases = [({"vdab_client_number": NUMBER}, "client_name",
              "vdab_client_number needs client_name as well"),
             ({"client_name": "x" * 201}, "client_name", "client name: give 1 to 200"),
             ({"client_name": NAME, "vdab_client_number": "12 34;"}, "vdab_client_number",
              "VDAB client number: letters, digits and '-' only"),
             ({"client_name": 7}, "client_name", "client_name: must be a string")]
    for extra, _field, text in cases:
        r = await api.call("POST", "/api/v1/cases", "cw-anna",
                           json={"case_id": case_id, "ocmw": "gent", **extra})
        assert r.status_code == 422, (extra, r.text)
        assert text in r.json()["detail"] and "12 34;" not in r.json()["detail"]
    assert (await api.call("GET", f"/api/v1/cases/{case_id}", "cw-anna")).status_code == 404
    assert client_of(api.engine, case_id) is None
    plain = await api.call("POST", "/api/v1/cases", "cw-anna",
                           json={"case_id": case_id, "ocmw": "gent"})
    assert plain.status_code == 201 and plain.json()["client"] is None


async def test_page_open_with_identity_and_the_case_page(api: Api, case_id: str) -> None:
    api.http.cookies.set(COOKIE, session_cookie("cw-anna", CSRF))
    form = await api.http.get("/dossiers/nieuw")
    assert 'name="client_name"' in form.text and 'name="vdab_client_number"' in form.text
    bad = await api.http.post("/dossiers/nieuw", data={
        "csrf_token": CSRF, "case_id": case_id, "ocmw": "gent", "vdab_client_number": NUMBER})
    assert bad.status_code == 422 and "needs client_name" in bad.text
    assert client_of(api.engine, case_id) is None
    ok = await api.http.post("/dossiers/nieuw", data={
        "csrf_token": CSRF, "case_id": case_id, "ocmw": "gent", "registered_jobseeker": "ja",
        "client_name": NAME, "vdab_client_number": NUMBER})
    assert ok.status_code == 303, ok.text
    page = await api.http.get(f"/dossiers/{case_id}")
    assert page.status_code == 200 and NAME in page.text and NUMBER in page.text
    api.http.cookies.clear()
    api.http.cookies.set(COOKIE, session_cookie("cw-bart", CSRF))
    other = await api.http.get(f"/dossiers/{case_id}")
    assert other.status_code == 403 and NAME not in other.text

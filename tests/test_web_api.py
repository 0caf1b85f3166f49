"""The HTTP API v1 against the dev server and a real worker: every status code of domain.md."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cli_helpers import wait_for
from sqlalchemy import update
from web_helpers import Api

from okot.db.tables import API_TOKEN
from okot.db.tokens import create_token, revoke_token
from okot.domain.calendar import local_date

TODAY = local_date(datetime.now(UTC))


async def open_case(api: Api, case_id: str, **over: Any) -> dict[str, Any]:
    body = {"case_id": case_id, "ocmw": "gent", "registered_jobseeker": True, **over}
    r = await api.call("POST", "/api/v1/cases", "cw-anna", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def to_screening(api: Api, case_id: str, mediator: str = "med-carl") -> None:
    """Drive a case to screening through the API, each message by its rightful sender."""
    await open_case(api, case_id)
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("cw-anna", "record_precheck", {"conditions_met": True, "twe_active": False,
                                        "study_level": "bachelor"}),
        (mediator, "submit_candidacy", {"programme": "Verpleegkunde", "study_level": "bachelor",
                                        "school": "HOGENT", "channel": "mediator",
                                        "mediator": mediator}),
        ("cw-anna", "give_agreement", {}),
        ("cw-anna", "confirm_handover", {"date": TODAY.isoformat(), "channel": "phone"}),
    ]
    for who, name, body in steps:
        r = await api.call("POST", f"/api/v1/cases/{case_id}/messages/{name}", who, json=body)
        assert r.status_code == 200, (name, r.text)
    assert r.json()["stage"] == "screening"


async def status(api: Api, case_id: str) -> dict[str, Any]:
    r = await api.call("GET", f"/api/v1/cases/{case_id}", "cw-anna")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def one_line(r: Any) -> str:
    detail = r.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and detail
    return detail


async def test_401_without_or_with_bad_credentials(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer okot_not-a-token"},
                    {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        r = await api.http.get("/api/v1/me", headers=headers)
        assert r.status_code == 401, headers
        assert one_line(r).startswith("credentials")
    token_id, token = create_token(api.engine, "cw-bart")
    ok = await api.http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert ok.json() == {"id": "cw-bart", "role": "caseworker", "name": "Bart Claes"}
    assert revoke_token(api.engine, token_id)
    revoked = await api.http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401
    expiring_id, expiring = create_token(api.engine, "cw-bart", expires_days=1)
    with api.engine.begin() as conn:
        conn.execute(update(API_TOKEN).where(API_TOKEN.c.id == expiring_id)
                     .values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    expired = await api.http.get("/api/v1/me", headers={"Authorization": f"Bearer {expiring}"})
    assert expired.status_code == 401


async def test_open_read_and_the_caseload(api: Api, case_id: str) -> None:
    opened = await open_case(api, case_id)
    assert opened["stage"] == "orientation" and opened["caseworker"] == "cw-anna"
    assert opened["status"]["teamlead"] == "tl-chris"  # from the staff directory
    again = await api.call("POST", "/api/v1/cases", "cw-anna",
                           json={"case_id": case_id, "ocmw": "gent"})
    assert again.status_code == 409 and "already" in one_line(again)
    by_mediator = await api.call("POST", "/api/v1/cases", "med-carl",
                                 json={"case_id": case_id + "x", "ocmw": "gent"})
    assert by_mediator.status_code == 403
    for who in ("cw-anna", "tl-chris"):
        assert (await api.call("GET", f"/api/v1/cases/{case_id}", who)).status_code == 200
    for who in ("cw-bart", "tl-fons", "med-carl"):
        r = await api.call("GET", f"/api/v1/cases/{case_id}", who)
        assert r.status_code == 403, who
        assert (await api.call("GET", f"/api/v1/cases/{case_id}/timeline", who)).status_code == 403
    missing = await api.call("GET", "/api/v1/cases/NO-SUCH-CASE-1", "cw-anna")
    assert missing.status_code == 404 and one_line(missing) == "no such trajectory"
    timeline = await api.call("GET", f"/api/v1/cases/{case_id}/timeline", "cw-anna")
    assert [e["name"] for e in timeline.json()] == ["opened"]

    async def listed() -> list[dict[str, Any]]:
        r = await api.call("GET", "/api/v1/cases", "cw-anna")
        return [c for c in r.json() if c["case_id"] == case_id]

    assert (await wait_for(listed))[0]["stage"] == "orientation"
    team = await api.call("GET", "/api/v1/cases?stage=orientation", "tl-chris")
    assert case_id in [c["case_id"] for c in team.json()]
    other = await api.call("GET", "/api/v1/cases", "tl-fons")
    assert case_id not in [c["case_id"] for c in other.json()]
    bad = await api.call("GET", "/api/v1/cases?stage=nowhere&limit=0", "cw-anna")
    assert bad.status_code == 422


async def test_another_mediators_token_gets_403_and_changes_nothing(api: Api,
                                                                    case_id: str) -> None:
    await to_screening(api, case_id, mediator="med-carl")
    before = await status(api, case_id)
    body = {"approved": True, "start_date": (TODAY + timedelta(days=30)).isoformat(),
            "location": "Gent"}
    r = await api.call("POST", f"/api/v1/cases/{case_id}/messages/record_screening", "med-eva",
                       json=body)
    assert r.status_code == 403
    assert "med-eva" not in one_line(r)
    assert await status(api, case_id) == before
    ok = await api.call("POST", f"/api/v1/cases/{case_id}/messages/record_screening", "med-carl",
                        json=body)
    assert ok.status_code == 200 and ok.json()["stage"] == "awaiting_start"


async def test_the_body_never_chooses_the_sender(api: Api, case_id: str) -> None:
    await open_case(api, case_id)
    forged = {"date": TODAY.isoformat(), "channel": "info_session",
              "actor": {"role": "caseworker", "id": "cw-anna"}}
    r = await api.call("POST", f"/api/v1/cases/{case_id}/messages/record_info", "med-carl",
                       json=forged)
    assert r.status_code == 422 and one_line(r).startswith("actor")
    assert (await status(api, case_id))["seq"] == 1
    del forged["actor"]
    ok = await api.call("POST", f"/api/v1/cases/{case_id}/messages/record_info", "med-carl",
                        json=forged)
    assert ok.status_code == 200
    timeline = (await api.call("GET", f"/api/v1/cases/{case_id}/timeline", "cw-anna")).json()
    assert timeline[-1]["actor"] == {"role": "mediator", "id": "med-carl"}
    # a reassignment's teamlead comes from the staff directory, never from the body
    sneaky = await api.call("POST", f"/api/v1/cases/{case_id}/messages/reassign", "cw-anna",
                            json={"caseworker": "cw-dirk", "teamlead": "tl-chris"})
    assert sneaky.status_code == 422 and one_line(sneaky).startswith("teamlead")
    moved = await api.call("POST", f"/api/v1/cases/{case_id}/messages/reassign", "cw-anna",
                           json={"caseworker": "cw-dirk"})
    assert moved.status_code == 200
    assert moved.json()["status"]["teamlead"] == "tl-fons"


async def test_a_refused_message_is_409_with_the_one_line_reason(api: Api, case_id: str) -> None:
    await open_case(api, case_id)
    r = await api.call("POST", f"/api/v1/cases/{case_id}/messages/give_agreement", "cw-anna",
                       json={})
    assert r.status_code == 409
    reason = one_line(r)
    assert "give_agreement" in reason and "stage orientation" in reason
    wrong_role = await api.call("POST", f"/api/v1/cases/{case_id}/messages/reassign",
                                "med-carl", json={"mediator": "med-eva"})
    assert wrong_role.status_code == 403  # a mediator is not on a case without one
    assert (await status(api, case_id))["seq"] == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"date": "2026-01-05", "channel": "x" * 1_000_000}, "channel"),
    ({"date": 12, "channel": "info_session"}, "date"),
    ({"date": "2026-01-05", "channel": ["info_session"]}, "channel"),
    ({"date": "2026-01-05", "channel": "info_session", "colour": "red"}, "colour"),
    ({"channel": "info_session"}, "date"),
    ([1, 2, 3], "body"),
])
async def test_malformed_bodies_get_422_never_500(api: Api, case_id: str,
                                                  body: Any, field: str) -> None:
    await open_case(api, case_id)
    r = await api.call("POST", f"/api/v1/cases/{case_id}/messages/record_info", "cw-anna",
                       json=body)
    assert r.status_code == 422, r.text
    assert one_line(r).startswith(field)
    assert len(r.text) < 1000, "the answer never repeats a huge input"
    assert (await status(api, case_id))["seq"] == 1


async def test_malformed_json_and_huge_strings_elsewhere(api: Api, case_id: str) -> None:
    await open_case(api, case_id)
    path = f"/api/v1/cases/{case_id}/messages/record_progress"
    raw = await api.http.post(path, content=b"{not json",
                              headers={"Authorization": f"Bearer {api.tokens['cw-anna']}"})
    assert raw.status_code == 422 and one_line(raw).startswith("body")
    huge = await api.call("POST", "/api/v1/cases", "cw-anna",
                          json={"case_id": "C" * 1_000_000, "ocmw": "gent"})
    assert huge.status_code == 422 and len(huge.text) < 1000
    typed = await api.call("POST", "/api/v1/cases", "cw-anna",
                           json={"case_id": case_id + "y", "ocmw": "gent",
                                 "registered_jobseeker": "perhaps"})
    assert typed.status_code == 422 and one_line(typed).startswith("registered_jobseeker")
    unknown = await api.call("POST", "/api/v1/cases", "cw-anna",
                             json={"case_id": case_id + "z", "ocmw": "gent", "name": "Jan"})
    assert unknown.status_code == 422 and "Jan" not in unknown.text


async def test_the_openapi_schema_lists_every_route(api: Api) -> None:
    r = await api.http.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert {"/api/v1/me", "/api/v1/cases", "/api/v1/cases/{case_id}",
            "/api/v1/cases/{case_id}/timeline"} <= set(paths)
    screening = paths["/api/v1/cases/{case_id}/messages/record_screening"]["post"]
    schema = screening["requestBody"]["content"]["application/json"]["schema"]
    assert "actor" not in schema["properties"] and "approved" in schema["required"]
    assert {"401", "403", "404", "409", "422"} <= set(screening["responses"])


async def test_a_message_to_a_closed_trajectory_is_409(api: Api, case_id: str) -> None:
    await open_case(api, case_id)
    closed = await api.call("POST", f"/api/v1/cases/{case_id}/messages/withdraw", "cw-anna",
                            json={"reason": "verhuisd"})
    assert closed.status_code == 200 and closed.json()["closure"] == "withdrawn"

    async def finished() -> bool:
        r = await api.call("POST", f"/api/v1/cases/{case_id}/messages/record_info", "cw-anna",
                           json={"date": TODAY.isoformat(), "channel": "info_session"})
        assert r.status_code == 409, r.text
        return "closed" in one_line(r)

    assert await wait_for(finished)
    assert (await status(api, case_id))["stage"] == "closed"

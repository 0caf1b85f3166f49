"""The codec server (/codec) of the web app: who may decode, CORS, a real trajectory's input."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog
from google.protobuf import json_format
from privacy_helpers import payloads_in, raw_history
from sqlalchemy.engine import Engine
from temporalio.api.common.v1 import Payloads
from temporalio.testing import WorkflowEnvironment
from web_helpers import Api, api_on, session_cookie
from workflow_helpers import running_worker

from okot.crypto.codec import ENCODING
from okot.domain.values import workflow_id_for
from okot.web.sessions import COOKIE

UI = "http://localhost:8233"
JSON = {"content-type": "application/json", "x-namespace": "default"}


@pytest.fixture
async def api(dev_env: WorkflowEnvironment, engine: Engine, task_queue: str
              ) -> AsyncIterator[Api]:
    async with running_worker(dev_env.client, engine, task_queue), \
            api_on(dev_env.client, engine, task_queue, ui_origin=UI) as api:
        yield api


async def opened_input(api: Api, case_id: str) -> dict[str, Any]:
    """Open a trajectory; the encrypted payloads of its first event, as the UI sends them."""
    r = await api.call("POST", "/api/v1/cases", "cw-anna",
                       json={"case_id": case_id, "ocmw": "gent"})
    assert r.status_code == 201, r.text
    history = await raw_history(api_client(api), workflow_id_for(case_id))
    payloads = list(payloads_in(history.events[0]))
    assert payloads and all(p.metadata["encoding"] == ENCODING for p in payloads)
    assert all(case_id.encode() not in p.data for p in payloads), "sealed in the history"
    return json_format.MessageToDict(Payloads(payloads=payloads))


def api_client(api: Api) -> Any:
    return api.http._transport.app.state.runtime.client  # type: ignore[attr-defined]


async def codec(api: Api, op: str, body: Any, who: str | None = None,
                **headers: str) -> Any:
    auth = {"authorization": f"Bearer {api.tokens[who]}"} if who else {}
    return await api.http.post(f"/codec/{op}", json=body, headers={**JSON, **auth, **headers})


async def test_codec_needs_an_operations_person(api: Api, case_id: str) -> None:
    body = await opened_input(api, case_id)
    assert (await codec(api, "decode", body)).status_code == 401
    bad = await codec(api, "decode", body, authorization="Bearer not-a-token")
    assert bad.status_code == 401 and "unknown" in bad.json()["detail"]
    for who in ("cw-anna", "med-carl", "tl-chris"):
        refused = await codec(api, "decode", body, who)
        assert refused.status_code == 403, who
        assert refused.json() == {"detail": "only operations staff may use the codec server"}
        assert case_id not in refused.text
    api.http.cookies.set(COOKIE, session_cookie("cw-anna"))
    assert (await codec(api, "decode", body)).status_code == 403, "a caseworker's session"


async def test_operations_decode_a_real_trajectory_and_the_log_has_ids_only(
        api: Api, case_id: str, caplog: pytest.LogCaptureFixture) -> None:
    body = await opened_input(api, case_id)
    caplog.set_level(logging.INFO)
    with structlog.testing.capture_logs() as logs:
        by_token = await codec(api, "decode", body, "ops-olga")
    assert by_token.status_code == 200, by_token.text
    decoded = json_format.ParseDict(by_token.json(), Payloads()).payloads
    assert len(decoded) == len(body["payloads"])
    assert all(p.metadata["encoding"] != ENCODING for p in decoded)
    assert case_id.encode() in b"".join(p.data for p in decoded)
    line = next(entry for entry in logs if entry["event"] == "codec decode")
    assert line["extra"] == {"staff_id": "ops-olga", "workflow_ids": [workflow_id_for(case_id)],
                             "payloads": len(decoded), "still_sealed": 0}
    data = b"".join(base64.b64decode(p["data"]) for p in by_token.json()["payloads"])
    assert data not in (repr(logs) + caplog.text).encode()
    assert "gent" not in repr(line)

    api.http.cookies.set(COOKIE, session_cookie("ops-olga"))
    by_session = await codec(api, "decode", body, origin=UI)
    assert by_session.status_code == 200 and by_session.json() == by_token.json()
    assert by_session.headers["access-control-allow-origin"] == UI


async def test_encode_then_decode_round_trip(api: Api) -> None:
    plain = {"payloads": [{"metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                           "data": base64.b64encode(b'"hallo"').decode()}]}
    sealed = await codec(api, "encode", plain, "ops-olga")
    assert sealed.status_code == 200
    [one] = sealed.json()["payloads"]
    assert base64.b64decode(one["metadata"]["encoding"]) == ENCODING
    assert b"hallo" not in base64.b64decode(one["data"])
    opened = await codec(api, "decode", sealed.json(), "ops-olga")
    assert opened.json() == plain


async def test_cors_only_for_the_ui_origin(api: Api) -> None:
    preflight = {"access-control-request-method": "POST",
                 "access-control-request-headers": "content-type,x-namespace"}
    ok = await api.http.options("/codec/decode", headers={"origin": UI, **preflight})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == UI
    assert ok.headers["access-control-allow-credentials"] == "true"
    assert "x-namespace" in ok.headers["access-control-allow-headers"]
    other = "http://evil.example"
    refused = await api.http.options("/codec/decode", headers={"origin": other, **preflight})
    assert "access-control-allow-origin" not in refused.headers
    post = await codec(api, "decode", {"payloads": []}, "ops-olga", origin=other)
    assert post.status_code == 403 and "access-control-allow-origin" not in post.headers
    assert "*" not in ok.headers.values()


async def test_bad_requests_get_one_line(api: Api) -> None:
    wrong_ns = await codec(api, "decode", {"payloads": []}, "ops-olga", **{"x-namespace": "x"})
    assert wrong_ns.status_code == 400 and "namespace 'default' only" in wrong_ns.json()["detail"]
    junk = await api.http.post("/codec/decode", content=b"{nope", headers={
        **JSON, "authorization": f"Bearer {api.tokens['ops-olga']}"})
    assert junk.status_code == 422 and junk.json()["detail"].startswith("body: must be")
    form = await api.http.post("/codec/decode", data={"a": "b"}, headers={
        "authorization": f"Bearer {api.tokens['ops-olga']}"})
    assert form.status_code == 415

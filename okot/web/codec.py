"""The codec server for the Temporal Web UI (and the ``temporal`` CLI): ``/codec``.

The Temporal "remote codec" protocol: ``POST /codec/decode`` and ``POST
/codec/encode`` take and give ``{"payloads": [...]}`` (protobuf JSON, base64
``data`` and ``metadata``), with the ``X-Namespace`` header. Only an operations
person (role ``operations`` in the staff directory) gets answers; credentials
are the web session cookie (the UI's "Include cross-origin credentials") or
``Authorization: Bearer <okot API token>`` (``temporal --codec-auth``). 401
without credentials, 403 for anyone else. CORS is answered only for
``OKOT_UI_ORIGIN`` (credentials allowed, never a wildcard); a request from any
other origin is refused.

A payload names its data key (``okot-key-id``), so it decodes without knowing
its workflow; the key's scope is the workflow id, which is what the log line
says was decoded (staff id, workflow ids, counts: never payload content). A
payload of an erased trajectory stays ciphertext.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from okot.crypto.codec import FALLBACK_SCOPE, KEY_ID, EncryptionCodec
from okot.crypto.data_keys import DataKeyErased, UnknownDataKey
from okot.db.staff import OPERATIONS, lookup_staff
from okot.db.tokens import verify
from okot.logging import get_logger
from okot.web.runtime import runtime
from okot.web.sessions import session_staff_id
from okot.web.templating import render

log = get_logger(__name__)

MAX_BODY_BYTES = 64_000_000
ALLOW_HEADERS = "content-type,x-namespace,authorization"


class CodecRefused(Exception):
    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


def _cors(request: Request) -> dict[str, str]:
    """The CORS headers for this request: only for the configured UI origin."""
    origin = request.headers.get("origin")
    if origin is None or origin not in runtime(request).settings.ui_origins:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin"}


def _answer(request: Request, status_code: int, body: object) -> Response:
    return JSONResponse(body, status_code=status_code, headers=_cors(request))


def _check_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin is not None and not _cors(request):
        raise CodecRefused(403, "origin: not allowed (only OKOT_UI_ORIGIN, the Temporal Web UI)")


def _operations_staff_id(request: Request) -> str:
    """The staff id of the operations person calling (401/403 otherwise)."""
    engine = runtime(request).engine
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise CodecRefused(401, "credentials: use 'Authorization: Bearer <token>'")
        staff_id = verify(engine, token.strip())
        if staff_id is None:
            raise CodecRefused(401, "credentials: unknown, revoked or expired token")
    else:
        staff_id = session_staff_id(request)
        if staff_id is None:
            raise CodecRefused(401, "credentials: log in to the web app (as operations) or send "
                                    "'Authorization: Bearer <token>'")
    member = lookup_staff(engine, staff_id)
    if member is None or member.role != OPERATIONS:
        raise CodecRefused(403, "only operations staff may use the codec server")
    return staff_id


async def _payloads(request: Request) -> list[Payload]:
    namespace = runtime(request).client.namespace
    asked = request.headers.get("x-namespace")
    if asked is not None and asked != namespace:
        raise CodecRefused(400, f"X-Namespace: this codec serves namespace {namespace!r} only")
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise CodecRefused(415, "Content-Type: must be application/json")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise CodecRefused(413, f"body: larger than {MAX_BODY_BYTES} bytes")
    try:
        return list(json_format.Parse(raw, Payloads()).payloads)
    except (json_format.ParseError, UnicodeDecodeError):
        raise CodecRefused(422, 'body: must be {"payloads": [{"metadata": {...}, '
                                '"data": "<base64>"}]}') from None


async def _decode(codec: EncryptionCodec, payloads: Sequence[Payload]) -> tuple[
        list[Payload], list[str], int]:
    """The decoded payloads, the workflow ids they belong to, how many stay sealed."""
    out: list[Payload] = []
    scopes: list[str] = []
    sealed = 0
    for payload in payloads:
        key_id = payload.metadata.get(KEY_ID)
        try:
            if key_id is not None:
                scope = (await asyncio.to_thread(codec.store.get, key_id.decode())).scope
                if scope != FALLBACK_SCOPE and scope not in scopes:
                    scopes.append(scope)
            out.extend(await codec.decode([payload]))
        except (DataKeyErased, UnknownDataKey, ValueError):
            sealed += 1  # erased trajectory, foreign key or tampered: stays ciphertext
            out.append(payload)
    return out, scopes, sealed


def router() -> APIRouter:
    web = APIRouter(prefix="/codec", include_in_schema=False)

    @web.get("")
    async def about(request: Request) -> Response:
        """The page an operations person lands on after logging in."""
        staff_id = session_staff_id(request)
        member = lookup_staff(runtime(request).engine, staff_id) if staff_id else None
        if member is None or member.role != OPERATIONS:
            return render(request, "fout.html", {"titel": "Geen toegang", "uitleg":
                          "Alleen beheerders (rol operations) gebruiken de codec-server."},
                          status_code=403)
        origins = runtime(request).settings.ui_origins
        return render(request, "codec.html", {"naam": member.name,
                      "ui": origins[0] if origins else None})

    @web.options("/{operation}")
    async def preflight(request: Request, operation: str) -> Response:
        headers = _cors(request)
        if not headers or operation not in ("decode", "encode"):
            return JSONResponse({"detail": "origin: not allowed (only OKOT_UI_ORIGIN)"},
                                status_code=403)
        return Response(status_code=204, headers={
            **headers, "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": ALLOW_HEADERS, "Access-Control-Max-Age": "600"})

    @web.post("/{operation}")
    async def apply(request: Request, operation: str) -> Response:
        try:
            if operation not in ("decode", "encode"):
                raise CodecRefused(404, "no such codec operation: use /codec/decode or "
                                        "/codec/encode")
            _check_origin(request)
            staff_id = _operations_staff_id(request)
            payloads = await _payloads(request)
        except CodecRefused as refused:
            return _answer(request, refused.status_code, {"detail": refused.detail})
        codec = runtime(request).client.data_converter.payload_codec
        scopes: list[str] = []
        sealed = 0
        if not isinstance(codec, EncryptionCodec):  # OKOT_ENCRYPTION=off: nothing to do
            result = payloads
        elif operation == "decode":
            result, scopes, sealed = await _decode(codec, payloads)
        else:
            result = await codec.encode(payloads)
        log.info(f"codec {operation}", extra={
            "staff_id": staff_id, "workflow_ids": scopes, "payloads": len(payloads),
            "still_sealed": sealed})
        body = json_format.MessageToDict(Payloads(payloads=result))
        return _answer(request, 200, {"payloads": body.get("payloads", [])})

    return web

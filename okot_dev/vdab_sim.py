"""A small stand-in for VDAB's jobseeker registration endpoint (stdlib only).

``POST /jobseekers`` with JSON ``{"case_id": ..., "ocmw": ...}`` and an
``Idempotency-Key`` header registers a jobseeker and answers ``201
{"reference": ...}``. The same key answers the same reference again (``200``,
header ``Idempotent-Replayed: true``); the same key with a different body is
refused (``422``). A case that is already registered keeps its reference. A
missing key or an unreadable body is a ``400``, a body without a valid
``case_id``/``ocmw`` a ``422``; every error body is ``{"message": ...}``.

Fault injection: with ``fail_rate`` R each request answers ``503`` with
probability R (drawn from a ``random.Random(seed)``, so a run is
reproducible); ``latency_ms`` delays every answer.

``GET /jobseekers`` lists the registrations, ``GET /health`` answers ``ok``.

Run it with ``python -m okot_dev.vdab_sim --port 8088 --fail-rate 0.2 --latency 150``
or ``okot vdab-sim --port 8088``. The server logs only method, path, status and
case ids (pseudonymous), never bodies.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import random
import re
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

log = logging.getLogger(__name__)

DEFAULT_PORT: Final = 8088
MAX_BODY_BYTES: Final = 16 * 1024
_CASE_ID_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$")
_OCMW_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
_KEY_RE: Final = re.compile(r"^[\x21-\x7e]{1,255}$")


@dataclass(frozen=True)
class Registration:
    reference: str
    case_id: str
    ocmw: str
    key: str


@dataclass
class VdabState:
    """The simulator's memory and fault settings (thread-safe)."""

    fail_rate: float = 0.0
    latency_ms: int = 0
    seed: int = 0
    registrations: list[Registration] = field(default_factory=list)
    requests: int = 0
    failures_injected: int = 0
    _by_key: dict[str, Registration] = field(default_factory=dict)
    _by_case: dict[tuple[str, str], Registration] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.fail_rate <= 1.0:
            raise ValueError("fail_rate must be between 0 and 1")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        self._rng = random.Random(self.seed)

    def should_fail(self) -> bool:
        with self._lock:
            self.requests += 1
            fail = self.fail_rate > 0 and self._rng.random() < self.fail_rate
            if fail:
                self.failures_injected += 1
            return fail

    def register(self, key: str, case_id: str, ocmw: str) -> tuple[Registration, bool]:
        """Returns the registration and whether it is new; raises ``KeyError`` on a key reused
        for another body."""
        with self._lock:
            known = self._by_key.get(key)
            if known is not None:
                if (known.case_id, known.ocmw) != (case_id, ocmw):
                    raise KeyError(key)
                return known, False
            existing = self._by_case.get((ocmw, case_id))
            if existing is not None:
                replay = Registration(existing.reference, case_id, ocmw, key)
                self._by_key[key] = replay
                return replay, False
            reference = f"VDAB-{len(self.registrations) + 1:08d}"
            registration = Registration(reference, case_id, ocmw, key)
            self.registrations.append(registration)
            self._by_key[key] = registration
            self._by_case[(ocmw, case_id)] = registration
            return registration, True

    def snapshot(self) -> list[dict[str, str]]:
        with self._lock:
            return [
                {"reference": r.reference, "case_id": r.case_id, "ocmw": r.ocmw}
                for r in self.registrations
            ]


class VdabServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: VdabState) -> None:
        super().__init__(address, VdabHandler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout) leaves a broken pipe: that is expected
        # here, so say so briefly instead of printing a traceback to stderr.
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            log.debug("vdab-sim client went away (%s)", type(error).__name__)
            return
        log.exception("vdab-sim request failed")

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{host_text}:{port}"


class VdabHandler(BaseHTTPRequestHandler):
    server: VdabServer
    server_version = "vdab-sim/1.0"
    protocol_version = "HTTP/1.1"

    # ------------------------------------------------------------------ helpers

    def _reply(self, status: int, body: dict[str, Any], **headers: str) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status: int, message: str) -> None:
        self._reply(status, {"message": message})

    def _delay(self) -> None:
        latency = self.server.state.latency_ms
        if latency > 0:
            time.sleep(latency / 1000)

    def _read_body(self) -> bytes | None:
        length_header = self.headers.get("Content-Length")
        try:
            length = int(length_header) if length_header is not None else -1
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            return None
        return self.rfile.read(length)

    def log_message(self, format: str, *args: Any) -> None:
        # The default writes the client address and raw request line to stderr;
        # the request line holds only method and path here, so keep it short.
        log.debug("vdab-sim %s", format % args)

    # ------------------------------------------------------------------ routes

    def do_GET(self) -> None:
        self._delay()
        if self.path == "/health":
            self._reply(HTTPStatus.OK, {"status": "ok"})
        elif self.path == "/jobseekers":
            jobseekers = self.server.state.snapshot()
            self._reply(HTTPStatus.OK, {"count": len(jobseekers), "jobseekers": jobseekers})
        else:
            self._error(HTTPStatus.NOT_FOUND, "niet gevonden")

    def do_POST(self) -> None:
        state = self.server.state
        raw = self._read_body()
        self._delay()
        if self.path != "/jobseekers":
            self._error(HTTPStatus.NOT_FOUND, "niet gevonden")
            return
        if state.should_fail():
            self._error(HTTPStatus.SERVICE_UNAVAILABLE, "VDAB-dienst tijdelijk niet beschikbaar")
            return
        if raw is None:
            self._error(HTTPStatus.BAD_REQUEST, "Content-Length ontbreekt of is te groot")
            return
        key = (self.headers.get("Idempotency-Key") or "").strip()
        if not key:
            self._error(HTTPStatus.BAD_REQUEST, "Idempotency-Key ontbreekt")
            return
        if not _KEY_RE.match(key):
            self._error(HTTPStatus.BAD_REQUEST, "Idempotency-Key is ongeldig")
            return
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            self._error(HTTPStatus.BAD_REQUEST, "de body is geen geldige JSON")
            return
        if not isinstance(body, dict):
            self._error(HTTPStatus.UNPROCESSABLE_ENTITY, "de body moet een JSON-object zijn")
            return
        case_id, ocmw = body.get("case_id"), body.get("ocmw")
        if not isinstance(case_id, str) or not _CASE_ID_RE.match(case_id):
            self._error(HTTPStatus.UNPROCESSABLE_ENTITY, "case_id ontbreekt of is ongeldig")
            return
        if not isinstance(ocmw, str) or not _OCMW_RE.match(ocmw):
            self._error(HTTPStatus.UNPROCESSABLE_ENTITY, "ocmw ontbreekt of is ongeldig")
            return
        try:
            registration, new = state.register(key, case_id, ocmw)
        except KeyError:
            self._error(
                HTTPStatus.UNPROCESSABLE_ENTITY,
                "Idempotency-Key werd al gebruikt voor een andere aanvraag",
            )
            return
        log.info("vdab-sim registered", extra={"case_id": case_id, "new": new})
        self._reply(
            HTTPStatus.CREATED if new else HTTPStatus.OK,
            {"reference": registration.reference, "case_id": case_id, "ocmw": ocmw},
            **({} if new else {"Idempotent_Replayed": "true"}),
        )


# --------------------------------------------------------------------- running


def make_server(
    port: int = DEFAULT_PORT,
    fail_rate: float = 0.0,
    latency_ms: int = 0,
    *,
    host: str = "127.0.0.1",
    seed: int = 0,
) -> VdabServer:
    """A bound, not yet serving simulator (``port=0`` picks a free port)."""
    return VdabServer((host, port), VdabState(fail_rate=fail_rate, latency_ms=latency_ms, seed=seed))


@contextlib.contextmanager
def running(
    port: int = 0,
    fail_rate: float = 0.0,
    latency_ms: int = 0,
    *,
    host: str = "127.0.0.1",
    seed: int = 0,
) -> Iterator[VdabServer]:
    """Serve the simulator in a background thread for the duration of the block."""
    server = make_server(port, fail_rate, latency_ms, host=host, seed=seed)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
        name="vdab-sim",
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def run(
    port: int = DEFAULT_PORT,
    fail_rate: float = 0.0,
    latency_ms: int = 0,
    *,
    host: str = "127.0.0.1",
    seed: int = 0,
) -> None:
    """Serve the simulator in the foreground until interrupted (Ctrl-C)."""
    server = make_server(port, fail_rate, latency_ms, host=host, seed=seed)
    print(
        f"VDAB simulator on {server.url}/jobseekers "
        f"(fail rate {fail_rate:g}, latency {latency_ms} ms, seed {seed}); Ctrl-C stops it",
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _rate(value: str) -> float:
    rate = float(value)
    if not 0.0 <= rate <= 1.0:
        raise argparse.ArgumentTypeError("the fail rate must be between 0 and 1")
    return rate


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return number


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m okot_dev.vdab_sim", description="Simulate VDAB's jobseeker registration."
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 8088)")
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--fail-rate", type=_rate, default=0.0, help="share of 503 answers, 0..1")
    parser.add_argument("--latency", type=_non_negative, default=0, help="delay per answer, ms")
    parser.add_argument("--seed", type=int, default=0, help="seed of the failure draws")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    run(args.port, args.fail_rate, args.latency, host=args.host, seed=args.seed)


if __name__ == "__main__":
    main()

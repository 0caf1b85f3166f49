"""A local mail catcher for ``okot dev``: a real SMTP server and a page listing what it caught.

* SMTP (aiosmtpd) on ``127.0.0.1:1025``: every mail the worker sends is
  accepted and written to ``<mail_dir>/<time>-<n>.eml`` (plain RFC 5322 files
  that any mail client opens);
* HTTP (stdlib ``http.server``, a daemon thread) on ``127.0.0.1:8025``:
  ``/`` lists the mails newest first, ``/mail/<name>`` shows one (headers and
  the plain-text part), ``/raw/<name>`` serves the .eml file itself and
  ``/api/mails`` the list as JSON.

Both listen on loopback only: the demo's mails are about (fictitious) people.
It is a development tool, not a mail server; nothing is ever relayed.

Run it on its own with ``python -m okot_dev.mailcatcher``.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import itertools
import json
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Final
from urllib.parse import unquote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from okot_dev.ports import port_is_free

log = logging.getLogger(__name__)

DEFAULT_SMTP_PORT: Final = 1025
DEFAULT_HTTP_PORT: Final = 8025
MAX_LISTED: Final = 500
_NAME_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.eml$")


# ------------------------------------------------------------------------ storage


@dataclass(frozen=True)
class MailSummary:
    """One caught mail, as listed on the page."""

    name: str
    subject: str
    sender: str
    to: str
    date: str
    size: int


def _read(path: Path) -> EmailMessage:
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _header(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name, "") or "")
    except Exception:  # a malformed header must not break the listing
        return ""


def list_mails(mail_dir: Path, limit: int = MAX_LISTED) -> list[MailSummary]:
    """The .eml files in ``mail_dir``, newest first (at most ``limit``)."""
    if not mail_dir.is_dir():
        return []
    files = sorted(
        (p for p in mail_dir.iterdir() if p.is_file() and _NAME_RE.match(p.name)),
        key=lambda p: (p.stat().st_mtime, p.name),
        reverse=True,
    )
    out: list[MailSummary] = []
    for path in files[:limit]:
        try:
            message = _read(path)
            size = path.stat().st_size
        except OSError:  # removed while listing
            continue
        out.append(
            MailSummary(
                name=path.name,
                subject=_header(message, "Subject") or "(no subject)",
                sender=_header(message, "From"),
                to=_header(message, "To"),
                date=_header(message, "Date"),
                size=size,
            )
        )
    return out


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        return ""
    return content if isinstance(content, str) else ""


class CatchingHandler:
    """aiosmtpd handler: writes every accepted mail to ``mail_dir`` as one .eml file."""

    def __init__(self, mail_dir: Path) -> None:
        self.mail_dir = mail_dir
        self.caught = 0
        self._lock = threading.Lock()
        self._counter = itertools.count(1)

    def _name(self) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        return f"{stamp}-{next(self._counter):05d}.eml"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        recipients = ", ".join(envelope.rcpt_tos)
        header = f"X-Okot-Envelope-To: {recipients}\r\n".encode("ascii", "replace")
        with self._lock:
            self.mail_dir.mkdir(parents=True, exist_ok=True)
            path = self.mail_dir / self._name()
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(header + data)
            tmp.replace(path)
            self.caught += 1
        log.info("mail caught", extra={"file": path.name, "recipients": len(envelope.rcpt_tos)})
        return "250 Message accepted for delivery"


# --------------------------------------------------------------------------- page

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .6rem;
border-bottom:1px solid #ddd;vertical-align:top}th{background:#f4f4f4}
pre{white-space:pre-wrap;background:#fafafa;border:1px solid #eee;padding:1rem}
.muted{color:#777}
"""


def _page(title: str, body: str) -> bytes:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    ).encode()


def index_page(mail_dir: Path) -> bytes:
    mails = list_mails(mail_dir)
    rows = "".join(
        "<tr>"
        f"<td>{html.escape(m.date)}</td>"
        f"<td>{html.escape(m.to)}</td>"
        f"<td><a href='/mail/{html.escape(m.name)}'>{html.escape(m.subject)}</a></td>"
        f"<td><a class='muted' href='/raw/{html.escape(m.name)}'>.eml</a></td>"
        "</tr>"
        for m in mails
    )
    body = (
        f"<h1>okot-flow mail catcher</h1><p class='muted'>{len(mails)} mail(s) in "
        f"<code>{html.escape(str(mail_dir))}</code>; newest first; reload to refresh.</p>"
        "<table><tr><th>Date</th><th>To</th><th>Subject</th><th></th></tr>"
        f"{rows or '<tr><td colspan=4>No mail yet.</td></tr>'}</table>"
    )
    return _page("okot-flow mails", body)


def mail_page(path: Path) -> bytes:
    message = _read(path)
    headers = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(_header(message, name))}</td></tr>"
        for name in ("Date", "From", "To", "Cc", "Reply-To", "Subject", "Message-ID")
        if _header(message, name)
    )
    body = (
        "<p><a href='/'>&larr; all mails</a> · "
        f"<a href='/raw/{html.escape(path.name)}'>raw .eml</a></p>"
        f"<h1>{html.escape(_header(message, 'Subject') or '(no subject)')}</h1>"
        f"<table>{headers}</table><pre>{html.escape(_text_of(message))}</pre>"
    )
    return _page(_header(message, "Subject") or path.name, body)


class MailPageServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], mail_dir: Path) -> None:
        super().__init__(address, MailPageHandler)
        self.mail_dir = mail_dir

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class MailPageHandler(BaseHTTPRequestHandler):
    server: MailPageServer
    server_version = "okot-mailcatcher"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("mail page request", extra={"path": self.path.split("?")[0]})

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _mail_path(self, raw: str) -> Path | None:
        name = unquote(raw)
        if not _NAME_RE.match(name):
            return None
        path = self.server.mail_dir / name
        return path if path.is_file() else None

    def do_GET(self) -> None:
        route = self.path.split("?", 1)[0]
        if route in ("/", "/index.html"):
            self._send(HTTPStatus.OK, index_page(self.server.mail_dir), "text/html; charset=utf-8")
            return
        if route == "/api/mails":
            payload = [asdict(m) for m in list_mails(self.server.mail_dir)]
            self._send(HTTPStatus.OK, json.dumps(payload).encode(), "application/json")
            return
        for prefix in ("/mail/", "/raw/"):
            if route.startswith(prefix):
                path = self._mail_path(route[len(prefix):])
                if path is None:
                    break
                if prefix == "/raw/":
                    self._send(HTTPStatus.OK, path.read_bytes(), "text/plain; charset=utf-8")
                else:
                    self._send(HTTPStatus.OK, mail_page(path), "text/html; charset=utf-8")
                return
        self._send(HTTPStatus.NOT_FOUND, _page("not found", "<h1>Not found</h1>"),
                   "text/html; charset=utf-8")


# ------------------------------------------------------------------------- catcher




class PortInUse(RuntimeError):
    """A port the catcher needs is taken."""


class MailCatcher:
    """The SMTP server and the page, started and stopped together."""

    def __init__(
        self,
        mail_dir: Path,
        *,
        host: str = "127.0.0.1",
        smtp_port: int = DEFAULT_SMTP_PORT,
        http_port: int | None = DEFAULT_HTTP_PORT,
    ) -> None:
        self.mail_dir = Path(mail_dir)
        self.host = host
        self.smtp_port = smtp_port
        self.http_port = http_port
        self.handler = CatchingHandler(self.mail_dir)
        self._controller: Controller | None = None
        self._http: MailPageServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def page_url(self) -> str | None:
        return self._http.url if self._http is not None else None

    def start(self) -> MailCatcher:
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        if self.http_port is not None:
            try:
                self._http = MailPageServer((self.host, self.http_port), self.mail_dir)
            except OSError as error:
                raise PortInUse(
                    f"cannot serve the mail page on {self.host}:{self.http_port} ({error.strerror}); "
                    "is another mail catcher running? pick another port"
                ) from None
            self.http_port = int(self._http.server_address[1])
            self._thread = threading.Thread(
                target=self._http.serve_forever, kwargs={"poll_interval": 0.1},
                name="okot-mail-page", daemon=True,
            )
            self._thread.start()
        if not port_is_free(self.smtp_port, self.host):
            self._stop_http()
            raise PortInUse(
                f"cannot start the SMTP catcher on {self.host}:{self.smtp_port} (port in use); "
                "is another mail catcher running? pick another port"
            )
        controller = Controller(
            self.handler, hostname=self.host, port=self.smtp_port, ready_timeout=10,
            server_hostname="okot-mailcatcher",
        )
        try:
            controller.start()
        except (OSError, RuntimeError) as error:
            self._stop_http()
            raise PortInUse(
                f"cannot start the SMTP catcher on {self.host}:{self.smtp_port} ({error}); "
                "is another mail catcher running? pick another port"
            ) from None
        self._controller = controller
        return self

    def _stop_http(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def stop(self) -> None:
        if self._controller is not None:
            with contextlib.suppress(Exception):
                self._controller.stop()
            self._controller = None
        self._stop_http()

    def __enter__(self) -> MailCatcher:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@contextlib.contextmanager
def running(mail_dir: Path, **kwargs: Any) -> Iterator[MailCatcher]:
    """A started :class:`MailCatcher` for the duration of the block."""
    with MailCatcher(mail_dir, **kwargs) as catcher:
        yield catcher


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m okot_dev.mailcatcher", description="Catch mails on SMTP and list them."
    )
    parser.add_argument("--dir", type=Path, default=Path("var/mail"), help="where .eml files go")
    parser.add_argument("--smtp-port", type=int, default=DEFAULT_SMTP_PORT)
    parser.add_argument("--http-port", type=int, default=DEFAULT_HTTP_PORT)
    args = parser.parse_args(argv)
    stop = threading.Event()
    with running(args.dir, smtp_port=args.smtp_port, http_port=args.http_port) as catcher:
        print(f"SMTP on 127.0.0.1:{catcher.smtp_port}, mails on {catcher.page_url} "
              f"and in {args.dir}; Ctrl-C stops it", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":  # pragma: no cover
    main()

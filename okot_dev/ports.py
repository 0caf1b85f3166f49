"""Local TCP ports: is one free, and which one is (for the dev stack and tests)."""

from __future__ import annotations

import socket
from typing import Final

LOOPBACK: Final = "127.0.0.1"

# The default ports of `okot dev` (here, in a light module, so that registering the
# command does not import the dev stack).
DEFAULT_PORT: Final = 7233
"""gRPC port of the Temporal dev server."""
DEFAULT_UI_PORT: Final = 8233
"""Port of the Temporal Web UI."""
DEFAULT_WEB_PORT: Final = 8000
"""Port of the web app (okot web)."""
DEFAULT_IDP_PORT: Final = 9400
"""Port of the local OpenID provider."""


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """True when nothing listens on ``host:port`` and it can be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        if sock.connect_ex((host, port)) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # as servers do: a port whose old connections linger in TIME_WAIT is free
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that is free right now (for tests and ``--port 0``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])

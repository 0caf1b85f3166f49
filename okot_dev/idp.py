"""A local OpenID Connect provider for the demo and the browser tests (``oidc-provider-mock``).

:func:`start_idp` runs ``python -m oidc_provider_mock`` on a port with one
predefined user per staff member (subject = e-mail address, with the claims
``email`` and ``email_verified: true``), so logging in is choosing a person on
its page. Any client id and secret are accepted. Never for production.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpx

from okot.db.staff import StaffMember
from okot_dev.ports import LOOPBACK

CLIENT_ID = "okot-demo"
CLIENT_SECRET = "okot-demo-secret"


def idp_command(port: int, staff: Iterable[StaffMember]) -> list[str]:
    command = [sys.executable, "-m", "oidc_provider_mock", "--host", LOOPBACK,
               "--port", str(port), "--require-nonce"]
    for member in staff:
        claims = {"sub": member.email, "email": member.email, "email_verified": True,
                  "name": member.name}
        command += ["--user-claims", json.dumps(claims)]
    return command


@contextmanager
def start_idp(port: int, staff: Iterable[StaffMember],
              timeout: float = 20.0) -> Iterator[str]:
    """Run the provider until the block ends; yields its issuer URL."""
    issuer = f"http://{LOOPBACK}:{port}"
    process = subprocess.Popen(idp_command(port, staff), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration",
                             timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the OpenID provider did not start on port {port}")
            time.sleep(0.1)
        yield issuer
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()

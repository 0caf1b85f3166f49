"""Ending a process that used the Temporal SDK, without the SDK's crash at exit.

The cause (temporalio/sdk-python#300, open in every SDK release to date): each
client call completes on a tokio thread of the SDK's Rust runtime, which takes
the GIL to hand the result to asyncio (pyo3-async-runtimes' ``future_into_py``:
``loop.call_soon_threadsafe``, whose socket write lets the GIL go for a moment).
When the main thread meanwhile finishes the command and Python starts
finalizing, CPython makes that thread exit as it takes the GIL back; unwinding
runs pyo3's GIL guard, and ``PyGILState_Release`` aborts the process: "Fatal
Python error: PyGILState_Release: thread state ... must be current when
releasing", exit code 134, after the command printed its answer (about one run
in eight on a busy machine). The SDK offers no way to stop its runtime's
threads first, and finalization is the only place where they are unsafe.

So a process that connected to Temporal ends, once its work is done and its
output flushed, without finalizing the interpreter (:func:`exit_process`);
every exit code stays the one the command chose. A process that never
connected exits the ordinary way.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import NoReturn

_connected = False


def note_connected() -> None:
    """Called on every connection: from now on the SDK's runtime threads exist."""
    global _connected
    _connected = True


def exit_process(code: int) -> NoReturn:
    """End the process with ``code``: flush, then skip finalization if Temporal was used."""
    if not _connected:
        sys.exit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        # closed, or a broken pipe: nothing more can be said
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)

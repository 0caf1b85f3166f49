"""Logging: structlog, JSON in production, readable on a terminal.

Standard-library records (temporalio's ``workflow.logger`` and
``activity.logger`` included) pass through the same processors, so one worker
writes one consistent stream. Log only ids, codes, stages and dates: never
names, contact details or free text (docs/domain.md, Privacy).
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog

from okot.settings import (
    LogFormat,
    get_settings,
)

_STANDARD_RECORD_KEYS = frozenset(
    [*logging.LogRecord("", 0, "", 0, "", (), None).__dict__, "message", "asctime"])
_RENAMED = {"event": "event_name"}
"""An ``extra`` field named like a field of the line itself is kept under another name:
``extra={"event": "record_info"}`` must not replace the log message."""


def _add_extras(logger: Any, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """The ``extra`` fields of a standard-library record as fields of the line
    (``structlog.stdlib.ExtraAdder``, without letting one overwrite the message)."""
    record = event_dict.get("_record")
    if record is not None:
        for key, value in record.__dict__.items():
            if key not in _STANDARD_RECORD_KEYS:
                event_dict[_RENAMED.get(key, key)] = value
    return event_dict


_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    _add_extras,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record is emitted, not when configured.

    A stream bound at configuration time goes stale when stderr is swapped (a test
    runner capturing a command's output, a daemon redirecting it): log lines from
    worker threads then fail with "I/O operation on closed file".
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """Ignored: the stream is always the current ``sys.stderr``."""


def configure_logging(
    fmt: LogFormat | None = None, level: str | None = None, stream: TextIO | None = None,
    *, workflow_loggers: bool = True,
) -> None:
    """Route structlog and stdlib logging to ``stream`` (default: stderr).

    ``workflow_loggers=False`` leaves temporalio's workflow and activity loggers
    alone (and temporalio unimported): for processes that run neither, such as the
    ``okot`` commands (``okot worker`` and ``okot dev`` configure logging again).
    """
    settings = get_settings()
    stream = stream or sys.stderr
    fmt = fmt or settings.log_format
    if fmt is LogFormat.AUTO:
        fmt = LogFormat.CONSOLE if stream.isatty() else LogFormat.JSON
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt is LogFormat.JSON
        else structlog.dev.ConsoleRenderer(colors=stream.isatty())
    )
    structlog.configure(
        processors=[
            *_SHARED,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler: logging.Handler = (
        logging.StreamHandler(stream) if stream is not sys.stderr else _StderrHandler()
    )
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or settings.log_level).upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if workflow_loggers:
        _fields_not_text_in_temporalio_loggers()


def _fields_not_text_in_temporalio_loggers() -> None:
    """temporalio's workflow and activity loggers put their info in ``extra`` (rendered
    as fields) instead of appending it to the message text."""
    import temporalio.activity
    import temporalio.workflow

    temporalio.workflow.logger.workflow_info_on_message = False
    temporalio.activity.logger.activity_info_on_message = False


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger

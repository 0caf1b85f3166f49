"""One worker writes one consistent stream: stdlib and temporalio records go
through structlog, as JSON in production."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
import temporalio.activity

from okot.logging import (
    configure_logging,
    get_logger,
)
from okot.settings import LogFormat


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    yield buffer
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


def test_json_lines_for_structlog_and_stdlib_records(stream: io.StringIO) -> None:
    configure_logging(LogFormat.JSON, "INFO", stream)
    get_logger("okot.test").info("trajectory opened", case_id="C-001", stage="orientation")
    logging.getLogger("temporalio.activity").info("event recorded", extra={"key": "okot-C-001:t1"})
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["event"] == "trajectory opened" and lines[0]["case_id"] == "C-001"
    assert lines[0]["level"] == "info" and "timestamp" in lines[0]
    assert lines[1]["event"] == "event recorded" and lines[1]["key"] == "okot-C-001:t1"
    assert lines[1]["logger"] == "temporalio.activity"
    assert temporalio.activity.logger.activity_info_on_message is False


def test_an_extra_named_event_does_not_replace_the_message(stream: io.StringIO) -> None:
    # The record activity and the workflow log an event's name as extra "event": it
    # used to overwrite the message ("event not recorded" showed as "record_info").
    configure_logging(LogFormat.JSON, "INFO", stream)
    logging.getLogger("temporalio.activity").warning(
        "event not recorded", extra={"event": "record_info", "key": "t1"})
    line = json.loads(stream.getvalue().splitlines()[0])
    assert line["event"] == "event not recorded"
    assert line["event_name"] == "record_info" and line["key"] == "t1"
    assert "_record" not in line and "exc_info" not in line


def test_console_format_is_readable(stream: io.StringIO) -> None:
    configure_logging(LogFormat.CONSOLE, "INFO", stream)
    get_logger("okot.test").info("worker started", task_queue="okot")
    text = stream.getvalue()
    assert "worker started" in text and "task_queue" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.splitlines()[0])

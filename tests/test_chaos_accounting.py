"""The fault suite's own accounting (``bench/chaos``): what it calls lost, duplicated
and a clear answer, on made-up observations (the suite itself runs in CI as
``make chaos-quick``)."""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chaos.accounting import BY_THE_SERVER, by_the_workflow, mail_row, resent_across_kill
from bench.chaos.driving import Mail, Trajectory, happy_path, new_trajectory
from bench.chaos.hostile import CLOSING, Payload, hostile, unclear
from okot.domain import journey
from okot.domain.changes import Accepted
from okot.domain.messages import parse_message

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _driven(steps: int = 11) -> Trajectory:
    t = new_trajectory("unit", 1, random.Random(1))
    t.opened("0195-run", NOW)
    for message in happy_path(t, NOW.date())[:steps]:
        assert t.apply(message, NOW)
    return t


def _caught(mail: Mail, at: datetime) -> Mail:
    return Mail(mail.message_id, mail.recipient, mail.template, mail.case_id, at)


def test_the_rules_model_counts_entries_and_mails_of_the_happy_path() -> None:
    t = _driven()
    assert t.model is not None and t.model.stage.value == "follow_up"
    # opened, 11 messages, and "registered" when the client was not registered yet
    assert t.entries == 12 + (0 if t.request.registered_jobseeker else 1)
    templates = [m.template for m in t.expected_mails()]
    assert templates[:2] == ["candidacy_submitted", "agreement_given"]
    assert len({m.message_id for m in t.expected_mails()}) == len(templates)


def test_lost_and_duplicated_mails_by_message_id_and_by_what_they_are() -> None:
    t = _driven()
    expected = t.expected_mails()
    at = NOW
    caught = [_caught(m, at) for m in expected[1:]]  # the first one never arrived
    caught.append(_caught(expected[1], at + timedelta(minutes=1)))  # one came twice
    caught.append(Mail("<other@okot-flow>", expected[2].recipient, expected[2].template,
                       t.case_id, at))  # the same mail under another key
    count = mail_row("s", [t], caught, stuck=0)
    assert count.row.expected == len(expected)
    assert count.row.lost == 1
    assert count.row.duplicated == 2 and count.resent == 0
    assert count.row.observed == len(expected) - 2  # once: all but the lost and the twice
    count.row.explained = count.resent
    assert not count.row.ok


def test_a_resend_right_after_a_kill_is_told_apart_but_still_counted() -> None:
    t = _driven()
    expected = t.expected_mails()
    first = NOW
    caught = [_caught(m, first) for m in expected]
    caught.append(_caught(expected[0], first + timedelta(seconds=95)))
    kill = first + timedelta(milliseconds=15)
    count = mail_row("s", [t], caught, stuck=0, kills=[kill])
    assert count.row.duplicated == 1 and count.resent == 1
    assert "SIGKILLed 15 ms after the mail server accepted it" in count.notes[0]
    count.row.explained = count.resent
    assert count.row.ok
    # a kill before the first copy, or long after it, explains nothing
    assert not resent_across_kill(caught[:1] + caught[-1:], [first - timedelta(seconds=1)])
    assert not resent_across_kill(caught[:1] + caught[-1:], [first + timedelta(minutes=5)])
    assert not resent_across_kill(caught[:1] + caught[-1:] * 2, [kill])  # three copies


def test_a_clear_answer_is_one_bounded_line_that_never_repeats_the_input() -> None:
    payload = Payload("signal", "record_progress", [{}], "register number",
                      marks=["85.07.30-033.28", "Zoë's café ☕ naïve Qx81"])
    assert unclear("record_progress: note: a national register number is refused", payload) is None
    assert unclear("", payload) == "empty reason"
    assert unclear("line one\nline two", payload) == "reason over several lines"
    assert unclear("x" * 301, payload) == "reason of 301 characters"
    assert unclear("note: 85.07.30-033.28 refused", payload) == "reason repeats the input"


def test_hostile_payloads_are_json_and_never_close_a_trajectory() -> None:
    t = _driven(steps=0)
    assert t.model is not None
    rng = random.Random(7)
    kinds = set()
    for _ in range(3000):
        p = hostile(t, rng, NOW.date())
        kinds.add(p.what)
        json.dumps(p.args)  # what the data converter sends
        if p.name not in {c.value for c in CLOSING}:
            continue
        if len(p.args) != 1 or not isinstance(p.args[0], dict):
            continue
        try:
            message = parse_message(p.name, p.args[0])
        except ValueError:
            continue
        decision = journey.decide(t.model, message, NOW)
        assert not (isinstance(decision, Accepted) and decision.status.stage.value == "closed"), p
    assert {"1 MB string", "unicode", "far date", "register number", "missing actor"} <= kinds


def test_only_the_workflows_own_task_failures_gate() -> None:
    from collections import Counter

    failures = Counter({f"FORCE_CLOSE_COMMAND {BY_THE_SERVER}": 2,
                        "WORKFLOW_WORKER_UNHANDLED_FAILURE: ValueError: boom": 1})
    assert by_the_workflow(failures) == Counter(
        {"WORKFLOW_WORKER_UNHANDLED_FAILURE: ValueError: boom": 1})
    assert not by_the_workflow(Counter({f"FORCE_CLOSE_COMMAND {BY_THE_SERVER}": 3}))

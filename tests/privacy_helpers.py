"""Helpers of the privacy tests: a full trajectory that carries a planted string in
every free-text field, and the payloads of a raw history."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from google.protobuf.message import Message as ProtoMessage
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import DataConverter
from workflow_helpers import CW, MED, Driver

from okot.domain.messages import (
    ConfirmHandover,
    GiveAgreement,
    RecordPrecheck,
    RecordProgress,
    RecordScreening,
    SubmitCandidacy,
    Withdraw,
)
from okot.domain.status import TrajectoryStatus
from okot.domain.values import Stage


async def full_path_with(d: Driver, planted: str) -> TrajectoryStatus:
    """Every stage up to the start of the training, each free-text field carrying
    ``planted``, then a withdrawal for ``planted`` reasons (closed). A refused message with ``planted``
    in it is sent as a Signal on the way (it is recorded in the history too)."""
    await d.open()
    today = await d.today()
    await d.update(RecordPrecheck(actor=CW, conditions_met=True, twe_active=False,
                                  study_level="bachelor", notes=f"pre-check {planted}"))
    await d.update(SubmitCandidacy(actor=CW, programme="Informatica", study_level="bachelor",
                                   school="HoGent", channel="mediator", mediator=MED.id))
    await d.signal(RecordProgress(actor=MED, date=today, note=f"too early {planted}"))
    await d.update(GiveAgreement(actor=CW))
    for _ in range(100):
        if (await d.status()).stage is Stage.HANDOVER:
            break
        await asyncio.sleep(0.1)
    await d.update(ConfirmHandover(actor=CW, date=today, channel="phone",
                                   notes=f"handover {planted}"))
    await d.update(RecordScreening(actor=MED, approved=True, start_date=today, location="Gent"))
    status = await d.update(Withdraw(actor=CW, reason=f"withdrawn {planted}"))
    assert status.stage is Stage.CLOSED
    return status


def payloads_in(message: ProtoMessage) -> Iterator[Payload]:
    """Every :class:`Payload` inside a protobuf message, however deep."""
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.is_repeated:
            items = value.values() if field.message_type.GetOptions().map_entry else value
        else:
            items = [value]
        for item in items:
            if isinstance(item, ProtoMessage):
                yield from payloads_in(item)


async def raw_history(client: Client, workflow_id: str) -> WorkflowHistory:
    """The history as the server holds it, fetched by a client without any codec."""
    raw = Client(client.service_client, namespace=client.namespace,
                 data_converter=DataConverter.default)
    return await raw.get_workflow_handle(workflow_id).fetch_history()


def history_bytes(history: WorkflowHistory) -> bytes:
    return b"".join(event.SerializeToString() for event in history.events)


async def decoded_data(converter: DataConverter, history: WorkflowHistory) -> bytes:
    """The data of every payload of ``history``, decoded by ``converter``'s codec."""
    payloads = [p for event in history.events for p in payloads_in(event)]
    assert converter.payload_codec is not None
    decoded = await converter.payload_codec.decode(payloads)
    return b"".join(p.data for p in decoded)

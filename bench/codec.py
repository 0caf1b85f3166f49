"""Benchmark of payload encryption (:mod:`okot.crypto.codec`).

Encodes and decodes the payloads a trajectory writes most: a full
``TrajectoryStatus`` (what every ``record`` activity input carries), as the
pydantic converter makes it, with and without the codec, and prints the cost
per payload, the size overhead and the cost of a first payload of a new
trajectory (a new data key: generated, wrapped and stored in SQLite).

    PYTHONPATH=. .venv/bin/python bench/codec.py [--payloads 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import WorkflowSerializationContext

from okot.crypto.codec import EncryptionCodec
from okot.crypto.data_keys import DataKeyStore
from okot.crypto.keyring import new_keyring
from okot.db.engine import get_engine, prepare_database
from okot.domain.journey import open_trajectory
from okot.domain.status import OpenTrajectory, TrajectoryStatus


def sample_status() -> TrajectoryStatus:
    request = OpenTrajectory(case_id="C-2024-0001", ocmw="gent", caseworker="cw-anna")
    return open_trajectory(request, datetime.now(UTC))


async def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = get_engine(f"sqlite:///{Path(tmp) / 'keys.db'}")
        prepare_database(engine)
        store = DataKeyStore(engine, new_keyring())
        codec = EncryptionCodec(store)
        payload = pydantic_data_converter.payload_converter.to_payloads([sample_status()])[0]

        firsts = []
        for n in range(50):
            ctx = WorkflowSerializationContext(namespace="default", workflow_id=f"okot-B-{n}")
            started = time.perf_counter()
            await codec.with_context(ctx).encode([payload])
            firsts.append(time.perf_counter() - started)

        scoped = codec.with_context(
            WorkflowSerializationContext(namespace="default", workflow_id="okot-B-0"))
        started = time.perf_counter()
        sealed = [(await scoped.encode([payload]))[0] for _ in range(count)]
        encode = (time.perf_counter() - started) / count
        started = time.perf_counter()
        for one in sealed:
            await scoped.decode([one])
        decode = (time.perf_counter() - started) / count
        fresh = EncryptionCodec(DataKeyStore(engine, store.keyring))
        started = time.perf_counter()
        await fresh.decode([sealed[0]])
        cold = time.perf_counter() - started

    print(f"payload: TrajectoryStatus, {payload.ByteSize()} bytes plain, "
          f"{sealed[0].ByteSize()} bytes encrypted (+{sealed[0].ByteSize() - payload.ByteSize()})")
    print(f"encode (cached data key): {encode * 1e6:.1f} us per payload ({count} payloads)")
    print(f"decode (cached data key): {decode * 1e6:.1f} us per payload")
    print(f"first payload of a new trajectory (new data key, SQLite): "
          f"median {statistics.median(firsts) * 1e3:.2f} ms, max {max(firsts) * 1e3:.2f} ms")
    print(f"first decode in a fresh process (data key read and unwrapped): {cold * 1e3:.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payloads", type=int, default=5000)
    asyncio.run(main(parser.parse_args().payloads))

"""Encryption is on by default: without a keyring nothing starts (unless the
explicit development switch), and ``okot dev`` makes its own keyring."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import Cli
from temporalio.contrib.pydantic import pydantic_data_converter

from okot.crypto.codec import EncryptionCodec
from okot.crypto.keyring import load_keyring
from okot.settings import Settings, get_settings
from okot.temporal.connection import EncryptionNotConfigured, data_converter
from okot_dev.devstack import ensure_keyring
from worker import refuse_without_keyring


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("OKOT_KEYRING", raising=False)
    monkeypatch.delenv("OKOT_ENCRYPTION", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_default_converter_encrypts_payloads_and_failures() -> None:
    converter = data_converter()
    assert isinstance(converter.payload_codec, EncryptionCodec)
    assert converter.failure_converter._encode_common_attributes  # type: ignore[attr-defined]


@pytest.mark.usefixtures("no_keyring")
def test_without_a_keyring_nothing_connects() -> None:
    with pytest.raises(EncryptionNotConfigured, match="okot keyring init"):
        data_converter(Settings())
    with pytest.raises(SystemExit) as stopped:
        refuse_without_keyring()
    assert stopped.value.code == 1
    result = Cli().invoke("status", "C-0001")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("no keyring: set OKOT_KEYRING")


@pytest.mark.usefixtures("no_keyring")
def test_encryption_off_is_the_explicit_development_switch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OKOT_ENCRYPTION", "off")
    assert data_converter(Settings()) is pydantic_data_converter


@pytest.mark.usefixtures("no_keyring")
def test_okot_dev_creates_its_keyring_once(tmp_path: Path) -> None:
    path = ensure_keyring(tmp_path)
    assert path == str(tmp_path / "keyring.json")
    assert os.environ["OKOT_KEYRING"] == path
    assert stat.S_IMODE((tmp_path / "keyring.json").stat().st_mode) == 0o600
    first = load_keyring(path).active_id
    del os.environ["OKOT_KEYRING"]
    assert ensure_keyring(tmp_path) == path
    assert load_keyring(path).active_id == first

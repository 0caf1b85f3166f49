"""AES-256-GCM: seal and open bytes with a 256-bit key and associated data.

A sealed blob is the 12-byte random nonce followed by the ciphertext and its
16-byte tag. Opening with the wrong key or associated data raises
:class:`SealBroken`.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12


class SealBroken(ValueError):
    """The blob was not sealed with this key and associated data, or was altered."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, blob: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag:
        raise SealBroken("authentication failed: wrong key or altered data") from None

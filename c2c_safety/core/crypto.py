"""Sealing personal data at rest with AES-256-GCM.

A sealed value is `MAGIC | len(kid) | kid | nonce(12) | ciphertext+tag`, so each value
names the key that sealed it and `keys rotate` can find what still uses an old key.
The key ring comes from C2C_DATA_KEY: "kid:base64key[,kid:base64key...]"; the first key
seals, all of them open.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

MAGIC = b"C2"


class CryptoError(ValueError):
    pass


@dataclass(frozen=True)
class KeyRing:
    current: str
    keys: dict[str, bytes]

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for part in (p.strip() for p in spec.split(",") if p.strip()):
            kid, sep, b64 = part.partition(":")
            if not sep or not kid or len(kid) > 32:
                raise CryptoError("C2C_DATA_KEY entries look like kid:base64key")
            try:
                raw = base64.b64decode(b64, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise CryptoError(f"data key {kid!r} is not valid base64") from exc
            if len(raw) != 32:
                raise CryptoError(f"data key {kid!r} must be 32 bytes (AES-256)")
            keys[kid] = raw
            order.append(kid)
        if not order:
            raise CryptoError("no data key configured")
        return cls(current=order[0], keys=keys)

    def seal(self, plaintext: bytes, aad: bytes = b"") -> bytes:
        kid = self.current.encode()
        nonce = os.urandom(12)
        ct = AESGCM(self.keys[self.current]).encrypt(nonce, plaintext, aad or None)
        return MAGIC + bytes([len(kid)]) + kid + nonce + ct

    def open(self, blob: bytes, aad: bytes = b"") -> bytes:
        kid = key_id(blob)
        key = self.keys.get(kid)
        if key is None:
            raise CryptoError(f"value sealed with unknown key {kid!r}")
        start = 3 + len(kid)
        nonce, ct = blob[start : start + 12], blob[start + 12 :]
        try:
            return AESGCM(key).decrypt(nonce, ct, aad or None)
        except InvalidTag as exc:
            raise CryptoError("sealed value failed authentication") from exc


def key_id(blob: bytes) -> str:
    if len(blob) < 3 or blob[:2] != MAGIC:
        raise CryptoError("not a sealed value")
    n = blob[2]
    return blob[3 : 3 + n].decode()


def keyring() -> KeyRing:
    ring: KeyRing | None = current_app.extensions.get("c2c_keyring")
    if ring is None:
        ring = KeyRing.parse(current_app.config["C2C"].data_keys)
        current_app.extensions["c2c_keyring"] = ring
    return ring


def seal_text(text: str | None) -> bytes | None:
    if text is None:
        return None
    return keyring().seal(text.encode("utf-8"))


def open_text(blob: bytes | None) -> str | None:
    if blob is None:
        return None
    return keyring().open(blob).decode("utf-8")


def seal_bytes(data: bytes) -> bytes:
    return keyring().seal(data)


def open_bytes(blob: bytes) -> bytes:
    return keyring().open(blob)

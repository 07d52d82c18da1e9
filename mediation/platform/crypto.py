"""Parties' ID numbers at rest: AES-GCM encryption and a keyed hash for exact-match lookup.

Both keys are derived (HKDF-SHA256) from one secret: ``ID_NUMBER_KEY``, by default generated
once into ``instance/id_key``. Whoever reads the database alone learns neither the numbers nor,
from the hash, which number a row holds; losing the secret loses the numbers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from ..domain.identity import mask_id_number

# The stored form: "v1:" + base64(nonce ‖ ciphertext ‖ tag). The prefix leaves room for a
# later key or algorithm without guessing what a row holds.
_VERSION = "v1:"
_NONCE_BYTES = 12
_AAD = b"fengqiao/party/id_number"


class IdNumberKeyError(RuntimeError):
    """A stored ID number cannot be decrypted with the key in force."""


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode("utf-8")
    )


class IdCipher:
    """Encrypts, decrypts and hashes ID numbers with the keys derived from ``secret``."""

    def __init__(self, secret: str) -> None:
        if not secret or len(secret) < 32:
            raise ValueError("the ID number key must have at least 32 characters")
        self._aead = AESGCM(_derive(secret, b"fengqiao id_number encryption v1"))
        self._hash_key = _derive(secret, b"fengqiao id_number lookup v1")

    def encrypt(self, number: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, number.encode("utf-8"), _AAD)
        return _VERSION + base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(_VERSION):
            raise IdNumberKeyError("a stored ID number has an unknown format")
        try:
            raw = base64.b64decode(stored[len(_VERSION) :], validate=True)
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _AAD)
        except (InvalidTag, ValueError):
            raise IdNumberKeyError(
                "a stored ID number cannot be decrypted: ID_NUMBER_KEY (or instance/id_key) is "
                "not the key it was encrypted with"
            ) from None
        return plain.decode("utf-8")

    def lookup_hash(self, number: str) -> str:
        """HMAC-SHA256 of the number, hex: equal numbers give equal hashes, under this key only."""
        return hmac.new(self._hash_key, number.encode("utf-8"), hashlib.sha256).hexdigest()


def id_cipher() -> IdCipher:
    """The running app's cipher, built once per app from its ``ID_NUMBER_KEY``.

    Before first use it must decrypt a number already stored, if there is one: a process started
    with another key (a second machine that generated its own ``instance/id_key``) refuses to
    write numbers nobody could read back, instead of mixing keys in one table.
    """
    secret = current_app.config["ID_NUMBER_KEY"]
    cached = current_app.extensions.get("id_cipher")
    if cached is not None and cached[0] == secret:
        return cached[1]
    cipher = IdCipher(secret)
    sample = _stored_sample()
    if sample is not None:  # until a number is stored, every use looks again
        cipher.decrypt(sample)  # IdNumberKeyError names the key
        current_app.extensions["id_cipher"] = (secret, cipher)
    return cipher


def sealed_id_number(number: str | None) -> dict[str, str | None]:
    """A party's stored columns for an ID number: encrypted, its keyed hash (to recognise the
    person across cases) and its mask (to show); all None without a number."""
    if not number:
        return {"id_number_enc": None, "id_number_hash": None, "id_number_masked": None}
    cipher = id_cipher()
    return {
        "id_number_enc": cipher.encrypt(number),
        "id_number_hash": cipher.lookup_hash(number),
        "id_number_masked": mask_id_number(number),
    }


def _stored_sample() -> str | None:
    from sqlalchemy import text

    from ..extensions import db

    with db.session.no_autoflush:
        return db.session.execute(
            text("SELECT id_number_enc FROM parties WHERE id_number_enc IS NOT NULL LIMIT 1")
        ).scalar()

"""Password hashing that accepts long Unicode passphrases.

bcrypt reads at most 72 bytes (bcrypt 5 refuses longer input), and a Spanish passphrase with
tildes reaches that quickly. So the passphrase is NFC-normalised (the same "ñ" typed on any
keyboard gives the same bytes), digested with SHA-256, and the base64 digest is what bcrypt
hashes: every character counts, and the input to bcrypt is always 44 ASCII bytes.
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata

import bcrypt

SCHEME = "bcrypt-sha256$"
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024


class WeakPassword(ValueError):
    """The password breaks a rule; the message is shown to the user."""


def _prehash(password: str) -> bytes:
    normal = unicodedata.normalize("NFC", password)
    return base64.b64encode(hashlib.sha256(normal.encode("utf-8")).digest())


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(f"password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise WeakPassword(f"password must have at most {MAX_PASSWORD_CHARS} characters")


def hash_password(password: str, rounds: int = 12) -> str:
    check_password_rules(password)
    return SCHEME + bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds)).decode()


def verify_password(password: str, stored: str) -> bool:
    if not stored.startswith(SCHEME) or not password or len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        return bcrypt.checkpw(_prehash(password), stored.removeprefix(SCHEME).encode())
    except ValueError:
        return False

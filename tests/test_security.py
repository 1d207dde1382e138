import unicodedata

import pytest

from core.security import WeakPassword, hash_password, verify_password

LONG_ES = "El cóndor pasa sobre el Colca y la vicuña come ichu en la puna de Ayacucho, año 2026"


def test_long_unicode_passphrase_round_trip():
    assert len(LONG_ES.encode()) > 72  # beyond what bcrypt itself accepts
    stored = hash_password(LONG_ES, rounds=4)
    assert verify_password(LONG_ES, stored)


def test_every_character_counts_beyond_72_bytes():
    stored = hash_password(LONG_ES, rounds=4)
    assert not verify_password(LONG_ES[:-1] + "7", stored)
    assert not verify_password(LONG_ES[:72], stored)


def test_composed_and_decomposed_accents_are_the_same_password():
    composed = unicodedata.normalize("NFC", "contraseña señorial")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert verify_password(decomposed, hash_password(composed, rounds=4))


def test_spaces_are_kept():
    stored = hash_password("  espacios al borde  ", rounds=4)
    assert verify_password("  espacios al borde  ", stored)
    assert not verify_password("espacios al borde", stored)


def test_wrong_and_malformed():
    stored = hash_password("correcto-123", rounds=4)
    assert not verify_password("incorrecto", stored)
    assert not verify_password("correcto-123", "$2b$12$notourscheme")
    assert not verify_password("", stored)


def test_short_password_refused():
    with pytest.raises(WeakPassword):
        hash_password("corta", rounds=4)

"""Settings from the environment and `.streamlit/secrets.toml`, checked before anything runs.

The environment wins over secrets, secrets over defaults. Outside demo mode the app refuses
weak cookie keys: a leaked or guessable key lets anyone forge a login cookie.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'data' / 'app.db'}"
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"
DEMO_KEY_FILE = ROOT / "data" / ".cookie_key"
MIN_COOKIE_KEY_BYTES = 32
KNOWN_WEAK_KEYS = {
    "some_key",
    "some_signature_key",
    "abcdef",
    "changeme",
    "change-me",
    "secret",
    "random_signature_key",
    "your_secret_key",
}


class ConfigError(RuntimeError):
    """A setting that makes running unsafe or impossible; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    app_mode: str  # "demo" or "production"
    cookie_key: str
    cookie_name: str = "spte_auth"
    cookie_expiry_days: float = 1.0

    @property
    def demo(self) -> bool:
        return self.app_mode == "demo"


def _secrets(path: Path = SECRETS_FILE) -> dict:
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _setting(name: str, secrets_: dict, default: str | None = None) -> str | None:
    return os.environ.get(name) or secrets_.get(name) or secrets_.get(name.lower()) or default


def check_cookie_key(key: str | None) -> None:
    """Refuse keys that are short or publicly known (streamlit-authenticator's default)."""
    if not key:
        raise ConfigError("COOKIE_KEY is not set: set it in the environment or secrets.toml")
    if key.strip().lower() in KNOWN_WEAK_KEYS:
        raise ConfigError("COOKIE_KEY is a known default value; generate a random one")
    if len(key.encode()) < MIN_COOKIE_KEY_BYTES:
        raise ConfigError(f"COOKIE_KEY must be at least {MIN_COOKIE_KEY_BYTES} bytes long")


def _demo_cookie_key() -> str:
    """A random key kept beside the demo database, so demo logins survive restarts."""
    if DEMO_KEY_FILE.exists():
        return DEMO_KEY_FILE.read_text().strip()
    DEMO_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    DEMO_KEY_FILE.write_text(key)
    DEMO_KEY_FILE.chmod(0o600)
    return key


def load_settings(secrets_path: Path = SECRETS_FILE) -> Settings:
    s = _secrets(secrets_path)
    mode = (_setting("APP_MODE", s, "demo") or "demo").strip().lower()
    if mode not in {"demo", "production"}:
        raise ConfigError(f"APP_MODE must be 'demo' or 'production', not {mode!r}")
    key = _setting("COOKIE_KEY", s)
    if mode == "production":
        check_cookie_key(key)
    elif not key:
        key = _demo_cookie_key()
    return Settings(
        database_url=_setting("DATABASE_URL", s, DEFAULT_DATABASE_URL) or DEFAULT_DATABASE_URL,
        app_mode=mode,
        cookie_key=key or "",
        cookie_expiry_days=float(_setting("COOKIE_EXPIRY_DAYS", s, "1") or 1),
    )

import pytest

from core.config import ConfigError, check_cookie_key, load_settings


def test_production_refuses_known_default_key(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_MODE", "production")
    monkeypatch.setenv("COOKIE_KEY", "some_key")
    with pytest.raises(ConfigError, match="known default"):
        load_settings(tmp_path / "none.toml")


def test_production_refuses_short_key(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_MODE", "production")
    monkeypatch.setenv("COOKIE_KEY", "x" * 31)
    with pytest.raises(ConfigError, match="32 bytes"):
        load_settings(tmp_path / "none.toml")


def test_production_refuses_missing_key(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_MODE", "production")
    monkeypatch.delenv("COOKIE_KEY")
    with pytest.raises(ConfigError, match="not set"):
        load_settings(tmp_path / "none.toml")


def test_production_accepts_long_random_key_from_secrets(monkeypatch, tmp_path):
    monkeypatch.delenv("COOKIE_KEY")
    monkeypatch.delenv("APP_MODE")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('APP_MODE = "production"\nCOOKIE_KEY = "' + "k" * 40 + '"\n')
    settings = load_settings(secrets)
    assert settings.app_mode == "production"
    assert settings.cookie_key == "k" * 40


def test_environment_wins_over_secrets(monkeypatch, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('DATABASE_URL = "sqlite:///from-secrets.db"\n')
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-env.db")
    assert load_settings(secrets).database_url == "sqlite:///from-env.db"


def test_demo_mode_generates_and_keeps_a_strong_key(monkeypatch, tmp_path):
    monkeypatch.delenv("COOKIE_KEY")
    monkeypatch.setattr("core.config.DEMO_KEY_FILE", tmp_path / ".cookie_key")
    first = load_settings(tmp_path / "none.toml").cookie_key
    check_cookie_key(first)
    assert load_settings(tmp_path / "none.toml").cookie_key == first


def test_unknown_mode_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_MODE", "staging")
    with pytest.raises(ConfigError):
        load_settings(tmp_path / "none.toml")

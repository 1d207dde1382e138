"""The Streamlit settings the issue asks for, read from .streamlit/config.toml."""

import tomllib
from pathlib import Path

from core.ingest.read import MAX_UPLOAD_MB

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_upload_limit_matches_ingest_limit():
    assert CONFIG["server"]["maxUploadSize"] == MAX_UPLOAD_MB


def test_xsrf_on_errors_hidden_no_usage_stats():
    assert CONFIG["server"]["enableXsrfProtection"] is True
    assert CONFIG["client"]["showErrorDetails"] == "none"
    assert CONFIG["browser"]["gatherUsageStats"] is False


def test_secrets_file_is_not_committed():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".streamlit/secrets.toml" in ignored


def test_no_public_ip_lookup_at_start():
    # Streamlit looks up the external IP unless browser.serverAddress is set.
    assert CONFIG["browser"]["serverAddress"]


def test_pages_folder_is_never_listed_by_streamlit_itself():
    assert CONFIG["client"]["showSidebarNavigation"] is False

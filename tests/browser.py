"""Real Chromium for the browser tests, driven by Playwright.

Debian's chromium is used (Playwright's own browser download does not work here). Where it is
missing the browser tests are skipped with a message, except in CI, where they must run.
"""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("JOURNEYBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which("chromium") is not None


def require_chromium() -> None:
    if chromium_available():
        return
    message = (
        f"Chromium not found at {CHROMIUM}: `make test` installs it with apt when run as root."
    )
    if os.environ.get("CI"):
        pytest.fail(f"{message} CI must run the browser tests.")
    pytest.skip(message)

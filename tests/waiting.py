"""Tests wait on conditions, never on sleeps of a guessed length."""

import time


def wait_until(condition, timeout: float, what: str):
    """``condition()``'s first true value, checked every 0.1 s; fails naming ``what`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"Timed out waiting for {what}")

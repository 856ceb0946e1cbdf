"""The front end's pure modules (store, event application, reorder buffer, roster), tested with
Node's own test runner: `node --test tests/js/`. Run from here so that `make test` runs them."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUITES = sorted((ROOT / "tests" / "js").glob("*.test.mjs"))


def test_the_front_end_unit_tests_pass():
    node = shutil.which("node")
    if node is None:
        message = "Node.js (node, v20 or later) not found: it runs the front end's unit tests."
        if os.environ.get("CI"):
            pytest.fail(f"{message} CI must run them.")
        pytest.skip(message)
    assert SUITES, "no front-end test files found under tests/js/"
    result = subprocess.run(
        [node, "--test", *map(str, SUITES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout

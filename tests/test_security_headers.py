"""What every answer tells the browser: a strict Content-Security-Policy, and, deployed behind
HTTPS, HSTS; the API's schema and docs are for signed-in users unless published."""

import re
import subprocess
import sys

import pytest
from rest_framework.test import APIClient

from tests.servers import ROOT

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, str]:
    return dict([*part.strip().split(" ", 1), ""][:2] for part in header.split(";") if part.strip())


def test_pages_send_a_strict_content_security_policy(client, viewer, five_phase_map):
    client.force_login(viewer)
    for path in (
        "/",
        f"/journeys/{five_phase_map.journey.pk}/",
        "/accounts/login/",
        "/admin/login/",
    ):
        policy = directives(client.get(path)["Content-Security-Policy"])
        assert policy["script-src"] == "'self'", path
        assert policy["style-src"] == "'self'"
        assert policy["object-src"] == "'none'"
        assert policy["base-uri"] == "'none'"
        assert policy["form-action"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"
        assert "unsafe" not in " ".join(policy.values())
    api = client.get("/api/journeys/")
    assert "default-src 'self'" in api["Content-Security-Policy"]


# What the policy refuses, in a template: a <script> or <style> with content, an on…=""
# handler, a style="" attribute, a javascript: address.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>"
    r"|<style\b|\son[a-z]+\s*=|\sstyle\s*=|javascript:",
    re.IGNORECASE,
)


def test_no_template_holds_inline_script_style_or_handlers():
    templates = [
        path
        for folder in ("templates", "accounts", "journeys", "personas", "feedback", "touchpoints")
        for path in (ROOT / folder).rglob("*.html")
    ]
    assert len(templates) > 15
    found = {
        str(path.relative_to(ROOT)): INLINE.findall(path.read_text())
        for path in templates
        if INLINE.search(path.read_text())
    }
    assert found == {}


def _deploy_check(**env) -> str:
    """``manage.py check --deploy`` as a deployment with this environment runs it."""
    import os

    answer = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SECRET_KEY": "x" * 64, "DJANGO_DEBUG": "false", **env},
        capture_output=True,
        text=True,
    )
    return answer.stdout + answer.stderr


def test_a_secure_deployment_sends_hsts():
    secure = _deploy_check(DJANGO_SECURE="true")
    assert "security.W004" not in secure  # SECURE_HSTS_SECONDS is set
    assert "security.W008" not in secure  # the HTTPS redirect, as before
    # Without DJANGO_SECURE (plain HTTP, `make run`), no HSTS: it would lock browsers out.
    assert "security.W004" in _deploy_check(DJANGO_SECURE="false")


def test_the_api_schema_is_for_signed_in_users(viewer, settings):
    assert APIClient().get("/api/schema/").status_code == 401
    docs = APIClient().get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/accounts/login/")
    signed_in = APIClient()
    signed_in.force_authenticate(viewer)
    assert signed_in.get("/api/schema/").status_code == 200
    settings.JOURNEYBOARD_API_DOCS_PUBLIC = True
    assert APIClient().get("/api/schema/").status_code == 200
    assert APIClient().get("/api/docs/").status_code == 200


def test_the_api_docs_start_from_a_script_file(client, viewer):
    client.force_login(viewer)
    page = client.get("/api/docs/").content.decode()
    assert '<script src="/api/docs/?script="></script>' in page
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()

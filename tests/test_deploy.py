"""What `make run` and `docker compose up` rely on: a real ASGI server, local docs assets, a
valid compose file."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_the_compose_file_declares_every_service_with_a_healthcheck():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    for name, service in services.items():
        assert "healthcheck" in service, name
    assert "uvicorn config.asgi:application" in services["web"]["command"]


@pytest.mark.skipif(
    shutil.which("docker-compose") is None,
    reason="docker-compose is not installed (make test installs it with apt when run as root)",
)
def test_the_compose_file_validates_with_docker_compose():
    env = {**os.environ, "DJANGO_SECRET_KEY": "validation-only"}
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # Without a secret key the stack refuses to start rather than running with a default.
    env.pop("DJANGO_SECRET_KEY")
    refused = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert refused.returncode != 0
    assert "DJANGO_SECRET_KEY" in refused.stderr


@pytest.mark.django_db
def test_the_api_docs_load_their_assets_locally(client, viewer):
    client.force_login(viewer)
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn." not in page and "unpkg" not in page


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory):
    """The app as `make run` serves it: migrated, seeded, on uvicorn, with no configuration."""
    var = tmp_path_factory.mktemp("var")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")} | {
        "JOURNEYBOARD_VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if _get(f"{base}/accounts/login/")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        server.kill()
        pytest.fail(server.stdout.read().decode())
    yield base
    server.terminate()
    server.wait(timeout=10)


def test_the_embedded_server_serves_docs_static_files_and_the_demo_map(embedded_server, settings):
    base = embedded_server
    status, css = _get(f"{base}/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css")
    assert status == 200 and b"swagger-ui" in css
    assert _get(f"{base}/admin/login/")[0] == 200
    assert _get(f"{base}/api/journeys/")[0] == 401

    request = urllib.request.Request(
        f"{base}/api/auth/token/",
        data=json.dumps({"username": "viewer", "password": settings.DEMO_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        token = json.load(response)["token"]
    assert _get(f"{base}/api/schema/")[0] == 401  # for signed-in users only
    assert _get(f"{base}/api/schema/", token)[0] == 200
    journeys = json.loads(_get(f"{base}/api/journeys/", token)[1])
    assert journeys["count"] == 1
    status, body = _get(f"{base}/api/journeys/{journeys['results'][0]['id']}/", token)
    journey_map = json.loads(body)
    assert status == 200
    assert journey_map["phases"][0]["name"] == "Awareness"
    assert journey_map["persona"]["name"] == "Olivia Operations"

"""A client sends a body larger than any Journeyboard takes: 413 in the project's error shape,
before the body is parsed — and, on the real server, before it is even read."""

import json
import socket
import time

import pytest
import requests

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def test_a_json_body_over_the_limit_is_refused_with_413(client_for, editor):
    body = json.dumps({"format": "journeyboard.map", "phases": ["x" * 100] * 60_000})
    assert len(body) > 5 * MB

    response = client_for(editor).post(
        "/api/journeys/import/", body, content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json() == {
        "code": "too_large",
        "detail": f"The request body is {len(body) / MB:.1f} MB; the limit is 5.0 MB.",
        "limit": 5 * MB,
    }


def test_a_card_body_over_the_limit_is_refused_before_its_text_is_checked(
    client_for, editor, five_phase_map
):
    cell = five_phase_map
    body = {"phase": cell.phases[0].pk, "lane": cell.actions.pk, "text": "x" * (6 * MB)}

    response = client_for(editor).post("/api/cards/", body, format="json")

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert len(response.content) < 300


def test_a_form_body_over_the_limit_is_refused_with_413(client_for, editor, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(editor).post(
        "/api/cards/", "text=" + "x" * 2000, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413


def test_an_upload_over_the_file_limit_is_refused_with_413(client_for, editor, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.JOURNEYBOARD_UPLOAD_MAX_BYTES = 10_000
    upload = SimpleUploadedFile("map.csv", b"Lane \\ Phase,A\n" + b"x,y\n" * 5000)
    response = client_for(editor).post(
        "/api/journeys/import/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_the_server_refuses_a_body_by_its_length_before_reading_it(asgi_server):
    # A 300 MB upload announced and not sent: the answer comes at once, nothing is read.
    with socket.create_connection(("127.0.0.1", asgi_server.port), timeout=10) as connection:
        connection.sendall(
            b"POST /api/journeys/import/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 314572800\r\n\r\n"
        )
        started = time.monotonic()
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert time.monotonic() - started < 5
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["code"] == "too_large"


def test_the_server_stops_reading_a_chunked_body_past_the_limit(asgi_server):
    sent = 0

    def pieces():
        nonlocal sent
        for _ in range(20):  # 20 MB, in 1 MB pieces, with no Content-Length
            sent += MB
            yield b"[" + b"1," * (MB // 2 - 1) + b"1]"

    try:
        response = requests.post(
            f"{asgi_server.url}/api/journeys/import/",
            data=pieces(),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
    except requests.ConnectionError:
        pytest.fail("the server should answer 413, not drop the connection")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert sent < 20 * MB  # it answered before the client had sent everything

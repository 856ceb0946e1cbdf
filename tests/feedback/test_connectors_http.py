"""What every connector's HTTP does: rate limits, retries, refusals, safe URLs and redirects,
against real local servers."""

import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from feedback.connectors import ConnectorError, connector_for
from feedback.connectors.http import VendorClient, retry_after_seconds
from tests.feedback.fake_vendors import (
    FakeJsonFeed,
    FakeServer,
    FakeTypeform,
    Reply,
    Waits,
    vendor_at,
)


def feed_items(count: int) -> list[dict]:
    return [{"id": f"r{i}", "submitted_at": f"2024-05-01T10:0{i}:00Z"} for i in range(count)]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def test_a_429_waits_the_retry_after_then_continues():
    waits = Waits(cap=None)  # really waits the second the vendor asked for
    with FakeJsonFeed(feed_items(6), page_size=2) as fake:
        fake.rate_limit(2, retry_after="1")
        connector = connector_for("json", {"url": fake.feed_url}, {}, sleep=waits)
        started = time.monotonic()
        batches = list(connector.batches({}))
        elapsed = time.monotonic() - started

    assert waits.seconds == [1.0]
    assert elapsed >= 1.0
    # Page 2 was refused once, then asked for again; nothing was lost.
    assert [r.query.get("page") for r in fake.requests] == [None, "2", "2", "3"]
    assert [r["response_id"] for b in batches for r in b.records] == [f"r{i}" for i in range(6)]


def test_a_retry_after_date_is_honoured_and_capped_at_a_minute():
    now = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    in_five_seconds = format_datetime(now + timedelta(seconds=5), usegmt=True)
    assert retry_after_seconds(in_five_seconds, now=now) == 5
    assert retry_after_seconds("3", now=now) == 3
    assert retry_after_seconds("3600", now=now) == 60
    assert retry_after_seconds(None) == 1
    assert retry_after_seconds("soon") == 1
    assert retry_after_seconds(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0

    waits = Waits()
    in_ten_minutes = format_datetime(datetime.now(UTC) + timedelta(minutes=10), usegmt=True)
    with FakeJsonFeed(feed_items(1)) as fake:
        fake.rate_limit(1, retry_after=in_ten_minutes)
        list(connector_for("json", {"url": fake.feed_url}, {}, sleep=waits).batches({}))

    assert waits.seconds == [60.0]
    assert len(fake.requests) == 2


def test_a_few_server_errors_are_retried_with_growing_waits():
    waits = Waits()
    with FakeJsonFeed(feed_items(2)) as fake:
        fake.fail_next(3, status=503)
        batches = list(connector_for("json", {"url": fake.feed_url}, {}, sleep=waits).batches({}))

    assert waits.seconds == [0.5, 1, 2]
    assert len(fake.requests) == 4
    assert len(batches[0].records) == 2


def test_five_server_errors_give_up_with_a_clear_error():
    waits = Waits()
    with FakeJsonFeed(feed_items(2)) as fake:
        fake.fail_next(5, status=503)
        with pytest.raises(ConnectorError) as caught:
            list(connector_for("json", {"url": fake.feed_url}, {}, sleep=waits).batches({}))

    assert caught.value.code == "unavailable"
    assert str(caught.value) == "The JSON feed did not answer after 5 attempts (last: HTTP 503)."
    assert len(fake.requests) == 5
    assert waits.seconds == [0.5, 1, 2, 4]


def test_a_refused_connection_is_retried_then_reported():
    waits = Waits()
    url = f"http://127.0.0.1:{closed_port()}/feed"
    with pytest.raises(ConnectorError) as caught:
        list(connector_for("json", {"url": url}, {}, sleep=waits).batches({}))

    assert caught.value.code == "unavailable"
    assert "after 5 attempts (last: connection failed)" in str(caught.value)
    assert waits.seconds == [0.5, 1, 2, 4]


def test_a_vendor_that_answers_too_slowly_is_retried():
    waits = Waits()
    with FakeServer({"/ping": Reply.json({"ok": True})}) as fake:
        fake.slow_next(1, 1.0)
        client = VendorClient("Slowpoke", fake.url, sleep=waits, timeout=(1.0, 0.2))
        assert client.get_json("/ping") == {"ok": True}

    assert waits.seconds == [0.5]
    assert len(fake.requests) == 2


def test_a_plain_http_address_is_refused_unless_the_deployment_allows_its_host():
    refused = [
        {"url": "http://feedback.example.com/feed"},
        {"url": "http://localhost/feed"},  # this machine, but not on the allow-list
        {"url": "ftp://feedback.example.com/feed"},
        {"url": "https://user:pw@feedback.example.com/feed"},
    ]
    messages = []
    for options in refused:
        with pytest.raises(ConnectorError) as caught:
            connector_for("json", options, {})
        assert caught.value.code == "invalid_source", options
        messages.append(str(caught.value))
    assert messages[0] == (
        "The JSON feed: the address must use https (http://feedback.example.com was refused)."
    )
    assert (
        messages[1] == "The JSON feed: the address must use https (http://localhost was refused)."
    )
    assert messages[3] == "The JSON feed: the address must not contain a user name or password."

    # https anywhere, and plain http to a host the allow-list names (127.0.0.1 here), are fine.
    for url in ("https://feedback.example.com/feed", "http://127.0.0.1:8000/feed"):
        assert connector_for("json", {"url": url}, {}).url == url


def test_a_source_option_cannot_move_a_vendor_to_another_host():
    credentials = {"api_token": "t", "access_token": "t"}
    elsewhere = {"base_url": "https://collector.example.net"}
    typeform = connector_for("typeform", {**elsewhere, "form_id": "f"}, credentials)
    surveymonkey = connector_for("surveymonkey", {**elsewhere, "survey_id": "1"}, credentials)
    qualtrics = connector_for(
        "qualtrics", {**elsewhere, "datacenter": "iad1", "survey_id": "SV_1"}, credentials
    )

    assert typeform.client.base_url == "https://api.typeform.com"
    assert surveymonkey.client.base_url == "https://api.surveymonkey.com"
    assert qualtrics.client.base_url == "https://iad1.qualtrics.com"


def test_an_unknown_kind_or_missing_settings_is_an_invalid_source():
    refusals = [
        ("upload", {}, {}),
        ("carrier-pigeon", {}, {}),
        ("qualtrics", {"datacenter": "iad1"}, {"api_token": "t"}),  # no survey id
        ("qualtrics", {"datacenter": "iad1", "survey_id": "SV_1"}, {}),  # no token
        ("qualtrics", {"survey_id": "SV_1"}, {"api_token": "t"}),  # no datacenter
        ("surveymonkey", {"survey_id": "1"}, {"access_token": ""}),
        ("typeform", {}, {"access_token": "t"}),
        ("json", {}, {}),
    ]
    for kind, options, credentials in refusals:
        with pytest.raises(ConnectorError) as caught:
            connector_for(kind, options, credentials)
        assert caught.value.code == "invalid_source", (kind, options, credentials)

    with pytest.raises(ConnectorError) as caught:
        connector_for("surveymonkey", {"survey_id": "1"}, {})
    assert str(caught.value) == (
        "The source has no SurveyMonkey access token (credentials.access_token)."
    )


def test_refusals_are_told_apart():
    with FakeServer(
        {
            "/forbidden": Reply.json({"message": "no"}, 403),
            "/bad": Reply.json({"error": {"message": "per_page must be at most 100"}}, 400),
            "/teapot": Reply(418, b"<html>I'm a teapot</html>"),
        }
    ) as fake:
        client = VendorClient("Acme Surveys", fake.url, sleep=Waits())
        outcomes = {}
        for path in ("/forbidden", "/missing", "/bad", "/teapot"):
            with pytest.raises(ConnectorError) as caught:
                client.get_json(path)
            outcomes[path] = (caught.value.code, str(caught.value))

    assert outcomes == {
        "/forbidden": ("credentials_refused", "Acme Surveys refused the credentials (HTTP 403)."),
        "/missing": (
            "not_found",
            "Acme Surveys has nothing at /missing (HTTP 404): check the address.",
        ),
        "/bad": (
            "vendor_error",
            "Acme Surveys refused the request (HTTP 400): per_page must be at most 100.",
        ),
        "/teapot": ("vendor_error", "Acme Surveys refused the request (HTTP 418)."),
    }
    assert len(fake.requests) == 4  # none of these is retried


def test_a_vendor_echoing_the_token_does_not_put_it_in_the_error():
    token = "sk-live-0123456789"
    echo = Reply.json({"message": f"Token {token} lacks the responses:read scope"}, 400)
    with FakeServer({"/responses": echo}) as fake:
        client = VendorClient(
            "Acme Surveys",
            fake.url,
            headers={"Authorization": f"Bearer {token}"},
            secrets=[token],
            sleep=Waits(),
        )
        with pytest.raises(ConnectorError) as caught:
            client.get_json("/responses")

    assert token not in str(caught.value)
    assert str(caught.value) == (
        "Acme Surveys refused the request (HTTP 400): Token … lacks the responses:read scope."
    )


def test_a_redirect_to_another_host_drops_the_credentials():
    with FakeServer({"/landing": Reply.json({"ok": "elsewhere"})}) as elsewhere:
        routes = {
            "/old": Reply(302, headers={"Location": "/new"}),
            "/new": Reply.json({"ok": "here"}),
            "/away": Reply(302, headers={"Location": f"{elsewhere.url}/landing"}),
        }
        with FakeServer(routes) as fake:
            client = VendorClient(
                "Qualtrics",
                fake.url,
                headers={"X-API-TOKEN": "qualtrics-secret-token"},
                secrets=["qualtrics-secret-token"],
                sleep=Waits(),
            )
            assert client.get_json("/old") == {"ok": "here"}
            assert client.get_json("/away") == {"ok": "elsewhere"}

    same_host = fake.requests[1]
    assert same_host.path == "/new"
    assert same_host.headers["x-api-token"] == "qualtrics-secret-token"
    (landing,) = elsewhere.requests
    assert "x-api-token" not in landing.headers
    assert "authorization" not in landing.headers


def test_a_token_that_cannot_be_sent_is_refused_without_quoting_it():
    with FakeTypeform([]) as fake:
        for token in ("tfp_first\nsecond", "tfp_caf\u00e9\u20ac"):
            with vendor_at("typeform", fake):
                connector = connector_for(
                    "typeform", {"form_id": "tfJourney"}, {"access_token": token}
                )
            with pytest.raises(ConnectorError) as caught:
                list(connector.batches({}))
            assert caught.value.code == "invalid_source"
            assert "tfp_" not in str(caught.value)
            assert caught.value.__suppress_context__  # requests' message (with it) is not chained

    assert fake.requests == []


def test_a_netrc_entry_for_the_host_does_not_replace_the_token(tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1\nlogin someone\npassword elsewhere\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with FakeJsonFeed([{"id": "r1", "submitted_at": "2024-05-01T10:00:00Z"}], token="t-1") as fake:
        list(connector_for("json", {"url": fake.feed_url}, {"token": "t-1"}).batches({}))

    assert fake.requests[0].headers["authorization"] == "Bearer t-1"

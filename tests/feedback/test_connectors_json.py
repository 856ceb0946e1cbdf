"""Generic JSON feed syncs, against a fake feed on a local port."""

import pytest

from feedback.connectors import ConnectorError, connector_for
from tests.feedback.fake_vendors import FakeJsonFeed, FakeServer, Reply, Waits


def connect(feed_url: str, token: str | None = None, **options):
    return connector_for(
        "json", {"url": feed_url, **options}, {"token": token} if token else {}, sleep=Waits()
    )


def item(number: int) -> dict:
    return {
        "id": f"fb-{number}",
        "submitted_at": f"2024-05-0{1 + number // 24}T{number % 24:02d}:00:00+02:00",
        "scores": {"nps": number % 11},
        "customer": {"segment": "b2b", "address": {"country": "NL"}},
        "comment": f"comment {number}",
    }


def test_a_paged_feed_is_followed_and_flattened():
    with FakeJsonFeed([item(n) for n in range(5)], page_size=2) as fake:
        batches = list(connect(fake.feed_url).batches({}))

    assert [r.query for r in fake.requests] == [{}, {"page": "2"}, {"page": "3"}]
    assert [len(b.records) for b in batches] == [2, 2, 1]
    assert batches[0].records[1] == {
        "response_id": "fb-1",
        "submitted_at": "2024-05-01T01:00:00+02:00",
        "id": "fb-1",
        "scores.nps": 1,
        "customer.segment": "b2b",
        "customer.address.country": "NL",
        "comment": "comment 1",
    }
    # Each cursor is the page after its batch; the last keeps the last page to re-read.
    assert [b.cursor for b in batches] == [
        {"next": f"{fake.url}/feed?page=2"},
        {"next": f"{fake.url}/feed?page=3"},
        {"next": f"{fake.url}/feed?page=3"},
    ]


def test_a_plain_list_is_one_page():
    with FakeJsonFeed([item(n) for n in range(3)], as_list=True) as fake:
        batches = list(connect(fake.feed_url).batches({}))

    assert len(fake.requests) == 1
    assert [r["response_id"] for b in batches for r in b.records] == ["fb-0", "fb-1", "fb-2"]
    assert batches[-1].cursor == {"next": fake.feed_url}


def test_configured_keys_name_the_items_the_id_and_the_date():
    rows = [
        {"meta": {"uuid": "u-1", "at": 1714557600}, "answers": {"nps": 10}},
        {"meta": {"uuid": "u-2", "at": "2024-05-01T12:00:00"}, "answers": {"nps": 4}},
    ]
    with FakeJsonFeed(rows, items_key="data") as fake:
        connector = connect(
            fake.feed_url, items_key="data", id_key="meta.uuid", submitted_at_key="meta.at"
        )
        (batch,) = list(connector.batches({}))

    first, second = batch.records
    assert (first["response_id"], first["answers.nps"]) == ("u-1", 10)
    assert first["submitted_at"] == "2024-05-01T10:00:00+00:00"  # epoch seconds, in UTC
    assert second["submitted_at"] == "2024-05-01T12:00:00+00:00"  # no zone given: UTC


def test_a_sync_resumes_from_its_saved_cursor():
    given = [item(n) for n in range(5)]
    with FakeJsonFeed(given, page_size=2) as fake:
        first = next(iter(connect(fake.feed_url).batches({})))
        resumed = list(connect(fake.feed_url).batches(first.cursor))
        assert fake.requests[1].query == {"page": "2"}  # resumed where the cursor said
        assert [r["response_id"] for b in resumed for r in b.records] == ["fb-2", "fb-3", "fb-4"]

        given.append(item(5))  # appended to the feed after the sync
        later = list(connect(fake.feed_url).batches(resumed[-1].cursor))

    # The last page is read again, so what was appended to it arrives.
    assert [r["response_id"] for b in later for r in b.records] == ["fb-4", "fb-5"]


def test_the_token_is_sent_as_a_bearer_and_a_wrong_one_is_refused():
    with FakeJsonFeed([item(1)], token="feed-token-abc") as fake:
        (batch,) = list(connect(fake.feed_url, token="feed-token-abc").batches({}))
        assert fake.requests[0].headers["authorization"] == "Bearer feed-token-abc"
        assert batch.records[0]["response_id"] == "fb-1"

        with pytest.raises(ConnectorError) as caught:
            list(connect(fake.feed_url, token="feed-token-WRONG").batches({}))

    assert caught.value.code == "credentials_refused"
    assert str(caught.value) == "The JSON feed refused the credentials (HTTP 401)."
    assert "feed-token" not in repr(caught.value)


def test_a_next_page_on_another_host_is_not_followed_with_the_token():
    with (
        FakeServer() as elsewhere,
        FakeJsonFeed(
            [item(n) for n in range(4)], token="feed-token-abc", next_host=elsewhere.url
        ) as fake,
    ):
        connector = connect(fake.feed_url, token="feed-token-abc")
        batches = connector.batches({})
        first = next(batches)
        assert len(first.records) == 2
        assert first.cursor == {"next": fake.feed_url}  # stays on the page it could read
        with pytest.raises(ConnectorError) as caught:
            next(batches)

    assert caught.value.code == "invalid_source"
    assert "on another host" in str(caught.value)
    assert elsewhere.requests == []


def test_a_feed_without_the_items_list_is_a_clear_error():
    with (
        FakeServer({"/feed": Reply.json({"results": []})}) as fake,
        pytest.raises(ConnectorError) as caught,
    ):
        list(connect(f"{fake.url}/feed").batches({}))

    assert caught.value.code == "vendor_error"
    assert str(caught.value) == 'The JSON feed has no list of items under "items".'

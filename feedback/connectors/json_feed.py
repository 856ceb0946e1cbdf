"""Any JSON feed over HTTPS: a list of responses, or pages of them linked by a "next" URL.
Its address is public, or one that JOURNEYBOARD_OUTBOUND_ALLOW names.

The cursor is the URL to read next. When the feed has no next page, the cursor keeps the last
page's URL, so the next sync re-reads it and picks up whatever was appended since.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from feedback.connectors.base import (
    BATCH_MAX,
    Batch,
    ConnectorError,
    Probe,
    iso_time,
    record_fields,
)
from feedback.connectors.http import Sleep, VendorClient, check_url, origin

VENDOR = "The JSON feed"


def flatten(item: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted paths: ``{"a": {"b": 1}}`` → ``{"a.b": 1}`` (lists are kept)."""
    flat: dict[str, Any] = {}
    for key, value in item.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def _dig(document: dict[str, Any], path: str) -> Any:
    """``document[path]``, or the value at a dotted path such as ``links.next``."""
    if path in document:
        return document[path]
    value: Any = document
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


class JsonFeedConnector:
    """Responses read from a JSON feed."""

    def __init__(
        self,
        *,
        url: str,
        token: str | None = None,
        items_key: str = "items",
        next_key: str = "next",
        id_key: str = "id",
        submitted_at_key: str = "submitted_at",
        sleep: Sleep = time.sleep,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.url = check_url(url, VENDOR)
        self.client = VendorClient(
            VENDOR,
            self.url,
            headers={"Authorization": f"Bearer {token}"} if token else {},
            secrets=[token] if token else [],
            sleep=sleep,
            # A feed may be at any address: what it answers with is never shown to users.
            quote_errors=False,
            **(client_options or {}),
        )
        self.items_key = items_key
        self.next_key = next_key
        self.id_key = id_key
        self.submitted_at_key = submitted_at_key

    def record_of(self, item: Any) -> dict[str, Any]:
        """The item flattened, plus ``response_id`` and ``submitted_at`` from the configured
        keys (which may be dotted paths)."""
        record = flatten(item) if isinstance(item, dict) else {"value": item}
        identifier = record.get(self.id_key)
        record["response_id"] = "" if identifier is None else str(identifier)
        record["submitted_at"] = iso_time(record.get(self.submitted_at_key))
        return record

    def check(self) -> Probe:
        """The feed's first page: how many items it holds and an item's fields."""
        try:
            items, next_url = self._page(self.url)
        finally:
            self.client.close()
        more = " (and more pages)" if next_url else ""
        first = self.record_of(items[0]) if items else None
        return Probe(
            f"Connected to the JSON feed: its first page has {len(items)} items{more}.",
            record_fields(first),
        )

    def batches(self, cursor: dict[str, Any]) -> Iterator[Batch]:
        """The pages in the feed's order, from the cursor's URL (or the configured one)."""
        url = (cursor or {}).get("next")
        # A cursor saved for another feed address (the source was edited) starts over.
        if not isinstance(url, str) or origin(url) != origin(self.url):
            url = self.url
        seen: set[str] = set()
        try:
            while url and url not in seen:
                seen.add(url)
                items, next_url = self._page(url)
                # The token is for the configured host only: a next page elsewhere is refused,
                # after this page's records (and a cursor that stays on this page).
                foreign = next_url is not None and origin(next_url) != origin(self.url)
                resume = url if foreign or not next_url else next_url
                records = [self.record_of(item) for item in items]
                if not records:
                    yield Batch([], {"next": resume})
                for start in range(0, len(records), BATCH_MAX):
                    chunk = records[start : start + BATCH_MAX]
                    # Part of a long page: resuming re-reads this page (imports are upserts).
                    finished = start + BATCH_MAX >= len(records)
                    yield Batch(chunk, {"next": resume if finished else url})
                if foreign:
                    raise ConnectorError(
                        "invalid_source",
                        f"The JSON feed's next page is on another host "
                        f"({urlsplit(next_url).hostname}); it was not followed.",
                    )
                url = next_url
        finally:
            self.client.close()

    def _page(self, url: str) -> tuple[list[Any], str | None]:
        document = self.client.get_json(url)
        if isinstance(document, list):
            return document, None
        if not isinstance(document, dict):
            raise ConnectorError("vendor_error", "The JSON feed is neither a list nor an object.")
        items = _dig(document, self.items_key)
        if not isinstance(items, list):
            raise ConnectorError(
                "vendor_error", f'The JSON feed has no list of items under "{self.items_key}".'
            )
        link = _dig(document, self.next_key)
        if not isinstance(link, str) or not link.strip():
            return items, None
        return items, check_url(urljoin(url, link.strip()), VENDOR)

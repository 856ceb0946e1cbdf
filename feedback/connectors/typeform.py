"""Typeform: the Responses API for syncs, and its webhook for responses as they come.

A sync walks completed responses in the order Typeform processed them with ``after=<token>``,
which is exclusive and never repeats a response; the cursor is the last token read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from feedback.connectors.base import Batch, ConnectorError, Probe, iso_time, record_fields
from feedback.connectors.http import Sleep, VendorClient

VENDOR = "Typeform"
PAGE_SIZE = 1000  # the Responses API's maximum
# Answer types whose value sits under a key of the type's own name.
_SCALAR_TYPES = ("text", "email", "url", "file_url", "date", "phone_number", "boolean")


def _object(value: Any) -> dict[str, Any]:
    # A signed body is still input: a value of the wrong JSON type reads as absent.
    return value if isinstance(value, dict) else {}


def _list(response: dict[str, Any], name: str) -> list[Any]:
    value = response.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConnectorError("vendor_error", f"A Typeform response's {name} is not a list.")
    return value


def answer_value(answer: dict[str, Any]) -> Any:
    """The value of one answer: an int for numbers (ratings, opinion scales, NPS), the label for
    choices (several joined with ", "), the text, date or bool as Typeform gives it."""
    kind = answer.get("type")
    if kind == "number":
        number = answer.get("number")
        if isinstance(number, float) and number.is_integer():
            return int(number)
        return number
    if kind == "choice":
        choice = _object(answer.get("choice"))
        return choice.get("label") or choice.get("other")
    if kind == "choices":
        choices = _object(answer.get("choices"))
        given = choices.get("labels")
        labels = [str(label) for label in given] if isinstance(given, list) else []
        if choices.get("other"):
            labels.append(str(choices["other"]))
        return ", ".join(labels) if labels else None
    if kind == "payment":
        return _object(answer.get("payment")).get("amount")
    if kind in _SCALAR_TYPES:
        return answer.get(kind)
    # A type added after this was written: take its value when it is a plain one.
    value = answer.get(kind) if isinstance(kind, str) else None
    return value if isinstance(value, str | int | float | bool) else None


def record_of(response: dict[str, Any]) -> dict[str, Any]:
    """One response (from the API or a webhook) as a flat record.

    Keys: ``response_id`` (the token), ``submitted_at``, each answer by its field's ``ref`` and
    by its field's ``id``, ``hidden.<name>`` for hidden fields and ``variables.<key>`` for
    variables (such as a score).
    """
    record: dict[str, Any] = {}
    answers, variables = _list(response, "answers"), _list(response, "variables")
    for answer in answers:
        if not isinstance(answer, dict):
            continue
        value = answer_value(answer)
        field = _object(answer.get("field"))
        for key in (field.get("id"), field.get("ref")):
            if key:
                record[str(key)] = value
    for name, value in _object(response.get("hidden")).items():
        record[f"hidden.{name}"] = value
    for variable in variables:
        if isinstance(variable, dict) and variable.get("key"):
            kind = variable.get("type")
            record[f"variables.{variable['key']}"] = (
                variable.get(kind) if isinstance(kind, str) else None
            )
    record["response_id"] = str(response.get("token") or response.get("response_id") or "")
    record["submitted_at"] = iso_time(response.get("submitted_at"))
    return record


class TypeformConnector:
    """Completed responses of one Typeform form."""

    def __init__(
        self,
        *,
        base_url: str,
        form_id: str,
        access_token: str,
        sleep: Sleep = time.sleep,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.client = VendorClient(
            VENDOR,
            base_url,
            headers={"Authorization": f"Bearer {access_token}"},
            secrets=[access_token],
            not_found_hint="check the form id",
            sleep=sleep,
            **(client_options or {}),
        )
        self.form_id = form_id
        self.path = f"forms/{quote(form_id, safe='')}/responses"

    def check(self) -> Probe:
        """The form's newest completed response (one): its count and its fields."""
        try:
            page = self.client.get_json(self.path, params={"page_size": 1, "completed": "true"})
        finally:
            self.client.close()
        if not isinstance(page, dict) or not isinstance(page.get("items"), list):
            raise ConnectorError("vendor_error", "Typeform answered without items.")
        total = page.get("total_items")
        counted = f"{total} completed responses" if isinstance(total, int) else "responses"
        first = page["items"][0] if page["items"] and isinstance(page["items"][0], dict) else None
        return Probe(
            f"Connected to Typeform: form {self.form_id} has {counted}.",
            record_fields(record_of(first) if first else None),
        )

    def batches(self, cursor: dict[str, Any]) -> Iterator[Batch]:
        """One batch per page, until a page comes back empty.

        The first page of a sync from the beginning is sorted oldest first (Typeform's default is
        newest first); every later request names ``after`` instead, which Typeform answers in
        processing order and which may not be combined with ``sort``.
        """
        after = (cursor or {}).get("after")
        total: int | None = None
        try:
            while True:
                params: dict[str, Any] = {"page_size": PAGE_SIZE, "completed": "true"}
                if after:
                    params["after"] = after
                else:
                    params["sort"] = "submitted_at,asc"
                page = self.client.get_json(self.path, params=params)
                if not isinstance(page, dict) or not isinstance(page.get("items"), list):
                    raise ConnectorError("vendor_error", "Typeform answered without items.")
                if total is None and isinstance(page.get("total_items"), int):
                    total = page["total_items"]  # of the first request: the whole sync
                items = [item for item in page["items"] if isinstance(item, dict)]
                if not items:
                    return
                last = items[-1].get("token") or items[-1].get("response_id")
                if not last:
                    raise ConnectorError("vendor_error", "Typeform sent a response without token.")
                if last == after:  # the same page again: stop rather than loop
                    return
                after = str(last)
                yield Batch([record_of(item) for item in items], {"after": after}, total)
        finally:
            self.client.close()


def verify_typeform_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` (``Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body>``)
    was made with ``secret``. Compared in constant time; False when missing or malformed."""
    if not secret or not isinstance(header, str) or not isinstance(body, bytes | bytearray):
        return False
    scheme, _, given = header.strip().partition("=")
    if scheme != "sha256" or not given:
        return False
    digest = hmac.new(secret.encode(), bytes(body), hashlib.sha256).digest()
    expected = b"sha256=" + base64.b64encode(digest)
    try:
        presented = header.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, presented)


def typeform_webhook_records(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of a webhook delivery, in the API's record shape: one for a
    ``form_response`` event, none for any other event."""
    if not isinstance(payload, dict) or payload.get("event_type") != "form_response":
        return []
    response = payload.get("form_response")
    if not isinstance(response, dict):
        return []
    return [record_of(response)]

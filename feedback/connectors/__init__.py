"""Survey-platform connectors: Qualtrics, SurveyMonkey, Typeform and any JSON feed.

``connector_for`` builds one from a source's kind, options and credentials; its ``batches``
yield flat records for the importer to map and store. Connectors never touch the database.

A vendor's host is fixed (Qualtrics' within qualtrics.com, by datacenter): a source's options
cannot send its token elsewhere. Only ``JOURNEYBOARD_CONNECTOR_BASE_URLS`` replaces a vendor's
host, for tests against local fakes. A JSON feed's address is the source's own; changing it
needs the feed's credentials again (``source_address``, checked by the service).
"""

from __future__ import annotations

import time
from typing import Any

from feedback.connectors.base import Batch, Connector, ConnectorError, Probe, required
from feedback.connectors.http import Sleep
from feedback.connectors.json_feed import JsonFeedConnector
from feedback.connectors.kinds import DATACENTER
from feedback.connectors.qualtrics import QualtricsConnector
from feedback.connectors.surveymonkey import SurveyMonkeyConnector
from feedback.connectors.typeform import TypeformConnector

__all__ = [
    "Batch",
    "Connector",
    "ConnectorError",
    "Probe",
    "connection_check",
    "connector_for",
    "source_address",
]

KINDS = ("qualtrics", "surveymonkey", "typeform", "json")
VENDOR_HOSTS = {
    "surveymonkey": "https://api.surveymonkey.com",
    "typeform": "https://api.typeform.com",
}


def _number(options: dict[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConnectorError("invalid_source", f"options.{key} must be a positive number.")
    return float(value)


def _base_override(kind: str) -> str | None:
    """A vendor's host replaced by ``JOURNEYBOARD_CONNECTOR_BASE_URLS`` (tests only)."""
    from django.conf import settings

    overrides = getattr(settings, "JOURNEYBOARD_CONNECTOR_BASE_URLS", None) or {}
    value = overrides.get(kind)
    return str(value) if value else None


def _vendor_base(kind: str) -> str:
    return _base_override(kind) or VENDOR_HOSTS[kind]


def _qualtrics_base(options: dict[str, Any]) -> str:
    override = _base_override("qualtrics")
    if override:
        return override
    datacenter = required(options, "datacenter", "Qualtrics datacenter (such as iad1)", "options")
    if not DATACENTER.fullmatch(datacenter):
        raise ConnectorError(
            "invalid_source", "options.datacenter must be a Qualtrics datacenter id such as iad1."
        )
    return f"https://{datacenter}.qualtrics.com"


def connector_for(
    kind: str,
    options: dict,
    credentials: dict,
    *,
    sleep: Sleep = time.sleep,
    client_options: dict[str, Any] | None = None,
) -> Connector:
    """The connector of a source; ``ConnectorError("invalid_source", …)`` for an unknown kind
    or missing settings. ``client_options`` go to its ``VendorClient`` (a connection test's
    patience and deadline)."""
    options = options if isinstance(options, dict) else {}
    credentials = credentials if isinstance(credentials, dict) else {}
    extra = {"client_options": client_options} if client_options else {}
    if kind == "qualtrics":
        return QualtricsConnector(
            base_url=_qualtrics_base(options),
            survey_id=required(options, "survey_id", "Qualtrics survey id", "options"),
            api_token=required(credentials, "api_token", "Qualtrics API token", "credentials"),
            sleep=sleep,
            **extra,
            poll_interval=_number(options, "poll_interval_seconds", 2.0),
            export_timeout=_number(options, "export_timeout_seconds", 900.0),
        )
    if kind == "surveymonkey":
        return SurveyMonkeyConnector(
            base_url=_vendor_base("surveymonkey"),
            survey_id=required(options, "survey_id", "SurveyMonkey survey id", "options"),
            access_token=required(
                credentials, "access_token", "SurveyMonkey access token", "credentials"
            ),
            sleep=sleep,
            **extra,
        )
    if kind == "typeform":
        return TypeformConnector(
            base_url=_vendor_base("typeform"),
            form_id=required(options, "form_id", "Typeform form id", "options"),
            access_token=required(
                credentials, "access_token", "Typeform access token", "credentials"
            ),
            sleep=sleep,
            **extra,
        )
    if kind == "json":
        token = credentials.get("token")
        keys = {}
        for key in ("items_key", "next_key", "id_key", "submitted_at_key"):
            if options.get(key):
                keys[key] = str(options[key])
        return JsonFeedConnector(
            url=required(options, "url", "feed URL", "options"),
            token=token if isinstance(token, str) and token else None,
            sleep=sleep,
            **extra,
            **keys,
        )
    raise ConnectorError(
        "invalid_source",
        f"Sources of kind {kind!r} are not synced over the network (one of {', '.join(KINDS)}).",
    )


def connection_check(kind: str, options: dict, credentials: dict) -> Probe:
    """One small request with a source's settings, as a person waiting for the answer needs
    it: tried once (a rate limit or a server error is the answer), within
    ``JOURNEYBOARD_CONNECTOR_TEST_SECONDS``, through the same address checks as a sync."""
    from django.conf import settings

    seconds = float(getattr(settings, "JOURNEYBOARD_CONNECTOR_TEST_SECONDS", 15.0))
    connector = connector_for(
        kind,
        options,
        credentials,
        client_options={
            "patient": False,
            "deadline_seconds": seconds,
            "timeout": (min(5.0, seconds), seconds),
        },
    )
    return connector.check()


def source_address(kind: str, options: Any) -> tuple[str, str]:
    """Where a source's credentials are sent, as far as its own settings decide it: its kind,
    and the feed's URL or the Qualtrics datacenter (other vendors' hosts are fixed)."""
    options = options if isinstance(options, dict) else {}
    if kind == "json":
        return kind, str(options.get("url") or "").strip()
    if kind == "qualtrics":
        return kind, str(options.get("datacenter") or "").strip().lower()
    return kind, ""

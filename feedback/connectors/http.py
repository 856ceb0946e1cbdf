"""The one way connectors talk HTTP: checked addresses, deadlines, size caps, retries, rate
limits and clear errors.

Credentials travel in headers and only to the source's own origin (scheme, host, port): a
redirect or a "next page" link elsewhere is followed without them. They never appear in a log
line or an error message. Every connection goes to a checked address (``outbound``); every
request has a deadline over its headers and whole body, and a body larger than the cap is
refused as soon as it is known to be (its declared length, or the byte that passes the cap).
An error body is quoted only when it comes from a vendor's own host, never from a feed or from
a host a redirect led to: that text could be anything an internal service answers.
"""

from __future__ import annotations

import json as jsonlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.utils import get_environ_proxies

from feedback.connectors.base import ConnectorError
from feedback.connectors.outbound import (
    AddressRefused,
    CheckedAdapter,
    Deadline,
    check_host,
    host_allowed,
)

logger = logging.getLogger(__name__)

TIMEOUT = (5.0, 60.0)  # connect, read (seconds)
MAX_ATTEMPTS = 5  # in total, for server errors and connection failures
BACKOFF_FIRST = 0.5  # then 1, 2, 4 … seconds
RETRY_AFTER_DEFAULT = 1.0
RETRY_AFTER_MAX = 60.0
# A vendor that answers 429 for ever must not hold a worker for ever.
MAX_RATE_LIMIT_WAITS = 20
MAX_REDIRECTS = 5
# What is read of an error answer to find the vendor's message in.
ERROR_BODY_MAX = 64 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 1 << 16
# A connection that drops or stalls, before or while the body arrives.
_NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)

Sleep = Callable[[float], Any]


def _setting(name: str, default: Any) -> Any:
    from django.conf import settings

    return getattr(settings, name, default)


def check_url(url: str, vendor: str) -> str:
    """``url`` if it is https (or plain http to a host ``JOURNEYBOARD_OUTBOUND_ALLOW`` names)."""
    try:
        parts = urlsplit(url.strip()) if isinstance(url, str) else None
        hostname = parts.hostname if parts else None
        _ = parts.port if parts else None  # raises for a port that is not a number
    except ValueError:
        parts = hostname = None
    if parts is None or parts.scheme not in ("http", "https") or not hostname:
        raise ConnectorError("invalid_source", f"{vendor}: the address is not an https URL.")
    if parts.username or parts.password:
        # A password in a URL would end up in logs and messages: it belongs in credentials.
        raise ConnectorError(
            "invalid_source", f"{vendor}: the address must not contain a user name or password."
        )
    if parts.scheme == "http" and not host_allowed(hostname):
        raise ConnectorError(
            "invalid_source",
            f"{vendor}: the address must use https (http://{parts.hostname} was refused).",
        )
    return url.strip()


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL: where a request goes, for deciding who gets credentials."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
        return parts.scheme, (parts.hostname or "").lower(), port
    except ValueError:
        return "", "", None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float:
    """Seconds to wait for a ``Retry-After`` header: seconds or an HTTP date; 1 s when absent
    or unreadable, at most 60 s."""
    if not value or not value.strip():
        return RETRY_AFTER_DEFAULT
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return RETRY_AFTER_DEFAULT
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return RETRY_AFTER_DEFAULT
    return max(0.0, min(RETRY_AFTER_MAX, seconds))


def vendor_message(body: bytes) -> str:
    """The vendor's own error text, from the error JSON shapes we know, or ""."""
    try:
        document = jsonlib.loads(body)
    except (ValueError, RecursionError):
        return ""
    candidates: list[Any] = []
    if isinstance(document, dict):
        meta = document.get("meta")
        meta_error = meta.get("error") if isinstance(meta, dict) else None
        error = document.get("error")
        if isinstance(meta_error, dict):  # Qualtrics
            candidates.append(meta_error.get("errorMessage"))
        if isinstance(error, dict):  # SurveyMonkey
            candidates.append(error.get("message"))
        candidates += [
            document.get("description"),  # Typeform
            document.get("message"),
            error,
            document.get("error_description"),
            document.get("detail"),
        ]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return " ".join(candidate.split())[:300]
    return ""


def _keep_headers(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def _status_phrase(status: int) -> str:
    """The standard reason of a status (never the server's own reason text)."""
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


class VendorClient:
    """A ``requests.Session`` for one vendor: its base URL, credential headers and retries.

    ``quote_errors`` says whether the vendor's error messages may be shown to users: true for a
    vendor's own API, false for a feed at any address (its answers could be an internal
    service's). The caps default to the ``JOURNEYBOARD_CONNECTOR_*`` settings.

    ``patient=False`` (a connection test, with a person waiting) tries once: a rate limit, a
    server error, a dropped connection or a timeout is the answer, not something to wait out."""

    def __init__(
        self,
        vendor: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        not_found_hint: str = "check the address",
        sleep: Sleep = time.sleep,
        timeout: tuple[float, float] = TIMEOUT,
        quote_errors: bool = True,
        max_bytes: int | None = None,
        deadline_seconds: float | None = None,
        patient: bool = True,
    ) -> None:
        self.vendor = vendor
        self.base_url = check_url(base_url, vendor).rstrip("/")
        self.origin = origin(self.base_url)
        self.credential_headers = dict(headers or {})
        self.secrets = [s for s in secrets if s]
        self.not_found_hint = not_found_hint
        self.sleep = sleep
        self.timeout = timeout
        self.quote_errors = quote_errors
        self.patient = patient
        self.max_bytes = max_bytes or _setting("JOURNEYBOARD_CONNECTOR_MAX_BYTES", 32 * 2**20)
        self.deadline_seconds = deadline_seconds or _setting(
            "JOURNEYBOARD_CONNECTOR_DEADLINE_SECONDS", 300.0
        )
        # The environment's proxy and CA bundle settings apply (deployments may need them)...
        self.session = requests.Session()
        # ...but not ~/.netrc, whose Basic auth would replace the vendor's own header: requests
        # consults it only when a session has no auth, so it gets one that changes nothing.
        self.session.auth = _keep_headers
        # Every connection to a checked address, within the request's deadline.
        for scheme in ("http://", "https://"):
            self.session.mount(scheme, CheckedAdapter())

    def close(self) -> None:
        self.session.close()

    def url(self, path_or_url: str) -> str:
        """An absolute URL: a path is taken relative to the base URL."""
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    # -- the request loop ------------------------------------------------------------------

    def fetch(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        target: IO[bytes] | None = None,
        max_bytes: int | None = None,
    ) -> bytearray:
        """The body of a successful (2xx) answer, after waiting out rate limits and retrying
        server errors and dropped connections; a ``ConnectorError`` otherwise. With ``target``
        the body is streamed there (never whole into memory) and the answer is empty; a body
        cut off half way is fetched again from the start, within the same attempt limit."""
        url = check_url(self.url(path_or_url), self.vendor)
        limit = max_bytes or self.max_bytes
        failures = rate_waits = 0
        while True:
            if target is not None:
                target.seek(0)
                target.truncate()
            with Deadline(self.deadline_seconds) as deadline:
                try:
                    return self._attempt(method, url, params, json, target, limit, deadline)
                except _Retry as retry:
                    if retry.rate_limited:
                        rate_waits += 1
                        self._wait_out_rate_limit(rate_waits, retry.wait)
                        continue
                    failures += 1
                    last = retry.last
                except _NETWORK_ERRORS as error:
                    if deadline.expired:
                        raise self._too_slow() from None
                    failures += 1
                    last = "timeout" if isinstance(error, requests.Timeout) else "connection failed"
            self._backoff_or_give_up(failures, last)

    def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        target: IO[bytes] | None,
        limit: int,
        deadline: Deadline,
    ) -> bytearray:
        """One try: send, sort the answer, read the body of a success."""
        try:
            response = self._send(method, url, params, json)
        except AddressRefused as refused:
            raise ConnectorError(
                "address_refused",
                f"{self.vendor}: {refused.host} is a local, private or reserved address, which"
                " sources may not reach (an administrator can allow it with"
                " JOURNEYBOARD_OUTBOUND_ALLOW).",
            ) from None
        except requests.exceptions.SSLError:
            if deadline.expired:  # the handshake was cut short by the deadline
                raise self._too_slow() from None
            # Not a passing fault: retrying would only delay the same answer.
            raise ConnectorError(
                "unavailable",
                f"{self.vendor} could not be reached securely (its TLS certificate was not"
                " accepted).",
            ) from None
        except (requests.exceptions.InvalidHeader, UnicodeEncodeError):
            # requests quotes the header value, which holds the credential: never pass it on.
            raise ConnectorError(
                "invalid_source",
                f"The {self.vendor} credentials contain characters that cannot be sent (such"
                " as a line break or a letter outside ASCII).",
            ) from None
        with response:
            status = response.status_code
            if status == 429:
                raise _Retry(rate_limited=True, wait=response.headers.get("Retry-After"))
            if status >= 500:
                raise _Retry(last=f"HTTP {status}")
            if status >= 400:
                raise self._refusal(response)
            if status >= 300:
                raise ConnectorError(
                    "vendor_error", f"{self.vendor} answered with an unexpected HTTP {status}."
                )
            return self._body(response, limit, target)

    def _wait_out_rate_limit(self, waits: int, retry_after: str | None) -> None:
        if not self.patient:
            seconds = retry_after_seconds(retry_after)
            raise ConnectorError(
                "rate_limited",
                f"{self.vendor} is limiting requests (HTTP 429): retry after {seconds:g} s.",
            )
        if waits > MAX_RATE_LIMIT_WAITS:
            raise ConnectorError(
                "rate_limited",
                f"{self.vendor} kept refusing requests as too many (HTTP 429); try again later.",
            )
        wait = retry_after_seconds(retry_after)
        logger.info("%s rate limit (HTTP 429): waiting %.1f s", self.vendor, wait)
        self.sleep(wait)

    def _backoff_or_give_up(self, failures: int, last: str) -> None:
        if not self.patient:
            if last == "timeout":
                error = ConnectorError(
                    "timeout",
                    f"{self.vendor} did not answer within {self.timeout[1]:g} seconds.",
                )
            elif last.startswith("HTTP"):
                error = ConnectorError(
                    "unavailable",
                    f"{self.vendor} answered with a server error ({last}); try again later.",
                )
            else:
                error = ConnectorError(
                    "unavailable", f"{self.vendor} could not be reached ({last})."
                )
            raise error
        if failures >= MAX_ATTEMPTS:
            raise ConnectorError(
                "unavailable",
                f"{self.vendor} did not answer after {MAX_ATTEMPTS} attempts (last: {last}).",
            )
        wait = BACKOFF_FIRST * 2 ** (failures - 1)
        logger.warning("%s failed (%s): retrying in %.1f s", self.vendor, last, wait)
        self.sleep(wait)

    def _too_slow(self) -> ConnectorError:
        # Not retried: a server that trickled once will trickle again, and each try holds a
        # worker for the whole deadline.
        return ConnectorError(
            "timeout",
            f"{self.vendor} did not finish answering within {self.deadline_seconds:g} seconds.",
        )

    def _send(
        self, method: str, url: str, params: Mapping[str, Any] | None, json: Any
    ) -> requests.Response:
        """One request, its body not read yet, following redirects ourselves: requests would
        carry a custom header such as X-API-TOKEN to whatever host a redirect names."""
        for _ in range(MAX_REDIRECTS + 1):
            self._check_proxied_target(url)
            same_origin = origin(url) == self.origin
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                headers=self.credential_headers if same_origin else None,
                timeout=self.timeout,
                stream=True,
                allow_redirects=False,
            )
            location = response.headers.get("Location")
            if response.status_code not in _REDIRECTS or not location:
                return response
            response.close()
            url = check_url(urljoin(response.url, location), self.vendor)
            params = None  # the Location carries its own query
            if response.status_code in (301, 302, 303) and method != "HEAD":
                method, json = "GET", None
        raise ConnectorError("vendor_error", f"{self.vendor} redirected too many times.")

    def _check_proxied_target(self, url: str) -> None:
        """Through a proxy our connection goes to the proxy: check the target ourselves."""
        if not get_environ_proxies(url):
            return
        _, host, port = origin(url)
        if not host_allowed(host):
            check_host(host, port or 443)

    def _body(self, response: requests.Response, limit: int, target: IO[bytes] | None) -> bytearray:
        """The body, refused once it is known to pass ``limit`` bytes (after decompression)."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise self._too_large(limit)
        body = bytearray()  # grown in place: no second copy of a body near the cap
        size = 0
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise self._too_large(limit)
            if target is not None:
                target.write(chunk)
            else:
                body += chunk
        if target is not None:
            target.flush()
        return body

    def _too_large(self, limit: int) -> ConnectorError:
        return ConnectorError(
            "too_large",
            f"{self.vendor} answered with more than {limit / 2**20:g} MB; nothing of it was kept.",
        )

    def _refusal(self, response: requests.Response) -> ConnectorError:
        status = response.status_code
        message = ""
        # Only a vendor's own host is quoted: anything else may be an internal service talking.
        if self.quote_errors and origin(response.url) == self.origin:
            message = self._scrub(vendor_message(self._error_body(response)))
        if status in (401, 403):
            return ConnectorError(
                "credentials_refused", f"{self.vendor} refused the credentials (HTTP {status})."
            )
        if status == 404:
            path = urlsplit(response.url).path if self.quote_errors else ""
            where = f" at {path}" if path else ""
            return ConnectorError(
                "not_found",
                f"{self.vendor} has nothing{where} (HTTP 404): {self.not_found_hint}.",
            )
        detail = f": {message}" if message else ""
        reason = f"HTTP {status}" if self.quote_errors else _status_phrase(status)
        return ConnectorError(
            "vendor_error", f"{self.vendor} refused the request ({reason}){detail}."
        )

    def _error_body(self, response: requests.Response) -> bytes:
        """At most ``ERROR_BODY_MAX`` bytes of an error answer (a message is short)."""
        parts, size = [], 0
        try:
            for chunk in response.iter_content(_CHUNK):
                parts.append(chunk)
                size += len(chunk)
                if size >= ERROR_BODY_MAX:
                    return b""  # too long to be an error message we know
        except (*_NETWORK_ERRORS, requests.exceptions.SSLError):
            return b""
        return b"".join(parts)

    def _scrub(self, text: str) -> str:
        # A vendor echoing the token back must not put it in front of users.
        for secret in self.secrets:
            text = text.replace(secret, "…")
        return text

    # -- conveniences ----------------------------------------------------------------------

    def get_json(self, path_or_url: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return self._json_of(self.fetch("GET", path_or_url, params=params))

    def post_json(self, path_or_url: str, payload: Any) -> Any:
        return self._json_of(self.fetch("POST", path_or_url, json=payload))

    def _json_of(self, body: bytearray) -> Any:
        try:
            return jsonlib.loads(body)
        except (ValueError, RecursionError):
            raise ConnectorError(
                "vendor_error", f"{self.vendor} answered with something that is not JSON."
            ) from None

    def download(self, path_or_url: str, target: IO[bytes]) -> int:
        """Stream a file into ``target`` (never whole into memory); the bytes written."""
        limit = _setting("JOURNEYBOARD_CONNECTOR_MAX_DOWNLOAD_BYTES", 2**30)
        self.fetch("GET", path_or_url, target=target, max_bytes=limit)
        return target.tell()


class _Retry(Exception):  # a signal inside the request loop, never raised out of it
    """An answer worth asking again for: a rate limit (wait ``wait``) or a server error."""

    def __init__(
        self, *, rate_limited: bool = False, wait: str | None = None, last: str = ""
    ) -> None:
        super().__init__(last)
        self.rate_limited = rate_limited
        self.wait = wait
        self.last = last

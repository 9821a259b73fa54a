"""POST alerts as JSON to the configured webhook, with a timeout and retries (exponential back-off).

With RINGTRACE_WEBHOOK_SECRET set, each request carries `X-Ringtrace-Signature: sha256=<hex>`, the
HMAC-SHA256 of the exact body under that secret, so the receiver can refuse forged or altered alerts
(the scheme GitHub's webhooks use)."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlparse

from ringtrace import config
from ringtrace.errors import RingtraceError

log = logging.getLogger("ringtrace.webhook")


def check_url(url: str, setting: str = "RINGTRACE_ALERT_WEBHOOK") -> str:
    """The URL if it is http(s); plain http only to a loopback address (what travels names accounts)."""
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RingtraceError(f"{setting}={url!r} is not an http(s) URL: set it to https://host/path.")
    if parts.scheme == "http":
        try:
            loopback = ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = parts.hostname == "localhost"
        if not loopback:
            raise RingtraceError(f"{setting}={url!r} uses plain http to another machine: use https.")
    return url


SIGNATURE_HEADER = "X-Ringtrace-Signature"


def signature(body: bytes, secret: str) -> str:
    """`sha256=` and the hex HMAC-SHA256 of `body` under `secret`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(url: str, payload: dict[str, Any], retries: int = config.WEBHOOK_RETRIES,
            timeout: float = config.WEBHOOK_TIMEOUT_S, backoff: float = config.WEBHOOK_BACKOFF_S) -> str:
    """POST `payload`; returns 'delivered (HTTP n)' or 'failed after k attempts: reason' (never raises)."""
    try:
        check_url(url)
    except RingtraceError as exc:
        return f"failed: {exc}"
    body = json.dumps(payload, default=str).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "ringtrace-alerts"}
    secret = config.webhook_secret()
    if secret:
        headers[SIGNATURE_HEADER] = signature(body, secret)
    reason = ""
    for attempt in range(1, retries + 1):
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
                if 200 <= response.status < 300:
                    return f"delivered (HTTP {response.status})"
                reason = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            reason = f"HTTP {exc.code}"
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                break  # the receiver refuses this payload: retrying will not help
        except (urllib.error.URLError, OSError) as exc:
            reason = str(getattr(exc, "reason", exc))
        log.warning("webhook attempt %d of %d failed: %s", attempt, retries, reason)
        if attempt < retries:
            time.sleep(backoff * 2 ** (attempt - 1))
    return f"failed after {attempt} attempt{'s' if attempt != 1 else ''}: {reason}"

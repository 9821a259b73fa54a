"""POST alerts as JSON to the configured webhook, with a timeout and retries (exponential back-off).

With RINGTRACE_WEBHOOK_SECRET set, each request carries `X-Ringtrace-Signature: sha256=<hex>`, the
HMAC-SHA256 of the exact body under that secret, so the receiver can refuse forged or altered alerts
(the scheme GitHub's webhooks use). Requests go through `ringtrace.core.outbound`: the URL rule is checked on the
URL as sent, no redirect is followed (a 3xx answer is a failure, never "delivered"), and what is kept of a
delivery (on every Alert, in the log) names the URL redacted, never its user info or query values."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

from ringtrace.core import config, outbound

log = logging.getLogger("ringtrace.webhook")


def check_url(url: str, setting: str = "RINGTRACE_ALERT_WEBHOOK") -> str:
    """The URL as it will be sent if it is http(s), plain http only to a loopback address (what travels
    names accounts); RingtraceError naming the setting otherwise."""
    return outbound.check_url(url, setting)


SIGNATURE_HEADER = "X-Ringtrace-Signature"


def signature(body: bytes, secret: str) -> str:
    """`sha256=` and the hex HMAC-SHA256 of `body` under `secret`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(url: str, payload: dict[str, Any], retries: int | None = None, timeout: float | None = None,
            backoff: float = config.WEBHOOK_BACKOFF_S) -> str:
    """POST `payload`; returns 'delivered (HTTP n)' or 'failed…: reason' (never raises, never names the URL's
    secrets). A refusal (the URL rule, a redirect, HTTP 4xx) is not retried."""
    retries = config.WEBHOOK_RETRIES if retries is None else retries
    timeout = config.WEBHOOK_TIMEOUT_S if timeout is None else timeout
    try:
        session = outbound.Session(url, "RINGTRACE_ALERT_WEBHOOK", "the alert webhook", timeout, max_bytes=0)
    except outbound.Refused as exc:
        return outbound.scrub(f"failed: {exc}", url)
    body = json.dumps(payload, default=str).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "ringtrace-alerts"}
    secret = config.webhook_secret()
    if secret:
        headers[SIGNATURE_HEADER] = signature(body, secret)
    reason, attempt = "", 0
    with session:
        for attempt in range(1, retries + 1):
            try:
                response = session.post(url, data=body, headers=headers)
            except outbound.Refused as exc:
                reason = str(exc)
                break
            except outbound.Unreachable as exc:
                reason = str(exc)
            else:
                if 200 <= response.status_code < 300:
                    return f"delivered (HTTP {response.status_code})"
                reason = f"HTTP {response.status_code}"
                if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
                    break  # the receiver refuses this payload: retrying will not help
            reason = outbound.scrub(reason, url)
            log.warning("webhook attempt %d of %d failed: %s", attempt, retries, reason)
            if attempt < retries:
                time.sleep(backoff * 2 ** (attempt - 1))
    return outbound.scrub(f"failed after {attempt} attempt{'s' if attempt != 1 else ''}: {reason}", url)

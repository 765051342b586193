"""How webhook bodies are serialized and signed, and how a receiver checks them.

A delivery's body is its payload as compact JSON (keys sorted, UTF-8), so every attempt sends the
same bytes. Each attempt is signed anew with its own timestamp:

    X-Helpdesk-Timestamp: 1767225600
    X-Helpdesk-Signature: v1=<hex>[,v1=<hex>]

where hex = HMAC-SHA256(key=secret, msg=b"<timestamp>." + body). Several v1 values are sent while a
rotated secret is still honoured; a receiver accepts the body when any of them matches its secret.
`signature_verify` is the reference a receiver can copy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

SCHEME = "v1"
USER_AGENT = "Helpdesk-Webhooks/1.0"


def payload_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent for a payload: the same on every attempt, whatever order the database kept keys in."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def signature(*, secret: str, timestamp: int | str, body: bytes) -> str:
    """The hex HMAC-SHA256 of `timestamp.body` under `secret`."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(*, secrets: Iterable[str], timestamp: int, body: bytes) -> str:
    """The X-Helpdesk-Signature value: one v1 signature per secret, newest secret first."""
    return ",".join(f"{SCHEME}={signature(secret=secret, timestamp=timestamp, body=body)}" for secret in secrets)


def signed_headers(
    *, event: str, event_id: str, delivery_id: int, secrets: Iterable[str], timestamp: int, body: bytes
) -> dict[str, str]:
    """Every header of one attempt."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Helpdesk-Event": event,
        "X-Helpdesk-Event-Id": event_id,
        "X-Helpdesk-Delivery": str(delivery_id),
        "X-Helpdesk-Timestamp": str(timestamp),
        "X-Helpdesk-Signature": signature_header(secrets=secrets, timestamp=timestamp, body=body),
    }


def signature_verify(
    *,
    secret: str,
    timestamp: str,
    body: bytes,
    header: str,
    tolerance_seconds: int = 300,
    now: datetime | None = None,
) -> bool:
    """Whether `body`, as received with these X-Helpdesk-Timestamp and X-Helpdesk-Signature headers, was
    signed with `secret` within `tolerance_seconds` of `now` (a replayed old request fails).

    `body` must be the raw request bytes, before any JSON parsing.
    """
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = (now or timezone.now()).timestamp()
    if abs(current - sent_at) > tolerance_seconds:
        return False
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    found = False
    for part in header.split(","):
        scheme, _, value = part.strip().partition("=")
        # Compare every value in constant time, and do not stop early: timing says nothing about the secret.
        if scheme == SCHEME and hmac.compare_digest(value.strip().encode(), expected.encode()):
            found = True
    return found

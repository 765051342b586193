"""Signing: the body bytes and the signature a receiver checks with signature_verify."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from integrations.signing import payload_body, signature_header, signature_verify, signed_headers

SECRET = "whsec_test-secret"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
TIMESTAMP = int(NOW.timestamp())
BODY = payload_body({"id": "evt_1", "type": "ticket.created", "data": {"object": {"id": 7, "subject": "Frage ü"}}})


def _verify(header: str, *, secret: str = SECRET, timestamp: str = str(TIMESTAMP), body: bytes = BODY, now=NOW):
    return signature_verify(secret=secret, timestamp=timestamp, body=body, header=header, now=now)


def test_the_body_is_compact_utf8_json_with_sorted_keys():
    assert payload_body({"type": "ping", "id": "evt_1", "data": {"name": "Sāra"}}) == (
        '{"data":{"name":"Sāra"},"id":"evt_1","type":"ping"}'.encode()
    )


def test_the_signature_is_hmac_sha256_of_the_timestamp_a_dot_and_the_body():
    expected = hmac.new(SECRET.encode(), f"{TIMESTAMP}.".encode() + BODY, hashlib.sha256).hexdigest()

    assert signature_header(secrets=[SECRET], timestamp=TIMESTAMP, body=BODY) == f"v1={expected}"


def test_a_receiver_accepts_a_fresh_request_signed_with_its_secret():
    assert _verify(signature_header(secrets=[SECRET], timestamp=TIMESTAMP, body=BODY))


def test_a_receiver_refuses_another_secret_another_body_or_an_old_timestamp():
    header = signature_header(secrets=[SECRET], timestamp=TIMESTAMP, body=BODY)

    assert not _verify(header, secret="whsec_other")
    assert not _verify(header, body=BODY[:-1] + b"]"), "one byte changed"
    assert not _verify(header, body=BODY.replace(b'"id":7', b'"id":8'))
    assert not _verify(header, now=NOW + timedelta(minutes=6))
    assert not _verify(header, now=NOW - timedelta(minutes=6)), "nor one from the future"
    assert not _verify(header, timestamp=str(TIMESTAMP + 1)), "the timestamp is signed too"
    assert not _verify(header, timestamp="yesterday")


def test_any_of_several_signatures_may_match_while_a_secret_is_rotated():
    header = signature_header(secrets=["whsec_new", SECRET], timestamp=TIMESTAMP, body=BODY)

    assert _verify(header)
    assert _verify(header, secret="whsec_new")
    assert not _verify(header, secret="whsec_other")
    assert not _verify(header.replace("v1=", "v0="))


def test_every_attempt_carries_its_event_ids_and_timestamp():
    headers = signed_headers(
        event="ticket.created", event_id="evt_1", delivery_id=42, secrets=[SECRET], timestamp=TIMESTAMP, body=BODY
    )

    assert headers == {
        "Content-Type": "application/json",
        "User-Agent": "Helpdesk-Webhooks/1.0",
        "X-Helpdesk-Event": "ticket.created",
        "X-Helpdesk-Event-Id": "evt_1",
        "X-Helpdesk-Delivery": "42",
        "X-Helpdesk-Timestamp": str(TIMESTAMP),
        "X-Helpdesk-Signature": signature_header(secrets=[SECRET], timestamp=TIMESTAMP, body=BODY),
    }

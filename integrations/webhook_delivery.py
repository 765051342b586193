"""Sending webhook deliveries: one line (subscription and ordering key) at a time, in order, signed.

A worker claims the head of a line with one conditional UPDATE (pending -> sending), so two workers
never send the same delivery and never overtake each other; the HTTP request then runs outside any
database transaction. A failure schedules a retry with backoff and stops the line, so later events
of the same ticket wait for it; after HELPDESK_WEBHOOK_MAX_ATTEMPTS the delivery is given up and
the line moves on. The sweep puts back what a dead worker left "sending" and enqueues lines whose
head is due (retries, lost tasks).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError

from integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from integrations.signing import payload_body, signed_headers
from integrations.webhook_queue import PING_LINE_PREFIX, lines_enqueue_on_commit, webhooks_active_forget
from integrations.webhooks import webhook_signing_secrets

Status = WebhookDelivery.Status

# A line hands its worker back after this many attempts; the task enqueues the rest again.
LINE_BATCH = 100
SWEEP_BATCH = 1000
CLEANUP_BATCH = 5000
MAX_BACKOFF = timedelta(hours=6)
EXCERPT_CHARS = 500
ERROR_CHARS = 500
# What _record returns for a delivery deleted (in the admin) while it was being sent.
GONE = "gone"


# --- reaching only public addresses ------------------------------------------------------------------


class AddressRefused(Exception):
    """The receiver's host resolves to an address webhooks may not reach (not an OSError: nothing retries it)."""


def _resolve(host: str, port: int) -> list[str]:
    """The addresses a host name resolves to (tests replace this to point a name anywhere)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def address_kind_refused(address: str) -> str | None:
    """Why webhooks may not reach this IP address ("private", "loopback", ...), or None for a public one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, refused in (
        # The narrowest name first: Python counts link-local and reserved ranges as private too.
        (_("loopback"), ip.is_loopback),
        (_("unspecified"), ip.is_unspecified),
        (_("link-local"), ip.is_link_local),
        (_("multicast"), ip.is_multicast),
        (_("reserved"), ip.is_reserved),
        (_("private"), ip.is_private),
        (_("non-public"), not ip.is_global),
    ):
        if refused:
            return kind
    return None


class _CheckedAddress:
    """Resolve the host once, check every address, and connect to the address that was checked.

    Checking a name and then letting the connection resolve it again would let a DNS answer that
    changes in between (DNS rebinding) reach an internal service. TLS still verifies the host name.
    """

    _dns_host: str
    host: str
    port: int

    def _new_conn(self) -> socket.socket:
        name = self._dns_host
        try:
            addresses = _resolve(name.strip("[]"), self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        if not settings.HELPDESK_WEBHOOK_ALLOW_PRIVATE_NETWORKS:
            for address in addresses:
                kind = address_kind_refused(address)
                if kind is not None:
                    where = address if address == self.host else f"{self.host} ({address})"
                    raise AddressRefused(
                        _(
                            "Refused: %(where)s is not a public address (%(kind)s). Webhooks reach only public "
                            "addresses unless HELPDESK_WEBHOOK_ALLOW_PRIVATE_NETWORKS is on."
                        )
                        % {"where": where, "kind": kind}
                    )
        self._dns_host = addresses[0]
        try:
            return super()._new_conn()  # type: ignore[misc]
        finally:
            self._dns_host = name


class _CheckedHTTPConnection(_CheckedAddress, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedAddress, HTTPSConnection):
    pass


class _CheckedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _CheckedHTTPConnectionPool,
            "https": _CheckedHTTPSConnectionPool,
        }


def webhook_session() -> requests.Session:
    """A requests session that connects only to checked addresses and never through a proxy."""
    session = requests.Session()
    # A proxy from the environment would be the address connected to, and the receiver's would go unchecked.
    session.trust_env = False
    adapter = _CheckedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# --- one attempt -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    excerpt: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error


def _describe(exc: BaseException) -> str:
    """The innermost reason of a requests error, without urllib3's object addresses."""
    reason: BaseException = exc
    for _depth in range(5):
        inner = getattr(reason, "reason", None)
        if not isinstance(inner, BaseException) and reason.args and isinstance(reason.args[0], BaseException):
            inner = reason.args[0]
        if not isinstance(inner, BaseException):
            break
        reason = inner
    text = re.sub(r"<[^>]* object at 0x[0-9a-f]+>:?\s*|\w*Connection\(host=[^)]*\):\s*", "", str(reason))
    return f"{type(exc).__name__}: {text}"


def _post(session: requests.Session, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    timeout = settings.HELPDESK_WEBHOOK_TIMEOUT_SECONDS
    started = time.monotonic()
    code, error, excerpt = None, "", ""
    try:
        # Redirects are not followed: a receiver that moved must be updated, not chased (maybe inward).
        with session.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False, stream=True) as r:
            code = r.status_code
            if r.is_redirect:
                error = _("Redirect to %(location)s not followed; update the subscription's URL.") % {
                    "location": r.headers.get("Location", "?")
                }
            try:
                # Only the start of the answer is kept; a huge or endless body must not hold the worker.
                chunk = next(r.iter_content(EXCERPT_CHARS * 4), b"")
                excerpt = chunk.decode(r.encoding or "utf-8", "replace")[:EXCERPT_CHARS]
            except (requests.RequestException, OSError):
                excerpt = ""
    except AddressRefused as exc:
        error = str(exc)
    except requests.Timeout:
        error = _("No answer within %(seconds)d s.") % {"seconds": timeout}
    except requests.RequestException as exc:
        error = _describe(exc)
    duration_ms = int((time.monotonic() - started) * 1000)
    return Outcome(status_code=code, error=error[:ERROR_CHARS], excerpt=excerpt, duration_ms=duration_ms)


def _backoff(attempts: int) -> timedelta:
    """How long after the `attempts`-th failure the next try waits: RETRY_SECONDS, x4 each time, at most 6 hours."""
    seconds = settings.HELPDESK_WEBHOOK_RETRY_SECONDS * 4 ** min(attempts - 1, 20)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


# --- a line ------------------------------------------------------------------------------------------


def _claim_head(subscription_id: int, ordering_key: str, now: datetime) -> WebhookDelivery | None:
    """The line's oldest unfinished delivery, now marked sending by us; None if it is not due or someone sends it."""
    line = WebhookDelivery.objects.filter(
        subscription_id=subscription_id, ordering_key=ordering_key, status__in=[Status.PENDING, Status.SENDING]
    )
    head = line.order_by("pk").values("pk", "status", "next_attempt_at").first()
    if head is None or head["status"] != Status.PENDING or head["next_attempt_at"] > now:
        return None
    # One conditional UPDATE: of two workers only one changes the row, and never while an older one is open.
    claimed = (
        WebhookDelivery.objects.filter(pk=head["pk"], status=Status.PENDING, next_attempt_at__lte=now)
        .exclude(Exists(line.filter(pk__lt=head["pk"])))
        .update(status=Status.SENDING, claimed_at=now)
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.get(pk=head["pk"])


def _record(subscription: WebhookSubscription, delivery: WebhookDelivery, outcome: Outcome, now: datetime) -> str:
    """Store the attempt and what follows from it. Returns the delivery's new status, or GONE."""
    try:
        return _store(subscription, delivery, outcome, now)
    except IntegrityError:
        # The delivery (or its subscription) was deleted in the admin while we sent it: nothing to record.
        return GONE


def _store(subscription: WebhookSubscription, delivery: WebhookDelivery, outcome: Outcome, now: datetime) -> str:
    attempts = delivery.attempts + 1
    error = outcome.error or ("" if outcome.ok else f"HTTP {outcome.status_code}")
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.SENDING)
    subscriptions = WebhookSubscription.objects.filter(pk=subscription.pk)
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            status_code=outcome.status_code,
            error=outcome.error,
            response_excerpt=outcome.excerpt,
            duration_ms=outcome.duration_ms,
            created_at=now,
        )
        common = {"attempts": F("attempts") + 1, "claimed_at": None, "last_status_code": outcome.status_code}
        if outcome.ok:
            mine.update(status=Status.DELIVERED, delivered_at=now, last_error="", **common)
            subscriptions.filter(consecutive_failures__gt=0).update(consecutive_failures=0)
            return Status.DELIVERED
        status = Status.FAILED if attempts >= settings.HELPDESK_WEBHOOK_MAX_ATTEMPTS else Status.PENDING
        mine.update(status=status, next_attempt_at=now + _backoff(attempts), last_error=error, **common)
        subscriptions.update(consecutive_failures=F("consecutive_failures") + 1)
        limit = settings.HELPDESK_WEBHOOK_PAUSE_AFTER_FAILURES
        reason = _("Paused after %(count)d failed attempts in a row. Last: %(error)s") % {
            "count": limit,
            "error": error,
        }
        paused = subscriptions.filter(is_active=True, consecutive_failures__gte=limit).update(
            is_active=False, paused_at=now, pause_reason=reason[:300]
        )
        if paused:
            webhooks_active_forget()
    return status


def _attempt(
    session: requests.Session, subscription: WebhookSubscription, delivery: WebhookDelivery, now: datetime
) -> Outcome:
    body = payload_body(delivery.payload)
    headers = signed_headers(
        event=delivery.event,
        event_id=str(delivery.payload.get("id", "")),
        delivery_id=delivery.pk,
        secrets=webhook_signing_secrets(subscription=subscription, now=now),
        timestamp=int(now.timestamp()),
        body=body,
    )
    return _post(session, subscription.url, body, headers)


def webhook_line_deliver(
    *, subscription_id: int, ordering_key: str, now: datetime | None = None, limit: int = LINE_BATCH
) -> int:
    """Send the line's due deliveries in order, one at a time, until one fails. Returns how many got through.

    Call it outside a transaction: each claim and each result commits on its own, and the HTTP
    request holds no database lock. A paused subscription sends only pings. `now` (tests) fixes the
    clock for what is due, the signature timestamp and the next retry; `limit` bounds the attempts.
    """
    delivered = 0
    session: requests.Session | None = None
    try:
        for _attempt_number in range(limit):
            current = now or timezone.now()
            subscription = WebhookSubscription.objects.filter(pk=subscription_id).first()
            if subscription is None:
                break
            if not subscription.is_active and not ordering_key.startswith(PING_LINE_PREFIX):
                break
            delivery = _claim_head(subscription_id, ordering_key, current)
            if delivery is None:
                break
            session = session or webhook_session()
            status = _record(subscription, delivery, _attempt(session, subscription, delivery, current), current)
            if status == Status.DELIVERED:
                delivered += 1
            elif status == Status.PENDING:
                break  # it will be retried; the events after it wait, so the receiver sees them in order
    finally:
        if session is not None:
            session.close()
    return delivered


def webhooks_sweep(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> int:
    """Recover from dead workers and lost tasks, and forget old deliveries. Returns how many lines it enqueued.

    - a delivery "sending" for longer than 2 x timeout + 60 s lost its worker: it counts as an attempt
      and is pending again (or failed, if that was its last);
    - every line whose head is due (a retry whose time came, a task the broker lost) is enqueued;
    - delivered and failed deliveries older than HELPDESK_CHANGES_KEEP_DAYS days are deleted.
    """
    current = now or timezone.now()
    stuck_since = current - timedelta(seconds=2 * settings.HELPDESK_WEBHOOK_TIMEOUT_SECONDS + 60)
    stuck = WebhookDelivery.objects.filter(status=Status.SENDING, claimed_at__lt=stuck_since)
    interrupted = _("The attempt was interrupted (the worker stopped).")
    gone = {"attempts": F("attempts") + 1, "claimed_at": None, "last_error": interrupted}
    stuck.filter(attempts__gte=settings.HELPDESK_WEBHOOK_MAX_ATTEMPTS - 1).update(status=Status.FAILED, **gone)
    stuck.update(status=Status.PENDING, next_attempt_at=current, **gone)

    older_open = WebhookDelivery.objects.filter(
        subscription_id=OuterRef("subscription_id"),
        ordering_key=OuterRef("ordering_key"),
        status__in=[Status.PENDING, Status.SENDING],
        pk__lt=OuterRef("pk"),
    )
    heads = (
        WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=current)
        .filter(Q(subscription__is_active=True) | Q(ordering_key__startswith=PING_LINE_PREFIX))
        .exclude(Exists(older_open))
        .order_by("next_attempt_at", "pk")
        .values_list("subscription_id", "ordering_key")
    )
    lines = list(heads[:limit])

    keep_since = current - timedelta(days=settings.HELPDESK_CHANGES_KEEP_DAYS)
    old = list(
        WebhookDelivery.objects.filter(status__in=[Status.DELIVERED, Status.FAILED], created_at__lt=keep_since)
        .order_by()
        .values_list("pk", flat=True)[:CLEANUP_BATCH]
    )
    if old:
        WebhookDelivery.objects.filter(pk__in=old).delete()

    lines_enqueue_on_commit(lines)
    return len(set(lines))

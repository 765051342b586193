"""Webhook subscriptions, and turning the change log into deliveries.

The dispatcher reads the change log from its cursor (LogCursor "webhooks") in commit order and
writes one WebhookDelivery per event and interested subscription, in the same transaction that
moves the cursor: an event is queued exactly once, and a dispatcher that dies queues nothing.
Sending is webhook_delivery.py's business.

Payload of an event:

    {"id": "evt_<change id>", "type": "ticket.updated", "created_at": "<ISO 8601>",
     "data": {"object": <the object as the API shows it now, or null if it is gone>,
              "changes": {"status": ["open", "solved"]}}}
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from integrations import changes
from integrations.changes import LogPosition
from integrations.models import Change, ChangeKind, LogCursor, WebhookDelivery, WebhookSubscription
from integrations.webhook_queue import (
    PING_EVENT,
    PING_LINE_PREFIX,
    Line,
    dispatch_pending_clear,
    lines_enqueue_on_commit,
    webhooks_active_forget,
)

WEBHOOKS_CURSOR = "webhooks"
DISPATCH_BATCH = 500
ALL_EVENTS = "*"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix that says what the value is, not a secret
# After a rotation the old secret signs too for a day, so receivers can switch without losing events.
ROTATION_GRACE = timedelta(hours=24)

Status = WebhookDelivery.Status


# --- subscriptions ---------------------------------------------------------------------------------


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def webhook_subscription_clean(
    *, name: str | None = None, url: str | None = None, events: list[str] | None = None
) -> dict[str, Any]:
    """The given fields, checked and normalized; ValidationError keyed by field for every bad one.

    The admin form and the API use it to show errors next to their fields.
    """
    cleaned: dict[str, Any] = {}
    errors: dict[str, ValidationError] = {}
    if name is not None:
        name = " ".join(name.split())
        if not name:
            errors["name"] = ValidationError(_("Give the subscription a name."), code="blank_name")
        elif len(name) > 100:
            errors["name"] = ValidationError(_("The name is longer than 100 characters."), code="name_too_long")
        cleaned["name"] = name
    if url is not None:
        url = url.strip()
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or " " in url:
            errors["url"] = ValidationError(
                _("Enter an http:// or https:// address with a host name, like https://example.com/hooks."),
                code="bad_url",
            )
        elif len(url) > 1000:
            errors["url"] = ValidationError(_("The address is longer than 1000 characters."), code="url_too_long")
        cleaned["url"] = url
    if events is not None:
        if not isinstance(events, list | tuple) or not events:
            errors["events"] = ValidationError(
                _("Choose at least one event, or “*” for every event."), code="no_events"
            )
        else:
            wanted = list(dict.fromkeys(event if isinstance(event, str) else repr(event) for event in events))
            unknown = [event for event in wanted if event != ALL_EVENTS and event not in ChangeKind.values]
            if unknown:
                errors["events"] = ValidationError(
                    _("Unknown events: %(events)s. Known events: %(known)s, or “*” for every event.")
                    % {"events": ", ".join(unknown), "known": ", ".join(ChangeKind.values)},
                    code="bad_events",
                )
            cleaned["events"] = [ALL_EVENTS] if ALL_EVENTS in wanted else wanted
    if errors:
        raise ValidationError(errors)
    return cleaned


def webhook_subscription_create(
    *, name: str, url: str, events: list[str], created_by: User | None = None
) -> tuple[WebhookSubscription, str]:
    """A new active subscription and its signing secret (shown to the person once; stored for signing).

    It receives the events committed from now on, none of the history.
    """
    cleaned = webhook_subscription_clean(name=name, url=url, events=events)
    secret = _new_secret()
    with transaction.atomic():
        # Taken before this transaction writes, so its own (running) transaction does not hold the position back.
        start = changes.position_now()
        # The first subscription ever starts the dispatcher here, not at the beginning of the log.
        LogCursor.objects.get_or_create(
            name=WEBHOOKS_CURSOR, defaults={"txid": start.txid, "change_id": start.change_id}
        )
        subscription = WebhookSubscription.objects.create(
            **cleaned,
            secret=secret,
            created_by=created_by,
            starts_after_txid=start.txid,
            starts_after_change_id=start.change_id,
        )
        webhooks_active_forget()
    return subscription, secret


def _open_lines(subscription_id: int) -> list[Line]:
    keys = (
        WebhookDelivery.objects.filter(subscription_id=subscription_id, status__in=[Status.PENDING, Status.SENDING])
        .values_list("ordering_key", flat=True)
        .distinct()
    )
    return [(subscription_id, key) for key in keys]


def webhook_subscription_update(
    *,
    subscription: WebhookSubscription,
    name: str | None = None,
    url: str | None = None,
    events: list[str] | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    """Change the given fields (None leaves a field as it is).

    is_active=False pauses the subscription: no deliveries are made for events while it is paused,
    and the ones already queued wait. is_active=True resumes it: the failure count starts again and
    what was queued goes out now.
    """
    cleaned = webhook_subscription_clean(name=name, url=url, events=events)
    now = timezone.now()
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        fields = set(cleaned)
        for field, value in cleaned.items():
            setattr(locked, field, value)
        if is_active is not None and is_active != locked.is_active:
            locked.is_active = is_active
            if is_active:
                locked.paused_at, locked.pause_reason, locked.consecutive_failures = None, "", 0
            else:
                locked.paused_at, locked.pause_reason = now, _("Paused by hand.")
            fields |= {"is_active", "paused_at", "pause_reason", "consecutive_failures"}
            webhooks_active_forget()
            if is_active:
                # The endpoint was fixed: what waited goes now, not at the end of its backoff.
                locked.deliveries.filter(status=Status.PENDING).update(next_attempt_at=now)
                lines_enqueue_on_commit(_open_lines(locked.pk))
        if fields:
            locked.save(update_fields=[*sorted(fields), "updated_at"])
    return locked


def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Delete a subscription with its deliveries and their attempts (a worker sending one just stops)."""
    with transaction.atomic():
        WebhookSubscription.objects.filter(pk=subscription.pk).delete()
        webhooks_active_forget()


def webhook_secret_rotate(*, subscription: WebhookSubscription) -> str:
    """A new signing secret, returned once; the old one keeps signing too for ROTATION_GRACE."""
    secret = _new_secret()
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        locked.previous_secret = locked.secret
        locked.previous_secret_expires_at = timezone.now() + ROTATION_GRACE
        locked.secret = secret
        locked.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    subscription.secret = locked.secret
    subscription.previous_secret = locked.previous_secret
    subscription.previous_secret_expires_at = locked.previous_secret_expires_at
    return secret


def webhook_signing_secrets(*, subscription: WebhookSubscription, now: datetime) -> list[str]:
    """The secrets an attempt is signed with: the current one, and the one before it during the grace period."""
    found = [subscription.secret]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and expires > now:
        found.append(subscription.previous_secret)
    return found


# --- from the change log to deliveries ---------------------------------------------------------------


def ordering_key(change: Change) -> str:
    """Events of one ticket (else one customer) go out one after another, in order."""
    if change.ticket_id is not None:
        return f"ticket:{change.ticket_id}"
    if change.customer_id is not None:
        return f"customer:{change.customer_id}"
    return f"{change.subject_type}:{change.subject_id}"


def represent(subject_type: str, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The objects as the API shows them (api/representations.py).

    Imported when called: the API's own modules will import these services, and must not find this
    module half-loaded.
    """
    from api.representations import represent as api_represent

    return api_represent(subject_type, ids)


def _as_json(value: Any) -> Any:
    # What represent() returns may hold dates or decimals; the stored payload is plain JSON.
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder)) if value is not None else None


def _payload(change: Change, representation: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": f"evt_{change.pk}",
        "type": change.kind,
        "created_at": change.created_at.isoformat(),
        "data": {"object": _as_json(representation), "changes": change.changes},
    }


def _cursor_for_update() -> LogCursor | None:
    """The dispatcher's cursor, locked; None before any subscription was ever made (nothing to send)."""
    cursor = LogCursor.objects.select_for_update().filter(name=WEBHOOKS_CURSOR).first()
    if cursor is not None or not WebhookSubscription.objects.exists():
        return cursor
    # Subscriptions made without the service (a data import): start from now, not from the whole history.
    start = changes.position_now()
    LogCursor.objects.get_or_create(name=WEBHOOKS_CURSOR, defaults={"txid": start.txid, "change_id": start.change_id})
    return LogCursor.objects.select_for_update().get(name=WEBHOOKS_CURSOR)


def _deliveries(rows: list[Change], subscriptions: list[WebhookSubscription]) -> list[WebhookDelivery]:
    wanted: list[tuple[Change, list[WebhookSubscription]]] = []
    ids_by_type: dict[str, set[int]] = defaultdict(set)
    for change in rows:
        position = LogPosition(txid=change.txid, change_id=change.pk)
        receivers = [
            subscription
            for subscription in subscriptions
            if subscription.wants(change.kind)
            and position > LogPosition(subscription.starts_after_txid, subscription.starts_after_change_id)
        ]
        if receivers:
            wanted.append((change, receivers))
            ids_by_type[change.subject_type].add(change.subject_id)
    # One representation query per type for the whole batch, never one per event.
    objects = {subject_type: represent(subject_type, sorted(ids)) for subject_type, ids in ids_by_type.items()}
    now = timezone.now()
    deliveries: list[WebhookDelivery] = []
    for change, receivers in wanted:
        payload = _payload(change, objects[change.subject_type].get(change.subject_id))
        key = ordering_key(change)
        deliveries.extend(
            WebhookDelivery(
                subscription=subscription,
                change=change,
                event=change.kind,
                ordering_key=key,
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
            for subscription in receivers
        )
    return deliveries


def webhooks_dispatch(*, limit: int = DISPATCH_BATCH) -> int:
    """Queue a delivery of each newly committed change for every active subscription that wants it.

    Reads at most `limit` changes after the cursor; returns how many it read (`limit` means there
    may be more: call again). Serialized by a row lock on the cursor, so two dispatchers never queue
    an event twice. Events committed while a subscription is paused or inactive are not queued for it.
    """
    # Cleared before reading: a change that commits from now on wakes the dispatcher again.
    dispatch_pending_clear()
    with transaction.atomic():
        cursor = _cursor_for_update()
        if cursor is None:
            return 0
        position = LogPosition(txid=cursor.txid, change_id=cursor.change_id)
        subscriptions = list(WebhookSubscription.objects.filter(is_active=True).order_by("pk"))
        if subscriptions:
            rows, after = changes.changes_after(position, limit=limit)
            deliveries = _deliveries(rows, subscriptions)
            WebhookDelivery.objects.bulk_create(deliveries)
            lines_enqueue_on_commit((delivery.subscription_id, delivery.ordering_key) for delivery in deliveries)
            read = len(rows)
        else:
            # Nobody listens: skip ahead, so a subscription resumed later does not get what happened meanwhile.
            after, read = max(position, changes.position_now()), 0
        if after != position:
            cursor.txid, cursor.change_id = after.txid, after.change_id
            cursor.save(update_fields=["txid", "change_id", "updated_at"])
    return read


# --- by hand: deliver again, ping ------------------------------------------------------------------


def webhook_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue the same event again (same body, same line) as a new delivery; the original stays as it was."""
    now = timezone.now()
    with transaction.atomic():
        again = WebhookDelivery.objects.create(
            subscription_id=delivery.subscription_id,
            change_id=delivery.change_id,
            event=delivery.event,
            ordering_key=delivery.ordering_key,
            payload=delivery.payload,
            next_attempt_at=now,
            created_at=now,
        )
        lines_enqueue_on_commit([(again.subscription_id, again.ordering_key)])
    return again


def webhook_ping(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """Send a "ping" event at once, on a line of its own; also while paused, to test a fixed endpoint."""
    now = timezone.now()
    token = uuid.uuid4().hex
    with transaction.atomic():
        ping = WebhookDelivery.objects.create(
            subscription=subscription,
            event=PING_EVENT,
            ordering_key=f"{PING_LINE_PREFIX}{token}",
            payload={
                "id": f"evt_ping_{token}",
                "type": PING_EVENT,
                "created_at": now.isoformat(),
                "data": {"subscription": subscription.pk},
            },
            next_attempt_at=now,
            created_at=now,
        )
        lines_enqueue_on_commit([(subscription.pk, ping.ordering_key)])
    return ping

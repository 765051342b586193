"""Background work of the webhooks. Tasks take ids and call the services; every one is idempotent.

A failed HTTP attempt is not a task error: it is recorded on its delivery and retried when the sweep
finds its line due. Task retries are for the database being away.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from integrations.webhook_delivery import LINE_BATCH, webhook_line_deliver, webhooks_sweep
from integrations.webhooks import DISPATCH_BATCH, webhooks_dispatch

_RETRIED = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**_RETRIED)
def dispatch_webhooks() -> int:
    """Queue deliveries for the changes committed since the last run (after commits, and every 10 s by beat).

    Idempotent: the cursor moves in the transaction that queues, so a retry or a second run queues
    nothing twice. A full batch means a backlog: it runs again at once.
    """
    read = webhooks_dispatch(limit=DISPATCH_BATCH)
    if read >= DISPATCH_BATCH:
        dispatch_webhooks.delay()
    return read


@shared_task(**_RETRIED)
def deliver_webhook_line(subscription_id: int, ordering_key: str) -> int:
    """Send what is due on one line, in order. Two of these on one line take turns (the claim decides)."""
    delivered = webhook_line_deliver(subscription_id=subscription_id, ordering_key=ordering_key, limit=LINE_BATCH)
    if delivered >= LINE_BATCH:
        deliver_webhook_line.delay(subscription_id, ordering_key)
    return delivered


@shared_task(**_RETRIED)
def sweep_webhooks() -> int:
    """Every 30 s: retries whose time came, deliveries a dead worker left, lost tasks, old deliveries."""
    return webhooks_sweep()

"""When webhook work is enqueued: the dispatcher after changes commit, and each line of deliveries.

A line is the deliveries of one subscription with one ordering key ("ticket:42"); one task delivers
a line in order. Enqueuing is always best effort: a broker that is down must not turn a committed
change into an error, and the beat schedule (dispatch every 10 s, sweep every 30 s) catches up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from django.core.cache import cache
from django.db import DatabaseError, transaction
from kombu.exceptions import KombuError

from integrations.models import WebhookSubscription

logger = logging.getLogger(__name__)

# What a broker (or a database) that is away raises when a task is enqueued.
ENQUEUE_ERRORS = (OSError, KombuError, DatabaseError)

# A ping goes on a line of its own, and goes out even while its subscription is paused.
PING_EVENT = "ping"
PING_LINE_PREFIX = "ping:"

ACTIVE_CACHE_KEY = "integrations:webhooks:active"
ACTIVE_CACHE_SECONDS = 10
DISPATCH_PENDING_KEY = "integrations:webhooks:dispatch-pending"
DISPATCH_COALESCE_SECONDS = 1

Line = tuple[int, str]


def webhooks_active() -> bool:
    """Whether any subscription is active; cached briefly, since every committed change asks."""
    active = cache.get(ACTIVE_CACHE_KEY)
    if active is None:
        active = WebhookSubscription.objects.filter(is_active=True).exists()
        cache.set(ACTIVE_CACHE_KEY, active, ACTIVE_CACHE_SECONDS)
    return bool(active)


def webhooks_active_forget() -> None:
    """Subscriptions changed: forget the cached answer once the change commits (or now, outside a transaction)."""
    transaction.on_commit(partial(cache.delete, ACTIVE_CACHE_KEY), robust=True)


def dispatch_on_changes_committed() -> None:
    """The change log's commit hook: wake the dispatcher, at most once a second however many changes commit."""
    try:
        if not webhooks_active():
            return
        # The dispatcher clears the flag before it reads the log, so a change committed while it runs
        # wakes it again; within one second of a wake-up, the pending run will read this change anyway.
        if not cache.add(DISPATCH_PENDING_KEY, 1, DISPATCH_COALESCE_SECONDS):
            return
        from integrations.tasks import dispatch_webhooks

        dispatch_webhooks.delay()
    except ENQUEUE_ERRORS:
        # The change is committed whatever happens here; the beat dispatch reads it within 10 s.
        logger.warning("Could not enqueue the webhook dispatcher", exc_info=True)


def dispatch_pending_clear() -> None:
    cache.delete(DISPATCH_PENDING_KEY)


def lines_enqueue(lines: Iterable[Line]) -> int:
    """Enqueue one delivery task per line. Returns how many were enqueued (stops when the broker is away)."""
    from integrations.tasks import deliver_webhook_line

    count = 0
    for subscription_id, ordering_key in sorted(set(lines)):
        try:
            deliver_webhook_line.delay(subscription_id, ordering_key)
        except ENQUEUE_ERRORS:
            # Not an OperationalError to retry: the rows are safe, and the sweep enqueues due lines again.
            logger.warning("Could not enqueue webhook deliveries; the sweep will", exc_info=True)
            break
        count += 1
    return count


def lines_enqueue_on_commit(lines: Iterable[Line]) -> None:
    """Enqueue the lines once the rows they deliver are committed (a worker must find them)."""
    wanted = sorted(set(lines))
    if wanted:
        transaction.on_commit(partial(lines_enqueue, wanted), robust=True)

"""Celery tasks that poll the IMAP mailboxes: beat asks every few seconds which are due, one task per mailbox."""

from __future__ import annotations

import uuid
from datetime import timedelta

from celery import shared_task
from django.core.cache import cache
from django.db import OperationalError
from django.utils import timezone

from channels_intake.email.imap import mailbox_poll
from channels_intake.models import Mailbox

# Longer than a normal poll; if a worker dies holding it, the mailbox is polled again after this.
LOCK_SECONDS = 300


def _lock_key(mailbox_id: int) -> str:
    return f"channels_intake:imap-poll:{mailbox_id}"


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def poll_mailbox(self, mailbox_id: int) -> str:
    """Poll one mailbox. Skipped while another poll of it runs; safe to repeat (the store drops duplicates).

    IMAP errors end up in the mailbox's last_poll_error, not as a task failure.
    """
    mailbox = Mailbox.objects.filter(pk=mailbox_id, is_active=True).first()
    if mailbox is None or not mailbox.reads_imap:
        return "skipped"
    key, token = _lock_key(mailbox_id), uuid.uuid4().hex
    if not cache.add(key, token, timeout=LOCK_SECONDS):
        return "busy"
    try:
        return str(mailbox_poll(mailbox=mailbox))
    finally:
        # Only our own lock: after a very slow poll it may have expired and been taken by another worker.
        if cache.get(key) == token:
            cache.delete(key)


@shared_task
def poll_due_mailboxes() -> int:
    """Enqueue a poll for every active IMAP mailbox whose interval has passed. Returns how many."""
    now = timezone.now()
    mailboxes = (
        Mailbox.objects.filter(is_active=True)
        .exclude(imap_host="")
        .exclude(imap_username="")
        .only("id", "last_polled_at", "poll_interval_seconds")
    )
    due = [
        mailbox.pk
        for mailbox in mailboxes
        if mailbox.last_polled_at is None
        or mailbox.last_polled_at + timedelta(seconds=mailbox.poll_interval_seconds) <= now
    ]
    for mailbox_id in due:
        poll_mailbox.delay(mailbox_id)
    return len(due)

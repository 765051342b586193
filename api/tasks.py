"""Housekeeping of the API: expired idempotency keys and the change log beyond its retention."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from api.models import IdempotencyRecord
from integrations.changes import changes_prune

BATCH = 10_000


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=5)
def prune_api_records() -> str:
    """Delete idempotency keys past HELPDESK_API_IDEMPOTENCY_HOURS and change-log rows past
    HELPDESK_CHANGES_KEEP_DAYS, in batches. Idempotent: running it twice deletes nothing more."""
    now = timezone.now()
    keys, _rows = IdempotencyRecord.objects.filter(
        created_at__lt=now - timedelta(hours=settings.HELPDESK_API_IDEMPOTENCY_HOURS)
    ).delete()
    changes = 0
    while True:
        pruned = changes_prune(older_than=now - timedelta(days=settings.HELPDESK_CHANGES_KEEP_DAYS), limit=BATCH)
        changes += pruned
        if pruned < BATCH:
            break
    return f"{keys} idempotency keys, {changes} change-log rows"

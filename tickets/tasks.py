"""Background work on tickets. Tasks take ids or plain values and call the domain layer."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from tickets.services import tickets_close_solved

BATCH = 500


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def close_solved_tickets(self) -> int:
    """Close tickets solved more than HELPDESK_AUTO_CLOSE_DAYS ago, in batches.

    Idempotent: a ticket already closed is simply not selected again. A full batch
    re-enqueues the task so a large backlog drains without one long transaction.
    """
    older_than = timezone.now() - timedelta(days=settings.HELPDESK_AUTO_CLOSE_DAYS)
    closed = tickets_close_solved(older_than=older_than, limit=BATCH)
    if closed == BATCH:
        close_solved_tickets.delay()
    return closed

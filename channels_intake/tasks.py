"""Background work of the intake channels. Tasks take ids, load rows and call the channel's services."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db import OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

# Imported so Celery's autodiscovery (which reads only tasks.py) registers the email tasks too.
from channels_intake.email.imap_tasks import poll_due_mailboxes, poll_mailbox  # noqa: F401
from channels_intake.email.processing import inbound_email_process
from channels_intake.models import InboundEmail


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=6,
)
def process_inbound_email(self, inbound_email_id: int) -> str:
    """Parse a stored email and add it to a ticket. Idempotent: only a row still RECEIVED is processed.

    Database outages are retried with backoff; anything else is quarantined by the service with its
    error, so a bad message is never retried forever and never dropped.
    """
    with transaction.atomic():
        # Locked: a second task for the same mail (say, from the sweep) skips it while this one works.
        row = (
            InboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=inbound_email_id, status=InboundEmail.Status.RECEIVED)
            .first()
        )
        if row is None:
            return "skipped"
        return inbound_email_process(inbound_email=row)


# A message the broker lost, or one stored while the database was failing, is picked up again here.
STALE_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 10
SWEEP_BATCH = 200


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def process_stale_inbound_email() -> int:
    """Re-enqueue mail still RECEIVED after a while; quarantine what failed too often. Idempotent."""
    cutoff = timezone.now() - STALE_AFTER
    stale = InboundEmail.objects.filter(status=InboundEmail.Status.RECEIVED, received_at__lt=cutoff)
    given_up = stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=InboundEmail.Status.QUARANTINED,
        outcome=_("Processing failed %(count)d times; quarantined.") % {"count": MAX_ATTEMPTS},
        processed_at=timezone.now(),
    )
    ids = list(
        stale.filter(attempts__lt=MAX_ATTEMPTS).order_by("received_at").values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    # Counted here too: a message that kills its worker never records an attempt of its own.
    InboundEmail.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1)
    for pk in ids:
        process_inbound_email.delay(pk)
    return given_up + len(ids)

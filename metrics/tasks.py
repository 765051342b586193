"""Background work of the metrics app. Tasks take ids, load rows and call the services."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from metrics import surveys
from tickets.models import Ticket


@shared_task(
    bind=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
)
def send_survey_invitation(self, ticket_id: int) -> str:
    """Invite the customer of a solved ticket to the satisfaction survey.

    Idempotent: the service makes at most one invitation per ticket, so a retry or a second solve sends
    nothing more. Database outages are retried with backoff.
    """
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return "skipped: no such ticket"
    invitation = surveys.survey_invitation_send(ticket=ticket)
    return f"invitation {invitation.pk}" if invitation is not None else "skipped"


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=120,
    max_retries=5,
)
def refresh_rollups() -> str:
    """Bring the dashboard rollups up to date (beat runs it every 30 s).

    Idempotent (days are recomputed whole) and serialized by a row lock; when a backlog of
    changes is larger than one chunk, it enqueues itself again to catch up.
    """
    from metrics.rollups import rollups_refresh

    result = rollups_refresh()
    if result.more:
        refresh_rollups.delay()
    return f"tickets {result.tickets}, days {result.days}, arrival days {result.arrival_days}"
